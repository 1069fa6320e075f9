"""Writing new rows on the paths every case takes (registration, each timeline line, each
event) with an INSERT built once per model, not once per row. `save()` and `bulk_create`
compile the statement again for every call; building it once took a registration from
5.3–5.5 to 5.0–5.1 ms of CPU in one process (ADR 0007 §18). The values are still prepared by
each field itself, as `save()` prepares them: encrypted fields encrypt, JSON is adapted,
`auto_now_add` is filled.

What `save()` does and these do not: send the model's signals and call an overridden `save`.
Use them only for new rows of models whose `save` adds nothing to a first write (the event's
only refuses updates). A model with save signal receivers is refused, so that none is skipped."""

from functools import cache

from django.db import connection
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save


@cache
def insert_statement(model: type[Model], vendor: str, rows: int = 1) -> tuple[list[Field], str]:
    """The fields written and the statement writing `rows` new rows of `model`, returning the
    columns the database fills (the auto-incremented key). `vendor` is part of the key because
    quoting is the connection's."""
    opts = model._meta
    if opts.parents or opts.auto_field is None:
        raise TypeError(f"{opts.label} is not a single-table model with an automatic key")
    fields = [field for field in opts.local_concrete_fields if not field.db_returning]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = ", ".join(quote(field.column) for field in opts.db_returning_fields)
    # Only the model's own table and column names enter the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} RETURNING {returning}"
    )
    return fields, sql


def insert_values(fields: list[Field], obj: Model) -> list:
    """`obj`'s values for `fields`, as `save()` would send them on its first write."""
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def instances_insert(*objs: Model) -> None:
    """Write new instances of one model in one statement; each gets its key and is then as
    `save()` leaves it (no longer `adding`)."""
    model = type(objs[0])
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model._meta.label} has save signal receivers: use save()")
    fields, sql = insert_statement(model, connection.vendor, len(objs))
    params = [value for obj in objs for value in insert_values(fields, obj)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    instances_stored(objs, returned)


def instances_stored(objs, returned) -> None:
    """Mark `objs` as stored, with the columns the database filled (in insertion order)."""
    returning = type(objs[0])._meta.db_returning_fields
    for obj, row in zip(objs, returned, strict=True):
        for field, value in zip(returning, row, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = connection.alias
