"""Abuse limits: a counter per key and window, refused with 429 and a Chinese message over the
limit, separate per key and per scope."""

import pytest

from bangban.core.errors import TooManyRequests
from bangban.core.ratelimit import ratelimit_hit


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
