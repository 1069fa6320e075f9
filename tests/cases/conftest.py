"""The case tests reuse the catalog's fixtures (a county with departments, a catalog admin)."""

from tests.catalog.conftest import catalog_admin, county_with_departments, demo_catalog

__all__ = ["catalog_admin", "county_with_departments", "demo_catalog"]
