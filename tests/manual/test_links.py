"""Every staff screen links to its chapter of the manual, and the link works.

Which URLs are staff screens is derived from the URL configuration (get_resolver()), by the
rule written in bangban/manual/links.py: every named URL except those under api/, admin/,
public/ (the portal), help/ (the manual itself), static and media files, sign-in and sign-out,
URLs ending in a file name (downloads), and the NOT_SCREENS of links.py (posts, fragments,
files). A new staff screen without a help link fails here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from bangban.cases.workflow import State
from bangban.manual.chapters import BY_SLUG
from bangban.manual.links import HELP_LINKS, NOT_SCREENS, chapter_slug
from bangban.org.models import Role
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

EXCLUDED_PREFIXES = ("api/", "admin/", "public/", "help/", "static/", "media/")
EXCLUDED_NAMES = {"login", "logout"}
DOWNLOAD = re.compile(r"\.(pdf|xlsx|docx|zip|csv)$")


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield route, name


def staff_url_names() -> dict[str, str]:
    """URL name → route of every staff screen (the rule above, NOT_SCREENS not yet removed)."""
    names = {}
    for route, name in _walk(get_resolver()):
        if route.startswith(EXCLUDED_PREFIXES) or name in EXCLUDED_NAMES:
            continue
        if DOWNLOAD.search(route.rstrip("/")):
            continue
        assert name, f"the staff URL {route!r} has no name, so it cannot have a help link"
        names[name] = route
    return names


def test_the_rule_sees_the_known_screens():
    names = staff_url_names()
    for name in ("home", "cases:workbench", "cases:detail", "supervision:overdue", "catalog-list"):
        assert name in names
    for name in ("api-schema", "portal-home", "login", "manual:index", "documents:form-pdf"):
        assert name not in names


def test_every_staff_screen_has_a_help_link():
    names = staff_url_names()
    missing = sorted(set(names) - set(HELP_LINKS) - set(NOT_SCREENS))
    assert not missing, (
        "Staff screens without a help link (add them to HELP_LINKS, or to NOT_SCREENS with the "
        f"reason, in bangban/manual/links.py): {missing}"
    )


def test_no_stale_or_double_entries():
    names = staff_url_names()
    assert not set(HELP_LINKS) & set(NOT_SCREENS)
    stale = sorted((set(HELP_LINKS) | set(NOT_SCREENS)) - set(names))
    assert not stale, f"links.py names URLs that are not staff screens (any more): {stale}"


def test_every_link_target_is_a_chapter():
    for name, target in HELP_LINKS.items():
        targets = [target] if isinstance(target, str) else list(target.values())
        assert isinstance(target, str) or "" in target, f"{name}: a role dict needs a '' default"
        for slug in targets:
            assert slug in BY_SLUG, f"{name} links to the unknown chapter {slug!r}"


def role_targets():
    """(role, slug) of every link: for a role dict, each role it names and one it does not."""
    pairs = set()
    for target in HELP_LINKS.values():
        if isinstance(target, str):
            pairs.add((BY_SLUG[target].roles[0], target))
            continue
        for role, slug in target.items():
            if role:
                pairs.add((role, slug))
        staff = (Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN, Role.SUPERVISOR)
        other = next((r for r in (*staff, Role.SYSADMIN) if r not in target), None)
        if other is not None:
            pairs.add((other, target[""]))
    return sorted(pairs)


@pytest.fixture
def world(db):
    tree = county_tree()
    village, town = tree["villages"][0], tree["towns"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name="个体工商户登记", limit_days=1)
    users = {
        Role.AGENT: UserFactory(unit=village, role=Role.AGENT, full_name="李帮办"),
        Role.MANAGER: UserFactory(unit=town, role=Role.MANAGER),
        Role.LIAISON: UserFactory(unit=tree["dept"], role=Role.LIAISON),
        Role.CENTRE_ADMIN: admin,
        Role.SUPERVISOR: UserFactory(unit=tree["county"], role=Role.SUPERVISOR),
        Role.SYSADMIN: UserFactory(unit=None, role=Role.SYSADMIN),
        Role.APPLICANT: UserFactory(unit=None, role=Role.APPLICANT),
    }
    AgentFactory(unit=village, user=users[Role.AGENT], name="李帮办")
    return {**tree, "item": item, "users": users}


def test_each_link_target_answers_with_its_chapter(client, world):
    # One test for all pairs: the world is built once.
    for role, slug in role_targets():
        client.force_login(world["users"][role])
        response = client.get(reverse("manual:chapter", args=[slug]))
        assert response.status_code == 200, (role, slug)
        body = response.content.decode()
        chapter = BY_SLUG[slug]
        assert chapter.title in body, (role, slug)
        assert chapter.heading() in body, (role, slug)


def _help_link(response) -> str:
    found = re.search(r'<a href="([^"]+)" data-testid="help-link">', response.content.decode())
    assert found, "the page has no help link"
    return found[1]


def _assert_links_to_chapter(client, response, slug):
    assert response.status_code == 200
    href = _help_link(response)
    match = resolve(href)
    assert match.view_name == "manual:chapter"
    assert match.kwargs["slug"] == slug
    assert client.get(href).status_code == 200


@pytest.mark.parametrize(
    ("role", "slug"),
    [(Role.AGENT, "agent"), (Role.LIAISON, "liaison"), (Role.MANAGER, "manager")],
)
def test_the_workbench_links_to_the_chapter_of_the_role(client, world, role, slug):
    client.force_login(world["users"][role])
    response = client.get(reverse("cases:workbench"))
    _assert_links_to_chapter(client, response, slug)


def test_real_staff_pages_link_to_their_chapter(client, world):
    agent = world["users"][Role.AGENT]
    case = case_in_state(State.IN_PROGRESS, actor=agent, items=[world["item"]])
    client.force_login(agent)
    _assert_links_to_chapter(client, client.get(reverse("cases:detail", args=[case.pk])), "agent")

    client.force_login(world["users"][Role.MANAGER])
    _assert_links_to_chapter(client, client.get(reverse("supervision:overdue")), "manager")

    client.force_login(world["users"][Role.CENTRE_ADMIN])
    _assert_links_to_chapter(client, client.get(reverse("catalog-list")), "admin")
    _assert_links_to_chapter(client, client.get(reverse("supervision:overdue")), "admin")


def test_the_portal_links_to_the_citizen_chapter_and_help_is_in_the_menu(client, db):
    response = client.get(reverse("portal-home"))
    _assert_links_to_chapter(client, response, "citizen")
    assert f'href="{reverse("manual:index")}"' in response.content.decode()


def test_the_help_pages_have_no_link_to_themselves(client, db):
    response = client.get(reverse("manual:index"))
    assert response.status_code == 200
    assert 'data-testid="help-link"' not in response.content.decode()


def test_role_dicts_resolve_per_role():
    assert chapter_slug("cases:workbench", Role.LIAISON) == "liaison"
    assert chapter_slug("cases:workbench", Role.MANAGER) == "manager"
    assert chapter_slug("cases:workbench", Role.AGENT) == "agent"
    assert chapter_slug("cases:workbench", None) == "agent"
    assert chapter_slug("catalog-excel", Role.AGENT) == "admin"
    assert chapter_slug("no-such-page", Role.AGENT) is None
