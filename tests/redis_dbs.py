"""Which databases of the local Redis server the tests use. `make test` runs the SQLite and the
PostgreSQL suites side by side, so each run takes its own pair (BANGBAN_TEST_REDIS_DB): two runs
emptying one queue or cache under each other would fail each other's tests."""

import os

QUEUE_DB = int(os.environ.get("BANGBAN_TEST_REDIS_DB", "15"))
CACHE_DB = QUEUE_DB - 1
