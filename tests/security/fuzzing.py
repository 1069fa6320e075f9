"""Fuzzing the JSON API with schemathesis, shared by the CI test (`test_api_fuzz.py`, a few
examples per operation) and `make fuzz` (`scripts/fuzz.py`, many more, results written to
bench/results/).

The schema is the one the API publishes (/api/v1/schema/), loaded through the Django WSGI
application itself; every request goes through the whole Django stack in this process. Each
operation is called as each role, with a token from /api/v1/auth/token/, and without any
credentials, on a county with cases in every stage of the workflow: the generated path
parameters are mixed with the ids of real cases, tasks, milestones, items, bundles, units and
agents, and a generated case `revision` is often replaced by the case's current one, so that
the requests get past the lookups and the stale-revision check into the services. Both valid
(positive) and invalid (negative) data are sent.

A request must never answer 5xx, and what it answers must be what the schema says: a declared
status code, a declared content type and a body matching the declared shape. Each example runs
in a savepoint that is rolled back, so that every example meets the same county and a failure
replays exactly."""

import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from bangban.cases import services as case_services
from bangban.cases.models import Case, Milestone, Task
from bangban.cases.workflow import State
from bangban.catalog import services as catalog_services
from bangban.catalog.models import Bundle, Item, ItemVersion
from bangban.org.models import Agent, Role, Unit, User
from tests.cases.api_helpers import case_in, make_world
from tests.cases.factories import item_of
from tests.factories import TEST_PASSWORD, AgentFactory, UnitFactory, UserFactory, county_tree

SCHEMA_URL = "/api/v1/schema/"
TOKEN_URL = "/api/v1/auth/token/"
ANONYMOUS = "anonymous"
# Every role, and no one: without a token every operation must still answer as declared.
ROLES: tuple[str, ...] = (*Role.values, ANONYMOUS)
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
CHECK_NAMES = [check.__name__ for check in CHECKS]
# Every stage a case passes through; the task and milestone actions need a started case.
CASE_STATES = (
    State.REGISTERED,
    State.AWAITING_MATERIALS,
    State.REFUSED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.PAUSED,
    State.TERMINATED,
    State.COMPLETED,
    State.DELIVERED,
    State.ARCHIVED,
)


# --- the county --------------------------------------------------------------------------------


def build_world() -> dict[str, Any]:
    """The test county with a user of every role, two items and a bundle, a case in every
    state, a consultation and a meeting, and a unit and agent of another county (which every
    role of this one must be refused)."""
    tree = county_tree()
    county, town, village = tree["county"], tree["towns"][0], tree["villages"][0]
    admin = UserFactory(unit=county, role=Role.CENTRE_ADMIN, full_name="中心管理员")
    world = make_world(tree, admin)
    second = item_of(tree["dept"], actor=admin, name="个体工商户登记", limit_days=3)
    catalog_services.item_update(
        actor=admin, item=second, reason="调整时限", data={"promised_limit_days": 2}
    )
    world["bundle"] = catalog_services.bundle_save(
        actor=admin,
        name="开办餐饮店一件事",
        members=[world["licence"], second],
        lead_department=tree["dept"],
    )
    world["cases"] = {state: case_in(world, state) for state in CASE_STATES}
    now = timezone.now()
    case_services.consultation_log(
        actor=world["agent_user"],
        unit=village,
        channel="window",
        asker="王先生",
        topic="食品经营许可要哪些材料",
        answer="已告知材料清单",
        phone="13912345678",
        item=world["licence"],
        occurred_at=now - timedelta(hours=1),
    )
    case_services.meeting_record(
        actor=world["manager"],
        unit=town,
        kind="on_site",
        held_at=now - timedelta(hours=2),
        attendees="镇长、市场监管所",
        issues="食品经营许可进度",
        decisions="三日内完成现场核查",
        cases=[world["cases"][State.IN_PROGRESS]],
    )
    other_county = UnitFactory(name="邻县政务服务中心", level="county")
    world["outside_agent"] = AgentFactory(unit=other_county)
    world["users"] = {
        Role.APPLICANT: UserFactory(unit=None, role=Role.APPLICANT),
        Role.AGENT: world["agent_user"],
        Role.LIAISON: world["liaison"],
        Role.MANAGER: world["manager"],
        Role.CENTRE_ADMIN: admin,
        Role.SUPERVISOR: UserFactory(unit=county, role=Role.SUPERVISOR),
        Role.SYSADMIN: UserFactory(unit=county, role=Role.SYSADMIN, is_staff=True),
    }
    return world


def path_pools(world: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Real path parameters by the schema's path template (matched by prefix): the generated
    ones alone would meet nothing but 404s."""
    case_ids = [{"id": case.pk} for case in world["cases"].values()]
    tasks = Task.objects.filter(case__in=world["cases"].values()).order_by("pk")
    milestones = Milestone.objects.filter(plan__case__in=world["cases"].values()).order_by("pk")
    items = list(Item.objects.order_by("pk").values_list("pk", flat=True))
    versions = ItemVersion.objects.order_by("item_id", "number").values_list("item_id", "number")
    return {
        "/api/v1/cases/{id}/tasks/": [{"id": t.case_id, "task_id": t.pk} for t in tasks],
        "/api/v1/cases/{id}/milestones/": [
            {"id": m.plan.case_id, "milestone_id": m.pk} for m in milestones
        ],
        "/api/v1/cases/{id}/": case_ids,
        "/api/v1/items/{id}/versions/{number}/": [
            {"id": item, "number": number} for item, number in versions
        ],
        "/api/v1/items/{id}/": [{"id": pk} for pk in items],
        "/api/v1/bundles/{id}/": [{"id": pk} for pk in Bundle.objects.values_list("pk", flat=True)],
        "/api/v1/units/{id}/": [
            {"id": pk} for pk in Unit.objects.order_by("pk").values_list("pk", flat=True)
        ],
        "/api/v1/agents/{id}/": [
            {"id": pk} for pk in Agent.objects.order_by("pk").values_list("pk", flat=True)
        ],
    }


def pool_for(path: str, pools: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The longest template prefix's pool: /cases/{id}/tasks/… before /cases/{id}/…"""
    for prefix in sorted(pools, key=len, reverse=True):
        if path.startswith(prefix):
            return pools[prefix]
    return []


# --- the application ---------------------------------------------------------------------------


_kept = [0]


@contextmanager
def connection_kept() -> Iterator[None]:
    """Django closes the database connection at the start and end of every request; in a test
    (and between the savepoints here) that would end the transaction the examples run in. The
    test client does the same while it serves a request. Nestable."""
    if not _kept[0]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
    _kept[0] += 1
    try:
        yield
    finally:
        _kept[0] -= 1
        if not _kept[0]:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@contextmanager
def server_errors() -> Iterator[list[str]]:
    """The tracebacks of the exceptions the requests raised (a 500 answer hides them)."""
    caught: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        caught.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(record)


def load_schema(app: WSGIHandler) -> Any:
    with connection_kept():
        return schemathesis.openapi.from_wsgi(SCHEMA_URL, app)


def token_for(app: WSGIHandler, user: User) -> str:
    """A token obtained as an integrator does, through the token endpoint."""
    response = Client(app).post(
        TOKEN_URL, data={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_json()["token"]
    assert Token.objects.filter(user=user, key=token).exists()
    return token


def role_user(world: dict[str, Any], role: str) -> User:
    user = world["users"][role]
    # The county's users are made without a usable password where the case helpers made them.
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


# --- the fuzzing -------------------------------------------------------------------------------


@dataclass
class OperationReport:
    role: str
    operation: str
    calls: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "operation": self.operation,
            "calls": self.calls,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "failures": self.failures,
            "seconds": round(self.seconds, 2),
        }


def _strategy(operation: Any, pools: dict[str, list[dict[str, Any]]]) -> Any:
    """Valid and invalid requests, at generated paths and (mostly) at real ones."""
    fixed = pool_for(operation.path, pools)
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(mode))
        strategies.extend(operation.as_strategy(mode, path_parameters=p) for p in fixed)
    return st.one_of(strategies)


def _current_revision(case: Any, data: Any) -> None:
    """Often replace a generated `revision` by the case's own, so that the action's other
    fields reach the service instead of the stale-revision refusal."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(case.path_parameters, dict):
        return
    pk = case.path_parameters.get("id")
    if "revision" not in body or not isinstance(pk, int):
        return
    revision = Case.objects.filter(pk=pk).values_list("revision", flat=True).first()
    if revision is not None and data.draw(st.booleans(), label="current revision"):
        body["revision"] = revision


def _describe(
    case: Any, response: Any, error: BaseException, tracebacks: list[str], authorized: bool
) -> dict:
    failure = {
        "checks": sorted(
            {getattr(f, "title", type(f).__name__) for f in getattr(error, "exceptions", [error])}
        ),
        "message": str(error)[:3000],
        "request": {
            "method": case.method.upper(),
            "path": case.formatted_path,
            "query": case.query,
            "media_type": case.media_type,
            "body": case.body if _jsonable(case.body) else repr(case.body),
        },
        "curl": case.as_curl_command(
            headers={"Authorization": "Token <the role's token>"} if authorized else None
        ),
        "status": response.status_code,
        "response": response.text[:1000],
    }
    if tracebacks:
        failure["traceback"] = tracebacks[-1][-3000:]
    return failure


def _jsonable(value: Any) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def fuzz_operation(
    operation: Any,
    *,
    role: str,
    token: str | None,
    pools: dict[str, list[dict[str, Any]]],
    examples: int,
    seed: int | None = None,
) -> OperationReport:
    """Run `examples` generated requests (and the shrinking of any failure) as one role."""
    report = OperationReport(role=role, operation=operation.label)
    headers = {"Authorization": f"Token {token}"} if token else {}
    strategy = _strategy(operation, pools)
    found: dict[tuple, dict[str, Any]] = {}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=True,
    )
    @given(data=st.data())
    def run(data: Any) -> None:
        case = data.draw(strategy, label="request")
        _current_revision(case, data)
        with server_errors() as tracebacks, transaction.atomic():
            try:
                response = case.call(headers=headers)
                report.calls += 1
                report.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=list(CHECKS), headers=headers)
                except BaseException as error:  # schemathesis's FailureGroup is one
                    failure = _describe(case, response, error, tracebacks, bool(token))
                    # The last one recorded under a key is hypothesis's shrunk example.
                    found[(response.status_code // 100, *failure["checks"])] = failure
                    raise
            finally:
                transaction.set_rollback(True)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    started = time.monotonic()
    try:
        run()
    except BaseException as error:  # every failure is reported, none lost
        if isinstance(error, KeyboardInterrupt):
            raise
        if not found:
            found[("error",)] = {"checks": [type(error).__name__], "message": str(error)[:3000]}
    report.seconds = time.monotonic() - started
    report.failures = list(found.values())
    return report


def fuzz_role(
    app: WSGIHandler,
    schema: Any,
    world: dict[str, Any],
    role: str,
    *,
    examples: int,
    seed: int | None = None,
    progress: Callable[[OperationReport], None] | None = None,
) -> list[OperationReport]:
    """Every operation of the schema, as `role`."""
    with connection_kept():
        token = None if role == ANONYMOUS else token_for(app, role_user(world, role))
        pools = path_pools(world)
        reports = []
        for result in schema.get_all_operations():
            operation = result.ok()
            report = fuzz_operation(
                operation, role=role, token=token, pools=pools, examples=examples, seed=seed
            )
            reports.append(report)
            if progress:
                progress(report)
    return reports


def operation_count(schema: Any) -> int:
    return sum(1 for _ in schema.get_all_operations())


def summary(reports: list[OperationReport]) -> str:
    """The failures, one paragraph each, for an assertion message."""
    lines = []
    for report in reports:
        for failure in report.failures:
            request = failure.get("request", {})
            lines.append(
                f"{report.role} {report.operation}: {', '.join(failure['checks'])} "
                f"(status {failure.get('status')})\n  {request}\n"
                f"  {failure['message'][:600]}\n"
                f"  response: {failure.get('response', '')[:300]}\n"
                + (f"  {failure['traceback'][-800:]}" if "traceback" in failure else "")
            )
    return "\n".join(lines)


def make_app() -> WSGIHandler:
    return WSGIHandler()
