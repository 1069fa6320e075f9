"""The 2026 rules: annex 3 of 001 as data (a literal copy, so a later change of the module's
defaults never changes what this migration seeded)."""

from django.db import migrations

RULES_2026 = {
    "sections": {"1": "20", "2": "10", "3": "40", "4": "10", "5": "10", "6": "10"},
    "deductions": {
        "village_without_team": "5",
        "agent_short": "2",
        "rule_gap": "2",
        "no_ledger_entry": "3",
        "not_accepted_in_time": "3",
        "no_agreement": "3",
        "delay": "3",
        "material_lost": "3",
        "poor_explanation": "3",
        "not_informing_centre": "2",
        "missed_activity": "5",
        "attitude": "2",
    },
    "vetoes": {
        "no_team": "1",
        "no_rules": "2",
        "discipline_breach": "2",
        "collusion": "3",
        "illegal_fees": "6",
        "intermediary": "6",
        "gifts": "6",
        "serious_case": "grade",
    },
    "callback_default": "10",
    "weights": {"own": "0.6", "villages": "0.4"},
    "village_sample_size": 2,
    "grades": {"excellent_top": 4, "bands": [["good", "80"], ["pass", "60"]]},
}


def seed(apps, schema_editor):
    RuleSet = apps.get_model("assessment", "RuleSet")
    RuleSet.objects.get_or_create(year=2026, defaults={"rules": RULES_2026})


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
