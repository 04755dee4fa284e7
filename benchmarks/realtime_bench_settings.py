"""Django settings of the benchmark server processes (configured by environment variables).

``BENCH_LAYER``: ``pubsub`` (channels-redis RedisPubSubChannelLayer), ``core`` (channels-redis
RedisChannelLayer, the Channels tutorial's layer) or ``memory`` (InMemoryChannelLayer).
"""

from __future__ import annotations

import os

SECRET_KEY = "benchmark"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "forge_suite.core",
    "forge_suite.realtime",
]
ROOT_URLCONF = "forge_suite.realtime.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ASGI_APPLICATION = "benchmarks.realtime_bench_asgi.application"

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PREFIX = os.environ.get("BENCH_PREFIX", "forge-bench")
LAYER = os.environ.get("BENCH_LAYER", "memory")
BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
    "memory": "channels.layers.InMemoryChannelLayer",
}
CHANNEL_LAYERS = {"default": {"BACKEND": BACKENDS[LAYER]}}
if LAYER != "memory":
    CHANNEL_LAYERS["default"]["CONFIG"] = {"hosts": [REDIS_URL], "prefix": PREFIX}

BENCH_APP = {"id": "1", "key": "bench-key", "secret": "bench-secret", "activity_timeout": 120}
FORGE = {"REALTIME": {"APPS": [BENCH_APP]}}

# BENCH_STATE=redis: presence and subscription counts in Redis (several processes, storms).
if os.environ.get("BENCH_STATE") == "redis":
    BENCH_APP["max_presence_members"] = 1000
    FORGE["REALTIME"].update({"REDIS_URL": REDIS_URL, "KEY_PREFIX": f"{PREFIX}:state"})
