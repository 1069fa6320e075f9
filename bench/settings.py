"""Settings of the benchmark server: the product's settings, plus a header with each response's
database query count (`querycount`) and the framework-floor view (`urls`). Never used in
production; the product itself knows nothing of the bench."""

from bangban.config.settings import *  # noqa: F403

MIDDLEWARE = ["querycount.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
ROOT_URLCONF = "urls"
# Measure the application, not the per-address form limits of the public portal.
BANGBAN_PORTAL_POSTS_PER_IP_HOUR = 10**9
