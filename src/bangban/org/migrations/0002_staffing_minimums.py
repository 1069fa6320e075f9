from django.db import migrations

# 001 §四: the county centre at least 2 agents, each town and each village at least 1.
DEFAULTS = {"county": 2, "town": 1, "village": 1}


def seed(apps, schema_editor):
    StaffingMinimum = apps.get_model("org", "StaffingMinimum")
    for level, minimum in DEFAULTS.items():
        StaffingMinimum.objects.get_or_create(level=level, defaults={"minimum": minimum})


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
