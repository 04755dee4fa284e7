"""Settings of the daphne processes the realtime tests start (configured by environment)."""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

ROOT_URLCONF = "tests.urls"
ASGI_APPLICATION = "tests.realtime.asgi.application"

if os.environ.get("FORGE_RT_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["FORGE_RT_DB_NAME"]

_redis = os.environ.get("FORGE_RT_REDIS_URL")
_prefix = os.environ.get("FORGE_RT_PREFIX", "forge-rt-test")
if _redis:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_redis], "prefix": _prefix},
        }
    }

FORGE = {"REALTIME": json.loads(os.environ.get("FORGE_RT_REALTIME", "{}"))}

if os.environ.get("FORGE_RT_CELERY_BROKER"):
    CELERY_BROKER_URL = os.environ["FORGE_RT_CELERY_BROKER"]
    CELERY_TASK_ALWAYS_EAGER = False
