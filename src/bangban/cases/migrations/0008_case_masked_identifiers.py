"""The masked identifiers of a case, stored beside the encrypted ones so that lists decrypt
nothing; existing cases are masked here, each identifier decrypted once."""

from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    from bangban.core.masking import mask_id_number, mask_phone

    Case = apps.get_model("cases", "Case")
    update = "UPDATE cases_case SET id_number_masked = %s, phone_masked = %s WHERE id = %s"
    last = 0
    while True:
        # By primary key ranges, so that no cursor stays open while rows are updated.
        batch = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "id_number", "phone")[:BATCH]
        )
        if not batch:
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                update,
                [
                    (mask_id_number(id_number or ""), mask_phone(phone or ""), pk)
                    for pk, id_number, phone in batch
                ],
            )
        last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_case_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="id_number_masked",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="case",
            name="phone_masked",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
