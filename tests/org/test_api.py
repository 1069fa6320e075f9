"""The units and agents API against its schema, where the fuzzed-API test found them apart."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db


def test_a_county_has_no_parent_and_the_schema_says_it_may_be_null():
    """The county's `parent` is null, which the schema typed as a plain string."""
    tree = county_tree()
    client = APIClient()
    client.force_authenticate(UserFactory(unit=tree["county"], role=Role.SUPERVISOR))
    county = client.get(f"/api/v1/units/{tree['county'].pk}/")
    assert county.status_code == 200
    assert county.json()["parent"] is None
    town = client.get(f"/api/v1/units/{tree['towns'][0].pk}/").json()
    assert town["parent"] == tree["county"].code
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parent = schema["components"]["schemas"]["Unit"]["properties"]["parent"]
    assert parent["type"] == "string" and parent["nullable"] is True


@pytest.mark.parametrize(
    "path", ["/api/v1/agents/x/", "/api/v1/units/x/", "/api/v1/agents/x/reveal/"]
)
def test_an_id_that_is_not_a_number_is_a_404_not_a_500(path):
    """The id reached the lookup (`int('x')`) and failed with a 500."""
    tree = county_tree()
    client = APIClient()
    client.force_authenticate(UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN))
    response = client.post(path) if path.endswith("reveal/") else client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_a_nul_character_in_a_list_filter_is_no_database_error():
    """PostgreSQL refuses a NUL character in a query: found by the fuzzed API, the agents'
    search (`q`) and the units' `level` failed there with a 500."""
    from django.utils.translation import gettext

    tree = county_tree()
    client = APIClient()
    client.force_authenticate(UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN))
    agents = client.get("/api/v1/agents/", {"q": "代办\x00员"})
    assert agents.status_code == 200
    assert agents.json()["count"] == len(tree["agents"])  # the search is 代办员
    level = client.get("/api/v1/units/", {"level": "town\x00"})
    assert level.status_code == 400
    assert level.json()["field"] == "level"
    message = gettext("The level (level) must be one of: %(levels)s.") % {
        "levels": "region, county, town, village, department, outlet"
    }
    assert level.json()["detail"] == message
    towns = client.get("/api/v1/units/", {"level": "town"}).json()
    assert {unit["code"] for unit in towns["results"]} == {"C1", "C2"}


@pytest.mark.parametrize("body", ["true", "[1]", '"phone"', "null"])
def test_a_reveal_whose_body_is_no_object_is_a_400(body):
    """Found by the fuzzed API: a JSON body that is not an object (`true`) was read with
    `.get` and failed with a 500."""
    from django.utils.translation import gettext

    from bangban.core.models import Event

    tree = county_tree()
    client = APIClient()
    client.force_authenticate(UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN))
    agent = tree["agents"]["C1"]
    url = f"/api/v1/agents/{agent.pk}/reveal/"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "field"
    assert response.json()["detail"] == gettext("This field cannot be revealed.")
    assert not Event.objects.filter(action="personal_data.reveal").exists()
    shown = client.post(url, {"field": "phone"}, format="json")
    assert shown.status_code == 200 and shown.json()["value"] == agent.phone
