"""The case table carries only indexes something reads by: every registration writes each of
them, while the point's counter and the event chain are locked (ADR 0007 §14)."""

import pytest
from django.db import connection

from bangban.cases import selectors
from bangban.cases.models import Case
from bangban.cases.workflow import OPEN
from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

TABLE = Case._meta.db_table


def _full_indexes() -> dict[str, tuple[str, ...]]:
    """The table's indexes without a WHERE clause, by name: their columns in order."""
    found: dict[str, tuple[str, ...]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, array_agg(a.attname ORDER BY k.n) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                " WHERE i.indrelid = %s::regclass AND i.indpred IS NULL GROUP BY c.relname",
                [TABLE],
            )
            return {name: tuple(columns) for name, columns in cursor.fetchall()}
        cursor.execute(f"PRAGMA index_list('{TABLE}')")
        for _seq, name, _unique, _origin, partial in cursor.fetchall():
            if not partial:
                cursor.execute(f"PRAGMA index_info('{name}')")
                found[name] = tuple(row[2] for row in sorted(cursor.fetchall()))
    return found


def test_no_index_of_the_case_table_is_the_leading_part_of_another(db):
    indexes = _full_indexes()
    assert ("unit_id", "state", "due_date") in indexes.values()
    for name, columns in indexes.items():
        for other, longer in indexes.items():
            if other != name and len(longer) > len(columns):
                assert longer[: len(columns)] != columns, (name, other)
    # The same columns twice over (a unique key and a plain index on it) is the same waste.
    assert len(set(indexes.values())) == len(indexes), indexes


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite builds no pattern index to check for"
)
def test_no_case_index_serves_like_searches_nobody_makes(db):
    """PostgreSQL builds a pattern index beside each `db_index`/`unique` text column; the
    ledger's search is `icontains` (UPPER … LIKE '%…%'), which no btree serves."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [TABLE, "%pattern_ops%"],
        )
        assert cursor.fetchall() == []


def test_open_cases_are_asked_for_as_the_open_case_indexes_declare(db):
    """The open states are written into the SQL in the indexes' own order, not bound as
    parameters: SQLite decides at prepare time whether a partial index serves a query, and an
    IN list of parameters matches no index condition (found: a town's queue scanned the whole
    case table on SQLite, 27 ms instead of 0.3 at 100,000 cases)."""
    tree = county_tree()
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    sql, params = selectors.case_queue(actor=manager, queue="open").query.sql_with_params()
    assert not [value for value in params if value in OPEN]
    states = ", ".join(f"'{state}'" for state in sorted(OPEN))
    assert f"IN ({states})" in sql
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "case_town_queue" in plan, plan
