import pytest
from django.db import connection

from bangban.core.events import event_record, events_verify
from bangban.core.models import AppendOnlyError, Event


@pytest.mark.django_db
def test_chain_verifies_and_detects_an_altered_row():
    for i in range(5):
        event_record(actor=None, action="test.thing", object_type="x", object_id=i, after={"n": i})
    assert events_verify().ok
    assert events_verify().checked == 5
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET after = %s WHERE seq = 3", ['{"n": 99}'])
    report = events_verify()
    assert not report.ok
    assert report.broken_seq == 3
    assert report.reason == "altered"


@pytest.mark.django_db
def test_chain_detects_a_deleted_row_in_the_middle_and_at_the_end():
    for i in range(4):
        event_record(actor=None, action="test.thing", object_id=i)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_event WHERE seq = 4")
    report = events_verify()
    assert (report.ok, report.broken_seq, report.reason) == (False, 4, "missing")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_event WHERE seq = 2")
    report = events_verify()
    assert (report.ok, report.broken_seq, report.reason) == (False, 2, "missing")


@pytest.mark.django_db
def test_events_refuse_update_and_delete_through_the_orm():
    event = event_record(actor=None, action="test.thing")
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert Event.objects.get().action == "test.thing"


@pytest.mark.django_db
def test_an_event_is_written_as_recorded_and_moves_the_chain_head(django_user_model):
    """On PostgreSQL the row and the head's move are one statement; on either database the
    stored row is the one hashed, and the head names it."""
    from django.test.utils import CaptureQueriesContext

    from bangban.core.models import EventChainHead

    user = django_user_model.objects.create_user("recorder", password="x-Long-enough-1")
    with CaptureQueriesContext(connection) as queries:
        event = event_record(
            actor=user,
            action="test.thing",
            object_type="cases.case",
            object_id=7,
            unit_path="0001.",
            before={"state": "registered"},
            after={"state": "accepted", "名称": "营业执照"},
            ip_address="10.0.0.8",
        )
    stored = Event.objects.get(pk=event.pk)
    for name in ("seq", "occurred_at", "actor_id", "actor_label", "action", "object_type"):
        assert getattr(stored, name) == getattr(event, name), name
    assert (stored.object_id, stored.unit_path, stored.ip_address) == ("7", "0001.", "10.0.0.8")
    assert (stored.before, stored.after) == (event.before, event.after)
    assert stored.hash == event.hash and EventChainHead.objects.get().last_hash == event.hash
    assert event._state.adding is False
    assert events_verify().ok
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        [write] = [sql for sql in statements if 'INSERT INTO "core_event" ' in sql]
        assert "UPDATE core_eventchainhead" in write
        assert len(statements) == 2  # the head taken, then the row written and the head moved
    else:
        assert len(statements) == 3
