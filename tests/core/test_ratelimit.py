"""Abuse limits: a counter per key and window, refused with 429 and a Chinese message over the
limit, separate per key and per scope."""

import pytest

from bangban.core.errors import TooManyRequests
from bangban.core.ratelimit import ratelimit_hit
from tests.redis_dbs import CACHE_DB


def test_the_limit_counts_per_key_and_scope():
    for n in range(1, 4):
        assert ratelimit_hit("sms", "13800000000", limit=3, window=60) == n
    with pytest.raises(TooManyRequests) as over:
        ratelimit_hit("sms", "13800000000", limit=3, window=60)
    assert over.value.status_code == 429
    assert "请求过于频繁" in over.value.message
    # Another phone, another scope: counted apart.
    assert ratelimit_hit("sms", "13900000000", limit=3, window=60) == 1
    assert ratelimit_hit("complaint", "13800000000", limit=3, window=60) == 1


def test_a_custom_message():
    with pytest.raises(TooManyRequests) as over:
        ratelimit_hit("x", "k", limit=0, window=60, message="短信验证码发送过于频繁")
    assert over.value.message == "短信验证码发送过于频繁"


def test_the_counters_are_shared_through_redis(settings):
    """With several web processes the counters live in Redis (BANGBAN_CACHE_URL): the same
    code counts there, against the local server."""
    import redis
    from django.core.cache import caches

    # `make test` starts a local Redis (scripts/ensure_redis.sh): its absence is a failure.
    assert redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{CACHE_DB}",
        }
    }
    caches["default"].clear()
    try:
        assert ratelimit_hit("sms", "13800000001", limit=2, window=60) == 1
        assert ratelimit_hit("sms", "13800000001", limit=2, window=60) == 2
        with pytest.raises(TooManyRequests):
            ratelimit_hit("sms", "13800000001", limit=2, window=60)
    finally:
        caches["default"].clear()
