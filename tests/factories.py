"""factory_boy factories shared by the test packages. Units get consistent tree paths; agents
get identifiers that pass their check digits."""

import random
from datetime import date

import factory

from bangban.core.crypto import blind_index
from bangban.core.identifiers import generate_id_number, generate_mobile
from bangban.org.models import Agent, Level, Role, Unit, User

TEST_PASSWORD = "Test@Pass2026"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    code = factory.Sequence(lambda n: f"U{n:05d}")
    level = Level.COUNTY
    parent = None
    path = factory.LazyAttribute(lambda o: f"{o.parent.path if o.parent else '/'}{o.code}/")
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    phone = "0914-6321001"
    address = "测试县人民路1号"


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"代办员{n}")
    id_number = factory.Sequence(lambda n: generate_id_number(random.Random(n)))
    id_number_index = factory.LazyAttribute(lambda o: blind_index(o.id_number, purpose="id_number"))
    phone = factory.Sequence(lambda n: generate_mobile(random.Random(n)))
    phone_index = factory.LazyAttribute(lambda o: blind_index(o.phone, purpose="phone"))
    public_phone = "0914-6321001"
    service_hours = "周一至周五 8:30-17:30"
    active_from = date(2026, 1, 5)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.AGENT
    unit = factory.SubFactory(UnitFactory)

    @classmethod
    def _create(cls, model_class, *args, password=TEST_PASSWORD, **kwargs):
        return model_class.objects.create_user(*args, password=password, **kwargs)


def county_tree():
    """A county with two towns of two villages each, a department, and one agent everywhere."""
    county = UnitFactory(name="测试县政务服务中心", code="C", level=Level.COUNTY)
    dept = UnitFactory(name="县市场监督管理局", code="C-D1", level=Level.DEPARTMENT, parent=county)
    towns, villages = [], []
    for t in (1, 2):
        town = UnitFactory(
            name=f"第{t}镇便民服务中心", code=f"C{t}", level=Level.TOWN, parent=county
        )
        towns.append(town)
        for v in (1, 2):
            villages.append(
                UnitFactory(
                    name=f"第{t}镇{v}村便民服务站",
                    code=f"C{t}-{v}",
                    level=Level.VILLAGE,
                    parent=town,
                )
            )
    agents = {u.code: AgentFactory(unit=u) for u in [county, dept, *towns, *villages]}
    return {"county": county, "dept": dept, "towns": towns, "villages": villages, "agents": agents}
