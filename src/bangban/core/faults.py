"""Failpoints: named places where a test may kill the process on purpose.

Crash safety is a claim about what is left after a process dies at the worst moment: a catalog
import half written, a case changed but its event not yet written, an archive half zipped, an
SMS accepted by the gateway but not yet marked sent. Killing a process from outside with a
timer lands anywhere, or nowhere interesting; a failpoint lands exactly there. The idea is the
one of FreeBSD's fail(9) and TiKV's fail-rs, reduced to the one action the tests need:
`crash_point(name)` does nothing unless the environment variable BANGBAN_CRASH_AT equals
`name`, and then the process sends itself SIGKILL, so that no handler, `finally` or atexit runs,
exactly as when the kernel's OOM killer or a power cut stops a worker.

The cost in production is one dictionary lookup (os.environ) per call; the variable is read at
each call, not once at import, so that a test can arm a point in a subprocess's environment.
tests/security/test_crash_safety.py arms every point there is.
"""

import os
import signal

# The points the code declares, so that a test can check it arms one that exists.
CATALOG_IMPORT = "catalog.import.applying"
CASE_TRANSITION = "cases.transition.before_event"
ARCHIVE_WRITE = "documents.archive.writing"
OUTBOX_SENT = "notify.outbox.after_gateway"

POINTS = frozenset({CATALOG_IMPORT, CASE_TRANSITION, ARCHIVE_WRITE, OUTBOX_SENT})


def crash_point(name: str) -> None:
    """Kill this process here with SIGKILL when BANGBAN_CRASH_AT names this point."""
    if os.environ.get("BANGBAN_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
