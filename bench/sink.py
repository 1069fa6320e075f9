"""Set-wise writers for the bench generator: COPY on PostgreSQL, executemany on SQLite.

A `Table` names the columns the generator fills for a model and supplies every other column
from the field's default, so a later migration that adds a field with a default keeps the
generator working (and one without a default stops it with the field's name)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import NOT_PROVIDED, Model


class Table:
    def __init__(self, model: type[Model], provided: list[str]):
        self.model = model
        self.name = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields]
        by_name = {f.name: f for f in fields} | {f.attname: f for f in fields}
        unknown = [n for n in provided if n not in by_name]
        if unknown:
            raise ValueError(f"{model.__name__}: no field {unknown}")
        self.provided = [by_name[n] for n in provided]
        rest = [f for f in fields if f not in self.provided]
        self.defaults: list[object] = []
        for field in rest:
            if field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = datetime.now(UTC)
            elif (
                field.default is NOT_PROVIDED
                and field.blank
                and field.get_internal_type()
                in {
                    "CharField",
                    "TextField",
                }
            ):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{field.name} needs a value from the generator")
            self.defaults.append(value)
        self.columns = [f.column for f in self.provided] + [f.column for f in rest]
        self.json_positions = {
            i for i, f in enumerate(self.provided + rest) if f.get_internal_type() == "JSONField"
        }
        self.defaults_tuple = tuple(self.defaults)
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, *values) -> None:
        self.rows.append(values + self.defaults_tuple)

    def next_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.name}"')
            return cursor.fetchone()[0] + 1


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def flush(table: Table) -> None:
    """Write the table's buffered rows and empty the buffer."""
    if not table.rows:
        return
    cols = ", ".join(f'"{c}"' for c in table.columns)
    json_at = table.json_positions
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for row in table.rows:
                    if json_at:
                        row = tuple(
                            json.dumps(v, ensure_ascii=False)
                            if i in json_at and v is not None
                            else v
                            for i, v in enumerate(row)
                        )
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in table.columns)
            sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
            cursor.executemany(
                sql,
                [
                    tuple(
                        json.dumps(v, ensure_ascii=False)
                        if i in json_at and v is not None
                        else _sqlite_value(v)
                        for i, v in enumerate(row)
                    )
                    for row in table.rows
                ],
            )
    table.count += len(table.rows)
    table.rows = []


def reset_sequences(models: list[type[Model]]) -> None:
    """After explicit ids, let the database hand out the next ones."""
    if connection.vendor != "postgresql":
        return  # SQLite's rowid follows MAX(id) by itself
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


class BulkLoad:
    """On PostgreSQL, load as a restore does: foreign-key triggers off for this session
    (`session_replication_role = replica`; the generator writes consistent rows by
    construction), secondary indexes and unique constraints dropped before and rebuilt after
    in one pass each — index maintenance row by row is what makes a plain load slow."""

    def __init__(self, models: list[type[Model]], out=print):
        self.tables = [m._meta.db_table for m in models]
        self.out = out
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
                [self.tables],
            )
            self.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
                "AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [self.tables],
            )
            rows = cursor.fetchall()
            self.indexes = [definition for _name, definition in rows]
            for table, name, _definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in rows:
                cursor.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, exc_type, exc, tb):
        if connection.vendor != "postgresql" or exc_type is not None:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
            for table, name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for definition in self.indexes:
                cursor.execute(definition)
        self.out(
            f"  rebuilt {len(self.indexes)} indexes and {len(self.constraints)} unique constraints"
        )
        return False
