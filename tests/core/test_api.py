"""The API's shared plumbing (core.api, core.api_schema), as the fuzzed-API test found it
wanting: every error answer has one shape (`detail` in Chinese and `code`), a wrong page is a
400 rather than a 404 of the whole list, an address under /api/ that no route matches answers
JSON, and the schema declares the error answers the API gives."""

import re

import pytest
from django.utils.translation import gettext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangban.org.models import Role
from tests.factories import TEST_PASSWORD, UserFactory, county_tree

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def tree():
    return county_tree()


@pytest.fixture
def admin_client(tree):
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, password=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client


def assert_error(response, status: int, code: str, message: str = "") -> dict:
    """The error body: one message, Chinese (or `message`, where the msgid is new and its
    translation is added to the catalogue with it), and the code."""
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str), body
    if message:
        assert body["detail"] == message, body
    else:
        assert HAN.search(body["detail"]), body
    return body


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "true"])
def test_a_page_that_is_not_a_number_or_is_past_the_last_is_a_400(admin_client, page):
    """DRF answered 404 (“无效页面”), which the schema did not declare and which reads as if
    the list did not exist."""
    message = gettext("There is no such page: give page as a whole number from 1 to the last page.")
    response = admin_client.get("/api/v1/units/", {"page": page})
    body = assert_error(response, 400, "ValidationFailed", message)
    assert body["field"] == "page"
    assert admin_client.get("/api/v1/units/", {"page": 1}).status_code == 200


def test_every_error_of_the_framework_has_the_shape_of_the_domain_errors(admin_client, tree):
    """A body that is not JSON answered `{"detail": …}` without the `code` the schema
    requires; a DRF ValidationError (the token endpoint's) a dict of lists."""
    not_json = admin_client.post(
        "/api/v1/meetings/", data="{not json", content_type="application/json"
    )
    assert_error(not_json, 400, "ParseError")
    wrong_media = admin_client.post("/api/v1/meetings/", data="x", content_type="text/plain")
    assert_error(wrong_media, 415, "UnsupportedMediaType")

    wrong_token = APIClient()
    wrong_token.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert_error(wrong_token.get("/api/v1/units/"), 401, "AuthenticationFailed")
    assert_error(APIClient().get("/api/v1/units/"), 401, "NotAuthenticated")

    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "wrong"}, format="json"
    )
    body = assert_error(refused, 400, "ValidationFailed")
    assert "field" not in body  # the credentials as a whole, not one field
    assert body["errors"]["non_field_errors"] == [body["detail"]]
    missing = APIClient().post("/api/v1/auth/token/", {"username": "nobody"}, format="json")
    assert assert_error(missing, 400, "ValidationFailed")["field"] == "password"

    person = UserFactory(unit=tree["county"], role=Role.AGENT)
    issued = APIClient().post(
        "/api/v1/auth/token/", {"username": person.username, "password": TEST_PASSWORD}
    )
    assert issued.status_code == 200
    assert issued.json() == {"token": Token.objects.get(user=person).key}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agents/%C2%9D%F1%8B%A0%B2%C2%AF/",  # a 500 before: the id reached the lookup
        "/api/v1/units/abc/",
        "/api/v1/cases/abc/accept/",
        "/api/v1/items/1.5/",
        "/api/v1/no-such-list/",
    ],
)
def test_an_api_address_no_route_matches_answers_json(admin_client, path):
    """Django's HTML 404 page is no answer for an API client, and the schema says JSON."""
    assert_error(admin_client.get(path), 404, "NotFound")


@pytest.mark.parametrize("path", ["/api/v1/units/99999999999999999999999/", "/api/v1/agents/0/"])
def test_an_id_that_is_a_number_of_no_object_is_a_json_404(admin_client, path):
    assert_error(admin_client.get(path), 404, "NotFound")


def test_outside_the_api_a_missing_page_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_declares_the_error_answers_the_api_gives():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]

    def codes(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"200", "401", "403", "404"} <= codes("/api/v1/units/{id}/", "get")
    assert "400" in codes("/api/v1/units/", "get")  # the page
    assert {"400", "401", "415"} <= codes("/api/v1/auth/token/", "post")
    assert {"201", "400", "401", "403", "415"} <= codes("/api/v1/meetings/", "post")
    # Only what can happen: anyone reads the catalog, the due date reads no credentials.
    assert "403" not in codes("/api/v1/items/", "get")
    assert codes("/api/v1/calendar/due-date", "get") == {"200", "400"}
    error = paths["/api/v1/units/{id}/"]["get"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
    assert set(schema["components"]["schemas"]["ApiError"]["required"]) == {"detail", "code"}
