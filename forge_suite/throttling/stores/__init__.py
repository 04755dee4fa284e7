"""Counter stores: Redis (Lua, exact across processes), Django cache, and in-process memory."""

from __future__ import annotations

from forge_suite.throttling.stores.base import KeyUsage, Store
from forge_suite.throttling.stores.cache import CacheStore
from forge_suite.throttling.stores.memory import MemoryStore
from forge_suite.throttling.stores.redis import RedisStore

__all__ = ["CacheStore", "KeyUsage", "MemoryStore", "RedisStore", "Store"]
