"""`GET /healthz`: is this process able to serve — for the load balancer, systemd watchdogs and
monitoring (docs/operations.md, Monitoring).

At most two queries (the applied migrations, the event chain's head), no login, no personal
data and never cached: a probe every few seconds must cost next to nothing and must see the
database as it is now. 503 when the database cannot be reached or read, so that a balancer
takes the node out of service.
"""

from dataclasses import dataclass
from functools import cache
from importlib import metadata

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from bangban.core.models import EventChainHead


@cache
def version() -> str:
    try:
        return metadata.version("bangban")
    except metadata.PackageNotFoundError:  # run from a copied tree, not installed
        return "unknown"


@cache
def _known_migrations() -> frozenset[tuple[str, str]]:
    """The migrations this code ships (squashed ones as their replacement). They only change
    with the code, i.e. with a restart, so they are read from disk once per process; the
    database side is read on every probe."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


@dataclass(frozen=True)
class Health:
    database: str  # "ok", "unreachable" or "error"
    migrations: str | None = None  # "ok" or "pending"
    event_chain_head: int | None = None

    @property
    def ok(self) -> bool:
        return self.database == "ok"


def health_check() -> Health:
    known = _known_migrations()
    try:
        connection.ensure_connection()
    except DatabaseError:
        return Health(database="unreachable")
    try:
        # The recorder's own applied_migrations() first asks whether the table exists: one
        # query more. A database without the table fails here and counts as an error.
        applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
        head = EventChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()
    except DatabaseError:
        return Health(database="error")
    return Health(
        database="ok",
        migrations="ok" if known <= applied else "pending",
        event_chain_head=head,
    )


@login_not_required
@require_safe
@never_cache
def healthz(request):
    health = health_check()
    body = {"status": "ok" if health.ok else "error", "database": health.database}
    if health.ok:
        body |= {"migrations": health.migrations, "event_chain_head": health.event_chain_head}
    body["version"] = version()
    return JsonResponse(body, status=200 if health.ok else 503)
