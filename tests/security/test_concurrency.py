"""Conflicting actions over HTTP at the same moment (issue 9): 20 clients against gunicorn (two
processes of ten threads) on the test database. Pairs of clients ask for actions that exclude
each other, released together by a barrier: accept against refuse of the same case, and two
handovers of the same copy of a material by the agent who holds it. Exactly one of each pair
succeeds, the other is answered 409 with a Chinese reason; each success wrote its one event and
its timeline line, no more and no fewer, and the event chain verifies.

The issue asks it of PostgreSQL, where the requests truly run at once (row locks, the case's
revision compare-and-swap); it runs on SQLite as well, where the writers queue on the file
lock, and must come out the same."""

import json
import re
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from rest_framework.authtoken.models import Token

from bangban.cases.models import Case, CaseLog, Handover
from bangban.cases.services import handover_record
from bangban.cases.workflow import State
from bangban.core.events import events_verify
from bangban.core.models import Event
from bangban.org.models import Role
from tests.cases.api_helpers import make_world, register, user
from tests.catalog.conftest import catalog_admin, county_with_departments
from tests.security.processes import Gunicorn

__all__ = ["catalog_admin", "county_with_departments"]

HAN = re.compile(r"[\u4e00-\u9fff]")
CLIENTS = 20
DECISION_PAIRS = 6  # accept against refuse: 12 clients
HANDOVER_PAIRS = 4  # the same copy handed back twice: 8 clients


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        text = exc.read()
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, {"raw": text.decode(errors="replace")[:300]}


@pytest.mark.django_db(transaction=True)
def test_conflicting_actions_one_wins_the_rest_409(county_with_departments, catalog_admin):
    world = make_world(county_with_departments, catalog_admin)
    # Two agents of the village: the clients of a pair are different people.
    other = user(unit=world["village"], role=Role.AGENT, full_name="王帮办")
    tokens = [
        Token.objects.create(user=world["agent_user"]).key,
        Token.objects.create(user=other).key,
    ]

    deciding = [register(world) for _ in range(DECISION_PAIRS)]
    handing = []
    for _ in range(HANDOVER_PAIRS):
        case = register(world)
        handover_record(
            actor=world["agent_user"],
            case=case,
            revision=Case.objects.get(pk=case.pk).revision,
            giver="applicant",
            receiver="agent",
            lines=[{"material": "身份证复印件", "copies": 1}],
            giver_signatory="张秀英",
            receiver_signatory="李帮办",
        )
        handing.append(Case.objects.get(pk=case.pk))

    jobs = []  # (pair key, path, body)
    for case in deciding:
        body = {"revision": case.revision}
        jobs.append((("decide", case.pk), f"/api/v1/cases/{case.pk}/accept/", body))
        refusal = {**body, "reason": "不在本村可办清单"}
        jobs.append((("decide", case.pk), f"/api/v1/cases/{case.pk}/refuse/", refusal))
    for case in handing:
        back = {
            "revision": case.revision,
            "giver": "agent",
            "receiver": "applicant",
            "lines": [{"material": "身份证复印件", "copies": 1}],
            "giver_signatory": "李帮办",
            "receiver_signatory": "张秀英",
        }
        jobs += [(("handover", case.pk), f"/api/v1/cases/{case.pk}/handovers/", back)] * 2
    assert len(jobs) == CLIENTS

    events_before = Event.objects.count()
    logs_before = CaseLog.objects.count()
    handovers_before = Handover.objects.count()

    server = Gunicorn(workers=2, threads=10)
    try:
        barrier = threading.Barrier(CLIENTS)
        answers: list[tuple[tuple, int, dict] | None] = [None] * CLIENTS

        def client(index: int) -> None:
            key, path, body = jobs[index]
            barrier.wait(timeout=30)
            status, answer = _post(server.url + path, tokens[index % 2], body)
            answers[index] = (key, status, answer)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.stop()

    assert all(answer is not None for answer in answers), "a client got no answer"
    statuses = Counter(status for _key, status, _body in answers)
    assert set(statuses) <= {200, 201, 409}, statuses  # never a 500, never a 400
    by_pair: dict[tuple, list[int]] = {}
    for key, status, body in answers:
        by_pair.setdefault(key, []).append(status)
        if status == 409:
            assert HAN.search(body.get("detail", "")), body
    for key, pair in by_pair.items():
        assert sorted(pair) in ([200, 409], [201, 409]), (key, pair)

    successes = DECISION_PAIRS + HANDOVER_PAIRS
    assert Event.objects.count() - events_before == successes
    assert CaseLog.objects.count() - logs_before == successes
    assert Handover.objects.count() - handovers_before == HANDOVER_PAIRS
    for case in deciding:
        won = next(
            path
            for (key, path, _b), (_k, status, _a) in zip(jobs, answers, strict=True)
            if key == ("decide", case.pk) and status == 200
        )
        stored = Case.objects.get(pk=case.pk)
        assert stored.state == (State.ACCEPTED if won.endswith("/accept/") else State.REFUSED)
        assert stored.revision == case.revision + 1
    for case in handing:
        assert Case.objects.get(pk=case.pk).handovers.count() == 2  # in, and back once
    report = events_verify()
    assert report.ok, report
