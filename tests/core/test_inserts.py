import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from bangban.core.inserts import insert_statement, instances_insert
from bangban.org.models import Agent
from tests.factories import AgentFactory, UnitFactory

# What the database or the key fills differently for two rows written alike.
OWN = {"id", "name", "created_at"}


@pytest.mark.django_db
def test_a_row_is_stored_as_save_stores_it():
    """Agent has what the INSERT must prepare as save does: encrypted fields, a foreign key,
    defaults, and a time filled on creation (auto_now_add)."""
    unit = UnitFactory()
    same = {"id_number": "610124199001010015", "phone": "13912345678"}
    saved, inserted = AgentFactory.build_batch(2, unit=unit, **same)
    saved.save()
    instances_insert(inserted)
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert inserted._state.adding is False and inserted._state.db == "default"
    assert inserted.created_at is not None and inserted.created_at.tzinfo is not None
    rows = {row["id"]: row for row in Agent.objects.values()}
    first, second = rows[saved.pk], rows[inserted.pk]
    assert {k: v for k, v in first.items() if k not in OWN} == {
        k: v for k, v in second.items() if k not in OWN
    }
    assert second["name"] == inserted.name and second["id_number"] == "610124199001010015"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM org_agent WHERE id = %s", [inserted.pk])
        (stored,) = cursor.fetchone()
    assert "610124199001010015" not in stored  # encrypted at rest, as save() leaves it


@pytest.mark.django_db
def test_rows_are_written_in_one_statement_and_keep_their_order():
    unit = UnitFactory()
    agents = AgentFactory.build_batch(3, unit=unit)
    with CaptureQueriesContext(connection) as queries:
        instances_insert(*agents)
    assert len(queries) == 1
    assert [Agent.objects.get(pk=agent.pk).name for agent in agents] == [a.name for a in agents]


@pytest.mark.django_db
def test_the_statement_is_built_once_per_model_and_row_count():
    unit = UnitFactory()
    insert_statement.cache_clear()
    for _ in range(3):
        instances_insert(AgentFactory.build(unit=unit))
    info = insert_statement.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_a_model_whose_key_is_not_automatic_is_refused():
    with pytest.raises(TypeError, match="automatic key"):
        insert_statement(Token, connection.vendor)


@pytest.mark.django_db
def test_a_model_with_save_receivers_is_refused_and_nothing_is_written():
    from django.db.models.signals import post_save

    def receiver(**kwargs):
        pass

    unit = UnitFactory()
    post_save.connect(receiver, sender=Agent, weak=False)
    try:
        with pytest.raises(TypeError, match="signal receivers"):
            instances_insert(AgentFactory.build(unit=unit))
    finally:
        post_save.disconnect(receiver, sender=Agent)
    assert not Agent.objects.exists()
