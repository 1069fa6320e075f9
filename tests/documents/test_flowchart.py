"""The flowcharts of the assist and proxy procedures: derived from the workflow table (a rule
added to RULES appears on them), and printed through the staff view on one A4 page each."""

import io
import re

import pytest
from django.db import models
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from bangban.cases import workflow
from bangban.cases.workflow import PROXY_ONLY, RULE_OF, Action, Document, Rule, State
from bangban.documents.flowchart import applies, procedure
from bangban.documents.views_flowchart import flowchart_pdf_bytes
from bangban.org.models import Role
from tests.documents.conftest import pdf_text, rasterise
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db


class Extra(models.TextChoices):
    """An action and a state the workflow does not have, to add to RULES in a test."""

    NOTARISE = "notarise", "Notarise the papers"
    WITHDRAW = "withdraw", "Withdraw the application"
    WITHDRAWN = "withdrawn", "Withdrawn"


def flat(text: str) -> str:
    """pdftotext breaks lines inside boxes: compare without whitespace."""
    return "".join(text.split())


def main_line(chart) -> list[str]:
    return [move.action for step in chart.steps for move in step.moves]


def in_order(items: list[str], *wanted: str) -> bool:
    positions = [items.index(item) for item in wanted]
    return positions == sorted(positions)


# The chart's content, from RULES ---------------------------------------------------------------


def test_the_delegation_agreement_is_on_the_proxy_chart_only():
    assert not applies(RULE_OF[Action.SIGN_AGREEMENT], "assist")
    assert applies(RULE_OF[Action.SIGN_AGREEMENT], "proxy")
    # START's guard (agreement signed, for a proxy case) can hold for both kinds.
    assert applies(RULE_OF[Action.START], "assist") and applies(RULE_OF[Action.START], "proxy")
    proxy, assist = procedure("proxy"), procedure("assist")
    assert Action.SIGN_AGREEMENT.value in proxy.actions()
    assert Action.SIGN_AGREEMENT.value not in assist.actions()
    # On the proxy line it comes between acceptance and the start of the work.
    assert in_order(main_line(proxy), "accept", "sign_agreement", "start")
    signing = next(s for s in proxy.steps if s.moves and s.moves[0].action == "sign_agreement")
    assert signing.documents == (str(Document.DELEGATION_AGREEMENT.label),)


def test_every_action_and_state_of_the_workflow_is_on_the_proxy_chart():
    proxy, assist = procedure("proxy"), procedure("assist")
    rules = {rule.action.value for rule in workflow.RULES}
    assert rules <= proxy.actions()
    assert rules - {Action.SIGN_AGREEMENT.value} <= assist.actions()
    assert {state.value for state in State} <= proxy.states()
    assert {state.value for state in State} <= assist.states()


@pytest.mark.parametrize("kind", ["assist", "proxy"])
def test_the_main_line_runs_from_registration_to_the_archive(kind):
    chart = procedure(kind)
    assert chart.steps[0].state == workflow.INITIAL == State.REGISTERED
    assert chart.steps[-1].state == State.ARCHIVED
    assert chart.final_state in workflow.FINAL
    line = main_line(chart)
    assert line[-1] == "archive"
    assert in_order(line, "accept", "start", "submit_task", "decide_task", "complete", "deliver")
    assert in_order(line, "deliver", "rate", "archive")
    # The exceptions are branches, not the main line.
    assert not {"refuse", "terminate", "pause", "issue_notice", "accept_tolerated"} & set(line)
    # The forms each step produces, from Rule.documents.
    accept = next(s for s in chart.steps if s.moves and s.moves[0].action == "accept")
    assert accept.documents == (str(Document.ACCEPTANCE_RECEIPT.label),)
    assert accept.state == State.ACCEPTED


def test_the_side_branches_carry_their_forms_reasons_and_what_follows():
    chart = procedure("proxy")
    registration = chart.steps[0]
    branches = {move.action: move for move in registration.branches}
    assert set(branches) == {"issue_notice", "accept_tolerated", "refuse"}
    # The supplement loop: a one-time notice, then the supplement back to registration.
    notice = branches["issue_notice"]
    assert notice.target == State.AWAITING_MATERIALS
    assert notice.documents == (str(Document.ONE_TIME_NOTICE.label),)
    follow = {move.action: move for move in notice.then}
    assert follow["receive_supplement"].target == State.REGISTERED
    refuse = branches["refuse"]
    assert refuse.needs_reason and refuse.target == State.REFUSED
    assert refuse.documents == (str(Document.REFUSAL_NOTICE.label),)
    assert {move.action for move in refuse.then} == {"rate", "archive"}
    # Pausing is beside the work in progress, resuming follows it.
    pause = next(m for s in chart.steps for m in s.branches if m.action == "pause")
    assert pause.needs_reason and [m.action for m in pause.then] == ["resume"]
    # Actions open at several steps share the lane beside them.
    lane = {move.action: move for move in chart.lane}
    assert {"terminate", "supervise", "transfer", "escalate", "assign"} <= set(lane)
    assert lane["terminate"].needs_reason and lane["terminate"].target == State.TERMINATED
    assert lane["terminate"].documents == (str(Document.TERMINATION_FORMS.label),)
    assert not lane["assign"].needs_reason
    first, last = chart.lane_steps
    assert chart.steps[first].state == State.REGISTERED
    assert chart.steps[last].state == State.IN_PROGRESS
    # The handover may happen at any step before the archive.
    assert [move.action for move in chart.anytime] == ["record_handover"]


def test_a_rule_added_to_the_workflow_appears_on_the_charts(monkeypatch):
    notarise = Rule(
        Extra.NOTARISE,
        frozenset({State.IN_PROGRESS}),
        None,
        guards=(PROXY_ONLY,),
        documents=(Document.HANDOVER_LIST,),
    )
    withdraw = Rule(
        Extra.WITHDRAW, frozenset({State.REGISTERED}), Extra.WITHDRAWN, needs_reason=True
    )
    monkeypatch.setattr(workflow, "RULES", (*workflow.RULES, notarise, withdraw))

    proxy, assist = procedure("proxy"), procedure("assist")
    # A proxy-only step at the work in progress joins the proxy main line before completion.
    assert in_order(main_line(proxy), "start", "notarise", "complete")
    assert "notarise" not in assist.actions()
    # A new way out of registration is a branch there, to a new state.
    for chart in (proxy, assist):
        withdrawal = {move.action: move for move in chart.steps[0].branches}["withdraw"]
        assert withdrawal.target == "withdrawn" and withdrawal.target_label == "Withdrawn"
        assert withdrawal.needs_reason
        assert "withdrawn" in chart.states()

    _title, pdf = flowchart_pdf_bytes("proxy", unit_name="测试县政务服务中心")
    text = flat(pdf_text(pdf))
    assert "Notarisethepapers" in text and "Withdrawtheapplication" in text


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        procedure("other")


# The PDF through the staff view ----------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    tree = county_tree()
    user = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    client.force_login(user)
    return client


def fetch(client, kind):
    return client.get(reverse("documents:flowchart-pdf", args=[kind]))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("kind", "title", "present", "absent"),
    [
        ("proxy", "Proxy procedure flowchart", ["签订代办服务委托书", "代办服务委托书"], []),
        ("assist", "Assist procedure flowchart", [], ["签订代办服务委托书"]),
    ],
)
def test_the_staff_print_each_chart_on_one_a4_page(staff_client, kind, title, present, absent):
    response = fetch(staff_client, kind)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    pdf = body(response)
    assert pdf.startswith(b"%PDF")
    rasterise(pdf, f"flowchart_{kind}")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points

    text = flat(pdf_text(pdf))
    with translation.override("zh-hans"):
        assert flat(translation.gettext(title)) in text
    for label in [
        "受理",
        "受理凭证",
        "出具一次性告知单",
        "接收补正材料",
        "容缺受理",
        "不予受理通知书",
        "开始办理",
        "报送部门",
        "登记部门审批决定",
        "暂停",
        "恢复办理",
        "终止",
        "督办",
        "转办",
        "办结通知单",
        "送达结果",
        "登记评价",
        "评价单",
        "归档",
        "已归档",
        "测试县政务服务中心",  # the generating unit: the user's
        *present,
    ]:
        assert label in text, label
    for label in absent:
        assert label not in text, label
    # The content hash in the footer.
    assert re.search(r"[0-9a-f]{64}", text)


def test_the_chart_depends_on_the_kind_and_unit_only():
    _t, first = flowchart_pdf_bytes("proxy", unit_name="甲县政务服务中心")
    _t, again = flowchart_pdf_bytes("proxy", unit_name="甲县政务服务中心")
    _t, other = flowchart_pdf_bytes("proxy", unit_name="乙县政务服务中心")
    digest = re.compile(r"[0-9a-f]{64}")
    hashes = [digest.search(flat(pdf_text(pdf))).group() for pdf in (first, again, other)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_anonymous_users_are_sent_to_sign_in(client):
    response = fetch(client, "proxy")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_applicant_may_not_print_the_charts(client):
    client.force_login(UserFactory(unit=None, role=Role.APPLICANT))
    assert fetch(client, "proxy").status_code == 403


def test_an_unknown_kind_is_not_found(staff_client):
    response = fetch(staff_client, "notarial")
    assert response.status_code == 404


def test_the_workbench_links_both_charts(staff_client):
    response = staff_client.get(reverse("cases:workbench"))
    assert response.status_code == 200
    page = response.content.decode()
    for kind in ("assist", "proxy"):
        assert f'href="{reverse("documents:flowchart-pdf", args=[kind])}"' in page
