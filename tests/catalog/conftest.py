"""Shared fixtures of the catalog tests: a county with the demo departments, and the demo
catalogue loaded from the real data onto it."""

import pytest

from bangban.catalog.demo import load_catalog
from bangban.org.demo_data import DEPARTMENTS
from bangban.org.models import Level, Role
from tests.factories import UnitFactory, UserFactory, county_tree


@pytest.fixture
def county_with_departments(db):
    """The two-town test county of tests.factories, plus every demo department by name."""
    tree = county_tree()
    # The test county already has its 县市场监督管理局; one unit per name, as in a real county.
    tree["departments"] = {tree["dept"].name: tree["dept"]} | {
        name: UnitFactory(name=name, code=f"C-{key}", level=Level.DEPARTMENT, parent=tree["county"])
        for key, name in DEPARTMENTS
        if name != tree["dept"].name
    }
    return tree


@pytest.fixture
def demo_catalog(county_with_departments):
    """The real demo catalogue (156 items, their materials, 8 bundles) on the test county."""
    catalog = load_catalog()
    county_with_departments["catalog"] = catalog
    return county_with_departments


@pytest.fixture
def catalog_admin(county_with_departments):
    return UserFactory(
        unit=county_with_departments["county"], role=Role.CENTRE_ADMIN, is_staff=True
    )


@pytest.fixture
def jobs_inline(settings, tmp_path):
    """Import jobs run at once, in the test, with uploads under a temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
