from django.db import migrations

# 003 §四(二): every town point offers at least 80 items, every village point at least 50.
DEFAULTS = {"town": 80, "village": 50}


def seed(apps, schema_editor):
    CoverageTarget = apps.get_model("catalog", "CoverageTarget")
    for level, minimum in DEFAULTS.items():
        CoverageTarget.objects.get_or_create(level=level, defaults={"minimum": minimum})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
