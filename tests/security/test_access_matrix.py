"""The access matrix (issue 9): every URL that names an object is tried by every role on an
object outside that role's scope, with every method, and must answer 403 or 404 without any of
the object's identifying data.

The endpoints are read from the URL configuration, and every case action from the workflow's
one transition table, so a new endpoint or a new action is tried as soon as it exists; a new
endpoint that the matrix cannot fill (it is neither in FILL nor in EXEMPT) fails
`test_every_object_endpoint_is_in_the_matrix`.

The data (tests/security/access_objects.py) is built once for the module inside an outer
transaction that is rolled back at the end; each test runs in a savepoint inside it."""

import re
import secrets as random_secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from bangban.cases.tokens import SALT, rating_issued_on, rating_token
from bangban.cases.workflow import RULES
from bangban.feedback.services import CODE_ALPHABET, CODE_LENGTH
from tests.security.access_objects import ACTORS, SEE_ALL, Area, World, build_world

# Endpoint discovery --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # the URL name with its namespace; "api:" before the names under /api/v1/
    parts: tuple[Any, ...]  # the patterns from the root, to build the path from
    kwargs: frozenset[str]
    api: bool

    def url(self, values: dict[str, Any]) -> str:
        return "/" + "".join(_fill(part, values) for part in self.parts)


def _fill_regex(regex: str, values: dict[str, Any]) -> str:
    """A regex pattern with its named groups replaced by the values (balanced parentheses)."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(str(values[name]))
            i = j
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] in "^$":
            i += 1
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _fill(part: Any, values: dict[str, Any]) -> str:
    if isinstance(part, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), str(part))
    assert isinstance(part, RegexPattern), part
    return _fill_regex(part._regex, values)


def _walk(patterns, parts=(), namespace="") -> Iterator[Endpoint]:
    for pattern in patterns:
        here = (*parts, pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, here, ns)
            continue
        assert isinstance(pattern, URLPattern)
        route = "".join(str(p) for p in here)
        kwargs = frozenset(
            name for p in here for name in p.regex.groupindex if name not in pattern.default_args
        )
        api = route.startswith("api/")
        name = pattern.name or f"route:{route}"
        if namespace:
            name = f"{namespace}:{name}"
        yield Endpoint(key=f"api:{name}" if api else name, parts=here, kwargs=kwargs, api=api)


def object_endpoints() -> dict[str, Endpoint]:
    """Every endpoint whose URL carries a key (the admin apart: see test_admin_*)."""
    found: dict[str, Endpoint] = {}
    for endpoint in _walk(get_resolver("bangban.config.urls").url_patterns):
        if endpoint.kwargs and not endpoint.key.startswith("admin:"):
            assert endpoint.key not in found, f"two endpoints named {endpoint.key}"
            found[endpoint.key] = endpoint
    return found


# What fills each endpoint -------------------------------------------------------------------

Fill = Callable[[Area], dict[str, Any]]


def _case(a: Area) -> dict[str, Any]:
    return {"pk": a.case.pk}


def _year_town(a: Area) -> dict[str, Any]:
    return {"year": a.assessment.year, "pk": a.assessment.pk}


# URL name → the keys of an object of the area. Role-wide pages that every actor of a role may
# read (the assessment's yearly ranking) list the roles entitled to them in ENTITLED.
FILL: dict[str, Fill] = {
    # The workbench.
    "cases:detail": _case,
    "cases:act": _case,  # the action comes from the workflow table: see ACT_PARAMS
    "cases:deficiency-receive": lambda a: {"pk": a.case.pk, "deficiency_pk": a.deficiency.pk},
    "cases:incident-resolve": lambda a: {"pk": a.case.pk, "incident_pk": a.incident.pk},
    "cases:booking-close": lambda a: {"pk": a.booking.pk},
    "cases:photo": lambda a: {"pk": a.case.pk, "photo_pk": a.photo.pk},
    # Documents: forms, signed scans, archive exports.
    "documents:form-pdf": lambda a: {"pk": a.case.pk, "kind": "acceptance_receipt"},
    "documents:form-docx": lambda a: {"pk": a.case.pk, "kind": "registration_personal"},
    "documents:form-subject-pdf": lambda a: {
        "pk": a.case.pk,
        "kind": "handover_list",
        "subject": "agent",
    },
    "documents:record": lambda a: {"pk": a.document.pk},
    "documents:scan-upload": lambda a: {"pk": a.document.pk},
    "documents:scan": lambda a: {"pk": a.scan.pk},
    "documents:archive-case": lambda a: {"pk": a.done_case.pk},
    "documents:archive-export": lambda a: {"pk": a.archive.pk},
    "documents:archive-download": lambda a: {"pk": a.archive.pk},
    # Supervision: the ledger's exports and the monthly reports.
    "supervision:ledger-export": lambda a: {"pk": a.ledger.pk},
    "supervision:ledger-download": lambda a: {"pk": a.ledger.pk},
    "supervision:monthly-pdf": lambda a: {"pk": a.monthly.pk},
    "supervision:monthly-xlsx": lambda a: {"pk": a.monthly.pk},
    # The assessment.
    "assessment:year": lambda a: {"year": a.finding.year},
    "assessment:ranking-pdf": lambda a: {"year": a.finding.year},
    "assessment:ranking-xlsx": lambda a: {"year": a.finding.year},
    "assessment:town": _year_town,
    "assessment:sheet-pdf": _year_town,
    "assessment:sheet-xlsx": _year_town,
    "assessment:finding-evidence": lambda a: {"pk": a.finding.pk},
    "assessment:finding-withdraw": lambda a: {"pk": a.finding.pk},
    # Complaints, obstacles, rectifications, callbacks.
    "feedback:complaint": lambda a: {"pk": a.complaint.pk},
    "feedback:complaint-route": lambda a: {"pk": a.complaint.pk},
    "feedback:complaint-conclude": lambda a: {"pk": a.complaint.pk},
    "feedback:obstacle": lambda a: {"pk": a.obstacle.pk},
    "feedback:rectification": lambda a: {"pk": a.rectification.pk},
    "feedback:rectification-evidence": lambda a: {
        "pk": a.rectification.pk,
        "evidence_pk": a.evidence.pk,
    },
    "feedback:sample": lambda a: {"pk": a.sample.pk},
    "notify:outbox-resend": lambda a: {"pk": a.outbox.pk},
    # The organisation.
    "unit-detail": lambda a: {"pk": a.village.pk},
    "agent-detail": lambda a: {"pk": a.agent.pk},
    "agent-reveal": lambda a: {"pk": a.agent.pk, "field": "id_number"},
    "activity-detail": lambda a: {"pk": a.activity.pk},
    # The catalog's staff pages: an item is the catalog of the deployment (public), but its
    # editing, its import jobs and a point's offer belong to the administrators of its county.
    "catalog-import-job": lambda a: {"pk": a.import_job.pk},
    "catalog-import-report": lambda a: {"pk": a.import_job.pk},
    "item-edit": lambda a: {"pk": a.item.pk},
    "point-catalog": lambda a: {"pk": a.village.pk},
    # The portal's pages for one applicant's case or booking: only the session that made it
    # (or verified its phone) opens them, never a visitor who knows the number.
    "portal-apply-done": lambda a: {"number": a.case.number},
    "portal-book-done": lambda a: {"code": a.booking.code},
    "portal-track-case": lambda a: {"number": a.case.number},
    # The API.
    "api:unit-detail": lambda a: {"pk": a.village.pk},
    "api:agent-detail": lambda a: {"pk": a.agent.pk},
    "api:agent-reveal": lambda a: {"pk": a.agent.pk},
    "api:api-case-milestone-done": lambda a: {"pk": a.case.pk, "milestone_id": a.milestone.pk},
    "api:api-case-task-decide": lambda a: {"pk": a.case.pk, "task_id": a.task.pk},
    "api:api-case-task-submit": lambda a: {"pk": a.case.pk, "task_id": a.task.pk},
    "api:api-case-task-urge": lambda a: {"pk": a.case.pk, "task_id": a.task.pk},
}
# Every other case route of the API takes the case alone (detail and every action).
API_CASE = re.compile(r"^api:api-case-[a-z-]+$")

ENTITLED: dict[str, set[str]] = {
    # The year's ranking and overview are the county centre's (assessment.READER_ROLES); the
    # town pages, sheets and findings below them are in the matrix for every role.
    "assessment:year": {"centre_admin"},
    "assessment:ranking-pdf": {"centre_admin"},
    "assessment:ranking-xlsx": {"centre_admin"},
    # The catalog is one for the whole deployment (SPEC §3) and its editors are the centre
    # administrators (catalog.services.CATALOG_ROLES): an item of any department, and the
    # import jobs of the whole catalog, are theirs. Every other role is tried.
    "item-edit": {"centre_admin"},
    "catalog-import-job": {"centre_admin"},
    "catalog-import-report": {"centre_admin"},
}

# Other answers that are refusals there.
EXTRA_OK: dict[str, set[int]] = {
    # The link in the applicant's SMS opens the look-up form with the number filled in and asks
    # for the phone; without a verified phone the case itself is never shown (its data is
    # checked like everywhere, and test_tracking_needs_a_live_verification checks the page).
    "portal-track-case": {200},
}

# Object-keyed endpoints the matrix does not try, each with the reason.
EXEMPT: dict[str, str] = {
    "roster": "public roster of a point's agents (公示): published on purpose",
    "guide": "public guide of a catalog item: published on purpose",
    "bundle-guide": "public guide of a bundle (一件事): published on purpose",
    "material-file": "public blank form or sample of a catalog material",
    "api:api-item-detail": "the public catalog through the API",
    "api:api-item-versions": "the public catalog's change history through the API",
    "api:api-item-version": "the public catalog's change history through the API",
    "api:api-bundle-detail": "the public catalog through the API",
    "item-versions": "the catalog's change history: public catalog data, no personal data",
    "item-version": "the catalog's change history: public catalog data, no personal data",
    "desk:register-check": "the key is a form field's name (live validation), not an object",
    "documents:flowchart-pdf": "a blank flowchart of a procedure, no case in it",
    "manual:pdf": "the user manual",
    "manual:image": "the user manual's screenshots (demo data)",
    "manual:chapter": "the user manual",
    "route:^media/(?P<path>agents/[\\w.-]+)$": "agents' photos, published on the public roster",
    "complaint-track": "the tracking code is the capability: test_guessed_ticket_codes",
    "obstacle-track": "the tracking code is the capability: test_guessed_ticket_codes",
    "portal-rate": "the signed token is the capability: test_rating_tokens",
}


def _fill_for(key: str) -> Fill | None:
    if key in FILL:
        return FILL[key]
    if API_CASE.match(key):
        return _case
    return None


ENDPOINTS = object_endpoints()
MATRIX = sorted(key for key in ENDPOINTS if key not in EXEMPT)
ACTIONS = [rule.action.value for rule in RULES]


def test_every_object_endpoint_is_in_the_matrix():
    """A new endpoint with an object in its URL must be filled here (or exempted, with the
    reason): that is what keeps the matrix complete."""
    unknown = [key for key in MATRIX if _fill_for(key) is None]
    assert not unknown, f"add these endpoints to FILL or EXEMPT: {unknown}"
    stale = sorted(set(FILL) - set(ENDPOINTS)) + sorted(set(EXEMPT) - set(ENDPOINTS))
    assert not stale, f"no such endpoint any more: {stale}"
    # The discovery sees the routes it must see: the case page, the API's case actions.
    assert {"cases:detail", "cases:act", "api:api-case-accept", "documents:scan"} <= set(MATRIX)
    assert len(ACTIONS) >= 20


# The data and the clients --------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once and rolled back at the end: each test runs in a savepoint inside."""
    media = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("access-media"),
        BANGBAN_PUBLIC_URL="https://bangban.example.gov.cn",
        LANGUAGE_CODE="zh-hans",
    )
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            # Sessions made inside the outer transaction, so every test finds them.
            for actor in world.users:
                client_of(world, actor, api=False)
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()


def client_of(world: World, actor: str, *, api: bool) -> Client:
    """A client signed in as the actor: with its API token, or with a session made once for the
    module (a login per test and actor would be most of the matrix's time)."""
    user = world.users[actor]
    if user is None:
        return Client()
    if api:
        return Client(HTTP_AUTHORIZATION=f"Token {world.tokens[actor]}")
    client = Client()
    if actor not in world.sessions:
        client.force_login(user)
        world.sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor]
    return client


WEB_METHODS = ("get", "post")
API_METHODS = ("get", "post", "put", "patch", "delete")
LOGIN = ("/login/", "/admin/login/")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + content.decode("utf-8", errors="replace")


def refusal_problem(
    response, actor: str, area: Area, *, extra_ok=(), typed: dict[str, Any] | None = None
) -> str | None:
    """Why the answer is not an acceptable refusal, or None. `typed`: the keys the requester
    put in the URL (a case number on the portal): a page may repeat them, they are not leaked."""
    status = response.status_code
    ok = {403, 404, *extra_ok}
    if actor == "anonymous":
        # Sent to sign in (web), or told to authenticate (API): nothing about the object.
        ok |= {401}
        if status == 302 and response["Location"].startswith(LOGIN):
            ok |= {302}
    # 405: the method itself is refused before any object is read (same for every key).
    ok |= {405}
    body = _body(response)
    echoed = {str(v) for v in (typed or {}).values()}
    leaked = [s for s in area.secrets if s in body and s not in echoed]
    if status not in ok:
        return f"status {status}"
    if leaked:
        return f"status {status} but shows {leaked}"
    return None


def _try_endpoint(world: World, key: str, action: str | None = None) -> list[str]:
    endpoint = ENDPOINTS[key]
    fill = _fill_for(key)
    assert fill is not None, f"{key} is neither in FILL nor in EXEMPT"
    problems = []
    statuses = set()
    for actor in ACTORS:
        if actor in ENTITLED.get(key, ()):
            continue
        area = world.target(actor)
        values = fill(area) | ({"action": action} if action else {})
        url = endpoint.url(values)
        client = client_of(world, actor, api=endpoint.api)
        for method in API_METHODS if endpoint.api else WEB_METHODS:
            if endpoint.api and method != "get":
                response = getattr(client, method)(url, "{}", content_type="application/json")
            else:
                response = getattr(client, method)(url)
            problem = refusal_problem(
                response, actor, area, extra_ok=EXTRA_OK.get(key, ()), typed=values
            )
            if problem:
                problems.append(f"{actor} {method.upper()} {url}: {problem}")
            if actor != "anonymous":
                statuses.add(response.status_code)
    # A signed-in actor must have reached the view's own check at least once: an endpoint
    # answered only "method not allowed" would be in the matrix without being tried.
    if not statuses & {403, 404, 400, *EXTRA_OK.get(key, ())}:
        problems.append(f"{key}: never reached the object's check ({sorted(statuses)})")
    return problems


@pytest.mark.parametrize("key", [k for k in MATRIX if k != "cases:act"])
def test_object_endpoint_refuses_outside_scope(world, db, key):
    problems = _try_endpoint(world, key)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("action", ACTIONS)
def test_case_action_refuses_outside_scope(world, db, action):
    """Every action of the workflow table, on the workbench's action pages."""
    problems = _try_endpoint(world, "cases:act", action)
    assert not problems, "\n".join(problems)


def test_the_matrix_can_tell_a_leak(world, db):
    """The same requests on an object inside the actor's scope are answered with its data: the
    refusals above are scoping, not a broken URL or a page that never shows anything."""
    near = world.near
    inside = Client()
    inside.force_login(near.agent_user)
    checks = {
        "cases:detail": _case(near),
        "documents:scan": {"pk": near.scan.pk},
        "feedback:complaint": {"pk": near.complaint.pk},
    }
    for key, values in checks.items():
        response = inside.get(ENDPOINTS[key].url(values))
        assert refusal_problem(response, "agent_village", near) is not None, key
    api = client_of(world, "agent_town", api=True)
    mine = Client(HTTP_AUTHORIZATION=f"Token {near.objects['token'].key}")
    url = ENDPOINTS["api:api-case-detail"].url(_case(near))
    assert mine.get(url).status_code == 200
    assert api.get(url).status_code == 404


# The Django admin ---------------------------------------------------------------------------

ADMIN_OBJECT = re.compile(r"^admin:(?P<app>[a-z_]+)_(?P<model>[a-z]+)_(?:change|history|delete)$")
# model → the object of the area, for the models whose rows belong to a unit.
ADMIN_FILL: dict[str, Callable[[Area], Any]] = {
    "org_unit": lambda a: a.village.pk,
    "org_agent": lambda a: a.agent.pk,
    "org_user": lambda a: a.agent_user.pk,
    "org_personnelchange": lambda a: a.personnel_change.pk,
    "core_event": lambda a: a.event.pk,
    "authtoken_tokenproxy": lambda a: a.objects["token"].key,
}
# Deployment-wide rows with no unit: the centre administrators are entitled to them; every
# other role is refused (tried with the first row, or an id that does not exist).
ADMIN_DEPLOYMENT_WIDE = {
    "auth_group",
    "org_staffingminimum",
    "catalog_coveragetarget",
    "core_calendaryear",
    "core_calendarday",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "django_tasks_database_dbtaskresult",
}


def admin_endpoints() -> list[Endpoint]:
    return [
        e
        for e in _walk(get_resolver("bangban.config.urls").url_patterns)
        if ADMIN_OBJECT.match(e.key)
    ]


def test_every_admin_model_is_in_the_matrix():
    models = {ADMIN_OBJECT.match(e.key).group(0).rsplit("_", 1)[0][6:] for e in admin_endpoints()}
    unknown = models - set(ADMIN_FILL) - ADMIN_DEPLOYMENT_WIDE
    assert not unknown, f"add these admin models to ADMIN_FILL or ADMIN_DEPLOYMENT_WIDE: {unknown}"
    assert {"org_user", "org_agent", "org_unit"} <= models


@pytest.mark.parametrize("key", sorted(e.key for e in admin_endpoints()))
def test_admin_refuses_outside_scope(world, db, key):
    """Change, history and delete pages of the admin, for every role but the system
    administrator: the centre administrator (who is Django staff) on another county's rows,
    everyone else on any row. Django's admin answers a signed-in user without access with a
    redirect to its login page, and a row outside the queryset with a redirect to its index:
    both without the row's data."""
    endpoint = next(e for e in admin_endpoints() if e.key == key)
    model = key[len("admin:") :].rsplit("_", 1)[0]
    problems = []
    for actor in [*ACTORS, "supervisor"]:
        if actor == "centre_admin" and model in ADMIN_DEPLOYMENT_WIDE:
            continue
        area = world.far if actor in ("centre_admin", "supervisor") else world.target(actor)
        object_id = ADMIN_FILL[model](area) if model in ADMIN_FILL else 1
        url = endpoint.url({"object_id": object_id})
        client = client_of(world, actor, api=False)
        for method in WEB_METHODS:
            response = getattr(client, method)(url)
            admin_redirect = response.status_code == 302 and response["Location"].startswith(
                ("/admin/login/", "/admin/")
            )
            problem = None if admin_redirect else refusal_problem(response, actor, area)
            if admin_redirect and any(s in _body(response) for s in area.secrets):
                problem = "redirect that shows the row's data"
            if problem:
                problems.append(f"{actor} {method.upper()} {url}: {problem}")
    assert not problems, "\n".join(problems)


def test_admin_opens_for_the_centre_inside_its_county(world, db):
    """The control of the admin test: the same page opens for a row of the admin's county."""
    admin = Client()
    admin.force_login(world.near.admin)
    endpoint = next(e for e in admin_endpoints() if e.key == "admin:org_agent_change")
    response = admin.get(endpoint.url({"object_id": world.near.agent.pk}))
    assert response.status_code == 200
    assert world.near.agent.name in response.content.decode()


# The portal's tokens ----------------------------------------------------------------------


def _rate_url(number: str) -> str:
    return ENDPOINTS["portal-rate"].url({"number": number})


def test_rating_tokens(world, db):
    """一事一评 links: a guessed token of the right shape, an expired one, an altered one and
    another case's are refused (400) without the case's data and never with a 500; the case's
    own current token opens the page (the control)."""
    case = world.near.case  # not rated yet: its own link opens the form
    other = world.far.case
    signer = signing.Signer(salt=SALT)
    issued = rating_issued_on(case)
    days = settings.BANGBAN_RATING_LINK_DAYS
    real = rating_token(case)
    payload = real.rsplit(":", 1)[0]
    expired = signer.sign_object(
        {"n": case.number, "d": (issued - timedelta(days=days + 1)).isoformat()}, compress=False
    )
    refused = {
        "guessed": f"{payload}:{random_secrets.token_urlsafe(32)[:43]}",
        "random": random_secrets.token_urlsafe(60),
        "expired": expired,
        "altered": payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + real[len(payload) :],
        "another case's": rating_token(other),
        "empty": "",
    }
    client = Client()
    for label, token in refused.items():
        for method in WEB_METHODS:
            data = {"t": token, "level": "5"}
            response = (
                client.get(_rate_url(case.number), {"t": token})
                if method == "get"
                else client.post(_rate_url(case.number), data)
            )
            problem = refusal_problem(
                response, "anonymous", world.near, extra_ok={400}, typed={"number": case.number}
            )
            assert problem is None, f"{label} token, {method}: {problem}"
    # Expired is said as such, in Chinese.
    response = client.get(_rate_url(case.number), {"t": expired})
    assert "过期" in response.content.decode() or "失效" in response.content.decode()
    # The control: the real token opens the rating page of its case (masked, still).
    response = client.get(_rate_url(case.number), {"t": real})
    assert response.status_code == 200
    assert case.number in response.content.decode()
    assert world.near.objects["case"].id_number not in response.content.decode()
    # The link's age is counted from the end of the service; just inside the limit it works.
    edge = signer.sign_object(
        {"n": case.number, "d": (timezone.localdate() - timedelta(days=days)).isoformat()},
        compress=False,
    )
    assert client.get(_rate_url(case.number), {"t": edge}).status_code == 200


def test_guessed_ticket_codes(world, db):
    """A complaint's or obstacle's tracking code of the right shape but never issued answers
    404 (no 500); the real code opens its page without the contact's full phone."""
    client = Client()
    for kind, ticket in (("complaint", world.near.complaint), ("obstacle", world.near.obstacle)):
        endpoint = ENDPOINTS[f"{kind}-track"]
        for _ in range(3):
            guess = "".join(random_secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if guess == ticket.code:
                continue
            response = client.get(endpoint.url({"code": guess}))
            assert refusal_problem(response, "anonymous", world.near) is None, (kind, guess)
            assert response.status_code == 404
        for odd in ("../../etc", "x" * 200, "%00"):
            assert client.get(endpoint.url({"code": odd})).status_code == 404
        response = client.get(endpoint.url({"code": ticket.code}))
        assert response.status_code == 200
        body = response.content.decode()
        assert ticket.code in body
        assert ticket.contact_phone not in body


def test_tracking_needs_a_live_verification(world, db):
    """A case's tracking page opens for a session whose phone was verified for that case, and
    not once that verification has expired, nor for a guessed case number."""
    import time

    from bangban.portal import views_public

    case = world.near.case
    url = ENDPOINTS["portal-track-case"].url({"number": case.number})
    client = Client()
    session = client.session
    session[views_public.PHONE] = {"phone": case.phone, "until": time.time() + 600}
    session.save()
    live = client.get(url)
    assert live.status_code == 200 and case.number in live.content.decode()
    session[views_public.PHONE] = {"phone": case.phone, "until": time.time() - 1}
    session.save()
    stale = client.get(url)
    body = stale.content.decode()
    assert stale.status_code in (200, 403, 404)
    # The look-up form (it may repeat the typed number), never the case's own data.
    assert case.applicant_name not in body and case.phone not in body
    assert "track_case" not in " ".join(t.name for t in stale.templates if t.name)
    guessed = case.number[:-4] + f"{(int(case.number[-4:]) + 7) % 10000:04d}"
    response = client.get(ENDPOINTS["portal-track-case"].url({"number": guessed}))
    assert response.status_code in (200, 404)
    assert case.applicant_name not in response.content.decode()


def test_see_all_roles_are_listed():
    """The roles the matrix does not act as on objects are those that see everything."""
    from bangban.org.scoping import SEE_EVERYTHING

    assert set(SEE_ALL.values()) == SEE_EVERYTHING


def test_odd_keys_are_not_a_500(world, db):
    """Every key of every URL that takes text (case numbers, codes, slugs, names), given a NUL
    byte, a very long value or markup, is answered without a server error (PostgreSQL refuses
    NUL in text: a key that reaches a query unchecked was a 500 there)."""
    odd = ["%00", "a%00b", "x" * 300, "%3Cscript%3E", "..%2F..%2Fetc"]
    text_keys = {"number", "code", "kind", "subject", "field", "action", "name", "slug", "path"}
    problems = []
    # A server error is answered (500), not raised into the test, so that all are listed.
    staff = Client(raise_request_exception=False)
    staff.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["centre_admin"]
    anonymous = Client(raise_request_exception=False)
    for key, endpoint in sorted(ENDPOINTS.items()):
        keys = endpoint.kwargs & text_keys
        if not keys:
            continue
        fill = _fill_for(key)
        base = fill(world.near) if fill else {}
        base = {k: base.get(k, 1) for k in endpoint.kwargs}
        for name in keys:
            for value in odd:
                url = endpoint.url(base | {name: value})
                for client in (anonymous, staff):
                    for method in WEB_METHODS:
                        response = getattr(client, method)(url)
                        if response.status_code >= 500:
                            problems.append(f"{method.upper()} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_lists_keep_to_the_county(world, db):
    """The lists behind the keyed pages found in the matrix (outbox, findings) show a centre
    administrator their own county only, and a finding cannot be recorded for another county's
    town; the supervisor, who sees everything, still sees both."""
    from bangban.assessment import services as assessment_services
    from bangban.core.errors import PermissionDenied

    admin = client_of(world, "centre_admin", api=False)
    supervisor = client_of(world, "supervisor", api=False)
    year = world.far.finding.year
    for url in ("/notify/outbox/", f"/assessment/findings/?year={year}"):
        mine = admin.get(url)
        assert mine.status_code == 200, url
        body = mine.content.decode()
        assert world.far.finding.description not in body
        assert world.far.outbox.text not in body and world.far.case.number not in body
        assert world.far.case.number in supervisor.get(url).content.decode() or "findings" in url
    assert (
        world.far.finding.description
        in supervisor.get(f"/assessment/findings/?year={year}").content.decode()
    )
    with pytest.raises(PermissionDenied):
        assessment_services.finding_record(
            actor=world.users["centre_admin"],
            unit=world.far.town,
            year=year,
            found_on=timezone.localdate(),
            kind=world.far.finding.kind,
            description="越权记录",
            evidence=None,
        )
