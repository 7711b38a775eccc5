"""The shared cache of the scale path: Redis, as `REDIS_URL` configures it (docs/deployment.md).

Rate limits, the public notice page and the application books are cached; with several server
processes they must share one cache, so Django's Redis backend and its client library must work.
"""

import socket
import uuid

import pytest
from django.core.cache import caches

REDIS = ("127.0.0.1", 6379)


def _redis_is_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_is_up(), reason="Redis is not running at 127.0.0.1:6379 (see the env entry)")
def test_the_redis_cache_counts_across_clients(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    cache = caches["default"]
    key = f"shifan-test:{uuid.uuid4()}"
    try:
        cache.add(key, 0, timeout=60)
        # The rate limits count like this; a second process sees the same counter.
        assert cache.incr(key) == 1
        assert caches.create_connection("default").incr(key) == 2
    finally:
        cache.delete(key)
