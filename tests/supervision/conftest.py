"""A county with one town and two villages, an agent at each village, a town manager, a
supervisor, and one item; exports run inline with files under a temporary media root."""

import pytest

from bangban.catalog import services as catalog_services
from bangban.org.models import Level, Role
from tests.factories import AgentFactory, UnitFactory, UserFactory


@pytest.fixture
def area(db):
    county = UnitFactory(name="测试县政务服务中心", code="C", level=Level.COUNTY)
    department = UnitFactory(
        name="县市场监督管理局", code="C-D", level=Level.DEPARTMENT, parent=county
    )
    town = UnitFactory(name="第1镇便民服务中心", code="C1", level=Level.TOWN, parent=county)
    villages = [
        UnitFactory(name=f"第1镇{n}村便民服务站", code=f"C1-{n}", level=Level.VILLAGE, parent=town)
        for n in (1, 2)
    ]
    agents = []
    for n, village in enumerate(villages, 1):
        user = UserFactory(username=f"village{n}", unit=village, role=Role.AGENT)
        AgentFactory(unit=village, user=user, name=f"村代办员{n}")
        agents.append(user)
    admin = UserFactory(unit=county, role=Role.CENTRE_ADMIN)
    items = [
        catalog_services.item_create(
            actor=admin,
            reason="新增",
            data={
                "name": name,
                "item_type": "行政许可",
                "target": "自然人",
                "assist_tiers": "县;乡;村",
                "proxy_tiers": "县;乡;村",
                "department": department.name,
                "promised_limit_days": 3,
            },
        )
        for name in ("个体工商户登记", "食品经营许可")
    ]
    return {
        "county": county,
        "town": town,
        "villages": villages,
        "agents": agents,
        "items": items,
        "manager": UserFactory(username="townmanager", unit=town, role=Role.MANAGER),
        "supervisor": UserFactory(username="supervisor", unit=county, role=Role.SUPERVISOR),
        "applicant": UserFactory(username="applicant", unit=None, role=Role.APPLICANT),
    }


@pytest.fixture
def exports_inline(settings, tmp_path):
    """Exports run at once, in the test, with their files under a temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
