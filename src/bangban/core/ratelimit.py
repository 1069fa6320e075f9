"""Abuse limits of the public endpoints (SMS codes per phone and per address, form posts): a
counter per key and time window in the cache. Over the limit, `TooManyRequests` (HTTP 429)
carries a clear Chinese message; nothing is written.

The counters live in the configured cache (CACHES, from BANGBAN_CACHE_URL): the per-process
memory cache by default, which is right for one web process; a deployment with several
processes points it at Redis so that they count together."""

import hashlib

from django.core.cache import cache
from django.utils.translation import gettext as _

from bangban.core.errors import TooManyRequests


def _cache_key(scope: str, key: str, window: int) -> str:
    # Hash the key: it may be a phone number, which does not belong in a cache in clear.
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{window}:{digest}"


def ratelimit_hit(scope: str, key: str, *, limit: int, window: int, message: str = "") -> int:
    """Count one use of `scope` by `key` (a phone, an IP address) in the current `window` of
    seconds; TooManyRequests once more than `limit` uses fall in it. Returns the count."""
    cache_key = _cache_key(scope, key, window)
    # add() is atomic: only the first use of a window creates the counter, with its expiry.
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    if count > limit:
        raise TooManyRequests(message or _("Too many requests. Please wait a while and try again."))
    return count


def client_ip(request) -> str:
    """The client's address as the web server saw it (a proxy in front must pass it on in
    REMOTE_ADDR, e.g. nginx with the realip module)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
