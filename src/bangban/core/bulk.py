"""Writing many rows of plain values at once, for the few services that store thousands of
rows in one go (the assessment's deduction lines): COPY on PostgreSQL, one prepared INSERT run
for every row elsewhere. `bulk_create` builds and adapts every value of every row in Python
first, which at tens of thousands of rows costs more than the database's own work (ADR 0007)."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def rows_insert(model: type[Model], fields: list[str], rows: Iterable[tuple]) -> None:
    """Insert `rows` (tuples of database-ready values, in the order of `fields`, which name the
    model's columns by attribute: "assessment_id", not "assessment") into the model's table.
    No save(), no signals: for append-only rows that a service builds itself, inside its
    transaction."""
    opts = model._meta
    columns = [opts.get_field(name.removesuffix("_id")).column for name in fields]
    table = connection.ops.quote_name(opts.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        # Table and column names come from the model's own metadata, quoted; values are bound.
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(statement, list(rows))
