"""Tickets for the django-helpdesk side of the benchmark: one queue per town of the demo
county, as many tickets as bangban has cases, about 10 % open — written with COPY (SQLite:
executemany) through bench/sink.py, run inside helpdesk's own virtual environment."""

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The site first (its settings.py), then bench/ for sink.py and querycount.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402
from sink import BulkLoad, Table, flush, reset_sequences  # noqa: E402

TOWNS = 13
PASSWORD = "Bench@2026!"


def main(scale: int) -> None:
    started = time.monotonic()
    rng = random.Random(1)
    User = get_user_model()
    if not User.objects.filter(username="bench").exists():
        User.objects.create_superuser("bench", "bench@example.org", PASSWORD)
    staff = User.objects.get(username="bench")
    queues = [
        Queue.objects.get_or_create(
            slug=f"town{n:02d}", defaults={"title": f"Town {n:02d}", "email_address": ""}
        )[0]
        for n in range(1, TOWNS + 1)
    ]
    table = Table(
        Ticket,
        [
            "id",
            "title",
            "queue_id",
            "created",
            "modified",
            "submitter_email",
            "assigned_to_id",
            "status",
            "on_hold",
            "description",
            "resolution",
            "priority",
        ],
    )
    next_id = table.next_id()
    now = datetime.now(UTC)
    with transaction.atomic(), BulkLoad([Ticket], out=print):
        for i in range(scale):
            created = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
            open_ = rng.random() < 0.10
            table.add(
                next_id + i,
                f"代办事项咨询 {i}",
                rng.choice(queues).pk,
                created,
                created,
                f"user{i % 5000}@example.org",
                staff.pk if rng.random() < 0.5 else None,
                rng.choice((1, 2)) if open_ else rng.choice((3, 4)),
                False,
                "申请人反映办理进度，请核实。",
                "" if open_ else "已办结。",
                rng.randint(1, 5),
            )
            if len(table.rows) >= 20_000:
                flush(table)
        flush(table)
        reset_sequences([Ticket])
    print(f"helpdesk: {scale:,} tickets in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
