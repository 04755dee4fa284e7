#!/usr/bin/env bash
# Node.js and the real Pusher clients (pusher-js, laravel-echo) the realtime tests drive.
set -euo pipefail
cd "$(dirname "$0")/../../tests/realtime/js"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
