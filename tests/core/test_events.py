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
