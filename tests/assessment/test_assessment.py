"""The annual assessment (001 §七, annex 3) against a constructed county whose scores are
worked out by hand below, section by section.

The county (staffing minimums: town 2, village 1; sample size 2; all in 2026):

T1 第1镇 (C1): one agent (short 1), village C1-2's only agent left in 2025 (no team); rule_gap ×2;
    a proxy case without agreement, a late case with a lost material, a refused case rated 2,
    findings no_ledger_entry / not_accepted_in_time / coordination_delay / poor_explanation;
    not_informing_centre, an absence at a training, missed_activity; an attitude complaint.
T2 第2镇 (C2): vetoes discipline_breach, collusion, illegal_fees (findings).
T3 (C3): three villages, C3-3 with an intermediary finding (sampled or not: both worked out).
T4 (C4): no_rules finding; a complaint found to be about gifts.
T5 (C5): a serious case: 100 points but 不合格.
T6 (C6): rule_gap ×1; a withdrawn collusion finding (not counted).
T7 (C7): no agent at all, its village neither; collusion.
T8 (C8): callbacks of satisfaction 4 and 5.
"""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook
from PIL import Image

from bangban.assessment import compute, services
from bangban.assessment.models import Assessment, Deduction, Finding, RuleSet
from bangban.cases.models import Handover, Incident, Rating
from bangban.core.crypto import blind_index
from bangban.core.errors import Conflict, PermissionDenied
from bangban.feedback.models import Callback, CallbackSample, Complaint
from bangban.org.models import Activity, Agent, Attendance, Level, Role, StaffingMinimum
from tests.cases.factories import case_in_state, item_of
from tests.documents.conftest import pdf_text
from tests.factories import AgentFactory, UnitFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
LOOKED_AT = date(2026, 12, 31)
D = Decimal


def at(month: int, day: int) -> datetime:
    return datetime(YEAR, month, day, 10, 0, tzinfo=TZ)


def evidence(name: str = "scan.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _complaint(unit, category, *, substantiated, finding_category="", concluded=None, case=None):
    return Complaint.objects.create(
        code=f"T{Complaint.objects.count():09d}",
        category=category,
        description="服务态度差，不耐烦",
        contact_name="张三",
        contact_phone="13800000000",
        contact_phone_index=blind_index("13800000000", purpose="phone"),
        unit=unit,
        case=case,
        created_at=at(5, 1),
        substantiated=substantiated,
        finding_category=finding_category,
        concluded_at=concluded or at(5, 20),
    )


@pytest.fixture
def county():
    tree = county_tree()
    StaffingMinimum.objects.update_or_create(level=Level.TOWN, defaults={"minimum": 2})
    root, dept = tree["county"], tree["dept"]
    admin = UserFactory(unit=root, role=Role.CENTRE_ADMIN, username="centre")
    supervisor = UserFactory(unit=root, role=Role.SUPERVISOR, username="jiwei")
    t1, t2 = tree["towns"]
    towns = {"T1": t1, "T2": t2}
    villages = {v.code: v for v in tree["villages"]}
    for n, village_count in ((3, 3), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1)):
        town = UnitFactory(name=f"第{n}镇便民服务中心", code=f"C{n}", level=Level.TOWN, parent=root)
        towns[f"T{n}"] = town
        for v in range(1, village_count + 1):
            village = UnitFactory(
                name=f"第{n}镇{v}村便民服务站", code=f"C{n}-{v}", level=Level.VILLAGE, parent=town
            )
            villages[village.code] = village
            if n != 7:
                AgentFactory(unit=village)
        if n != 7:
            AgentFactory(unit=town)
            AgentFactory(unit=town)
    AgentFactory(unit=t2)  # T2 has its 2
    # C1-2's only agent left at the end of 2025: no team in 2026.
    Agent.objects.filter(unit=villages["C1-2"]).update(active_until=date(2025, 12, 31))
    item = item_of(dept, actor=admin, name="个体工商户设立登记", limit_days=3)

    def finding(unit, kind, count=1, **extra):
        return services.finding_record(
            actor=extra.pop("actor", supervisor),
            unit=unit,
            year=YEAR,
            found_on=date(2026, 9, 1),
            kind=kind,
            count=count,
            description=f"检查发现：{kind}",
            evidence=evidence(),
        )

    # T1 -----------------------------------------------------------------------------------
    t1_user = UserFactory(unit=t1, role=Role.AGENT, full_name="王代办")
    t1_agent = Agent.objects.get(unit=t1)
    Agent.objects.filter(pk=t1_agent.pk).update(user=t1_user)
    proxy = case_in_state("in_progress", actor=t1_user, items=[item], kind="proxy")
    # Back-entered without its agreement (the services would not allow it today).
    type(proxy).objects.filter(pk=proxy.pk).update(
        agreement_signed_at=None, due_date=date(2027, 1, 15)
    )
    late = case_in_state("completed", actor=t1_user, items=[item])
    type(late).objects.filter(pk=late.pk).update(
        due_date=date(2026, 11, 1), completed_on=date(2026, 11, 20)
    )
    handover = Handover.objects.create(
        case=late,
        giver="agent",
        receiver="lost",
        giver_signatory="王代办",
        occurred_at=at(10, 20),
    )
    lost = Incident.objects.create(
        case=late, handover=handover, description="营业执照原件遗失", opened_at=at(10, 20)
    )
    refused = case_in_state("refused", actor=t1_user, items=[item])
    Rating.objects.create(case=refused, level=2, source="window", rated_at=at(8, 1))
    finding(t1, "rule_gap", 2)
    for kind in ("no_ledger_entry", "not_accepted_in_time", "coordination_delay"):
        finding(t1, kind)
    finding(t1, "poor_explanation", actor=admin)
    finding(t1, "not_informing_centre")
    finding(t1, "missed_activity")
    training = Activity.objects.create(
        kind="training", title="帮办代办业务培训", unit=root, starts_at=at(6, 1), recorded_by=admin
    )
    Attendance.objects.create(activity=training, agent=t1_agent, status="absent")
    meeting = Activity.objects.create(
        kind="meeting", title="协调会", unit=root, starts_at=at(7, 1), recorded_by=admin
    )
    Attendance.objects.create(activity=meeting, agent=t1_agent, status="excused")  # not counted
    attitude = _complaint(t1, "attitude", substantiated=True, finding_category="attitude")
    _complaint(t1, "attitude", substantiated=False)  # not substantiated: not counted
    _complaint(t1, "delay", substantiated=True, finding_category="delay")  # not a 举报投诉 rule
    _complaint(t1, "attitude", substantiated=True, concluded=datetime(2025, 12, 1, tzinfo=TZ))

    # T2: the three vetoes by inspection --------------------------------------------------
    for kind in ("discipline_breach", "collusion", "illegal_fees"):
        finding(t2, kind)
    # T3: an intermediary found in its third village --------------------------------------
    finding(villages["C3-3"], "intermediary")
    # T4: no rules; a complaint about "other" found to be about gifts ----------------------
    finding(towns["T4"], "no_rules")
    gifts = _complaint(towns["T4"], "other", substantiated=True, finding_category="gifts")
    # T5: a serious case --------------------------------------------------------------------
    finding(towns["T5"], "serious_case", actor=admin)
    # T6: one gap; a collusion finding withdrawn ------------------------------------------
    finding(towns["T6"], "rule_gap")
    wrong = finding(towns["T6"], "collusion")
    services.finding_withdraw(actor=supervisor, finding=wrong, reason="核实后不属实")
    # T7: no team, collusion -------------------------------------------------------------
    finding(towns["T7"], "collusion")
    # T8: two random callbacks, satisfaction 4 and 5 --------------------------------------
    t8_user = UserFactory(unit=towns["T8"], role=Role.AGENT)
    Agent.objects.filter(pk=Agent.objects.filter(unit=towns["T8"]).first().pk).update(user=t8_user)
    done = case_in_state("completed", actor=t8_user, items=[item])
    sample = CallbackSample.objects.create(
        unit=towns["T8"],
        month=date(2026, 11, 1),
        size=2,
        seed=7,
        population=1,
        case_ids=[done.pk],
        drawn_at=at(11, 2),
        drawn_by=admin,
    )
    for satisfaction in (4, 5):
        Callback.objects.create(
            case=done,
            unit=towns["T8"],
            sample=sample,
            called_at=at(11, 3),
            reached=True,
            satisfaction=satisfaction,
            called_by=admin,
        )
    # a rectification's callback is not a random one: not counted
    Callback.objects.create(
        case=done, unit=towns["T8"], called_at=at(11, 4), reached=True, satisfaction=1
    )
    return {
        "admin": admin,
        "supervisor": supervisor,
        "towns": towns,
        "villages": villages,
        "cases": {"proxy": proxy, "late": late, "refused": refused},
        "lost": lost,
        "attitude": attitude,
        "gifts": gifts,
        "training": training,
        "t1_user": t1_user,
    }


def run(county) -> dict[str, Assessment]:
    results = services.assessment_compute(actor=county["admin"], year=YEAR, today=LOOKED_AT)
    return {f"T{a.unit.code[1:]}": a for a in results}


def scores(assessment: Assessment) -> list[Decimal]:
    return [D(assessment.sections[str(n)]["score"]) for n in range(1, 7)]


def rules_of(assessment, section, sheet="own"):
    sheets = [assessment.snapshot["own"]] if sheet == "own" else assessment.snapshot["villages"]
    return sorted(line["rule"] for s in sheets for line in s["lines"] if line["section"] == section)


def test_every_section_of_every_town_as_worked_out_by_hand(county):
    got = run(county)
    t1 = got["T1"]
    # 1 服务体系: 20 − 2 (T1 has 1 agent of 2) − 5 (C1-2 has no team) = 13
    # 2 制度执行: 10 − 2 × 2 (rule_gap, count 2) = 6
    # 3 服务效能: 40 − 3 × 8 = 16: no_agreement (proxy), material_lost (incident), delay (done
    #   11-20, due 11-01), poor_explanation (refused, rated 2), and the findings no_ledger_entry,
    #   not_accepted_in_time, coordination_delay (rule "delay"), poor_explanation
    # 4 信息互动: 10 − 2 (not informing) − 5 (absent at the training) − 5 (missed_activity)
    #   = −2 → 0: no section below zero (the excused meeting is not counted)
    # 5 社会评价: no callback → the default, full marks 10
    # 6 举报投诉: 10 − 2 (one substantiated attitude complaint of 2026) = 8
    assert scores(t1) == [D(13), D(6), D(16), D(0), D(10), D(8)]
    assert t1.own_score == D(53)
    assert rules_of(t1, 1) == ["agent_short", "village_without_team"]
    assert rules_of(t1, 3) == sorted(
        [
            "no_agreement",
            "material_lost",
            "delay",
            "poor_explanation",
            "no_ledger_entry",
            "not_accepted_in_time",
            "delay",
            "poor_explanation",
        ]
    )
    assert D(t1.sections["4"]["deducted"]) == D(12)
    # villages: C1-1 clean = 100; C1-2 no team → 服务体系 0 → 80; mean 90
    # T1 = 0.6 × 53 + 0.4 × 90 = 31.8 + 36 = 67.8
    assert [v["unit_code"] for v in t1.snapshot["villages"]] == ["C1-1", "C1-2"]
    assert [D(v["total"]) for v in t1.snapshot["villages"]] == [D(100), D(80)]
    assert t1.villages_mean == D(90)
    assert t1.total == D("67.8")

    # T2: discipline_breach zeroes 制度执行, collusion zeroes 服务效能, illegal_fees zeroes
    # 举报投诉: 20 + 0 + 0 + 10 + 10 + 0 = 40; villages 100, 100 → 0.6 × 40 + 40 = 64
    assert scores(got["T2"]) == [D(20), D(0), D(0), D(10), D(10), D(0)]
    assert got["T2"].sections["3"]["veto"] == ["collusion"]
    assert got["T2"].sections["6"]["veto"] == ["illegal_fees"]
    assert got["T2"].total == D(64)

    # T3: the intermediary finding of C3-3 counts in C3-3's sheet (90) and in T3's own (the town
    # answers for its villages): own 90. Sample of 2 of 3 by the recorded seed:
    # with C3-3: mean (100 + 90) / 2 = 95 → 54 + 38 = 92; without: 54 + 40 = 94
    t3 = got["T3"]
    assert t3.own_score == D(90) and t3.sections["6"]["veto"] == ["intermediary"]
    sampled = [v["code"] for v in t3.sampled_villages]
    expected = compute.sample_villages(list(compute.villages_of(county["towns"]["T3"])), 2, t3.seed)
    assert sampled == [v.code for v in expected]
    assert t3.total == (D(92) if "C3-3" in sampled else D(94))

    # T4: no_rules zeroes 制度执行; the complaint found to be about gifts zeroes 举报投诉:
    # own 20 + 0 + 40 + 10 + 10 + 0 = 80; 0.6 × 80 + 0.4 × 100 = 88
    assert scores(got["T4"]) == [D(20), D(0), D(40), D(10), D(10), D(0)]
    assert got["T4"].sections["6"]["veto"] == ["gifts"]
    assert got["T4"].total == D(88)
    # T5: 100 on every section, total 100, but a serious case
    assert got["T5"].total == D(100) and got["T5"].serious
    # T6: 100 − 2 = 98 (the withdrawn collusion does not count); 58.8 + 40 = 98.8
    assert scores(got["T6"]) == [D(20), D(8), D(40), D(10), D(10), D(10)]
    assert got["T6"].total == D("98.8")
    # T7: no team → 服务体系 0 (its village without a team is listed too); collusion → 服务效能 0:
    # own 0 + 10 + 0 + 10 + 10 + 10 = 40; its village has no team either: 80
    # 0.6 × 40 + 0.4 × 80 = 24 + 32 = 56
    assert scores(got["T7"]) == [D(0), D(10), D(0), D(10), D(10), D(10)]
    assert got["T7"].sections["1"]["veto"] == ["no_team"]
    assert got["T7"].total == D(56)
    # T8: random callbacks 4 and 5 → mean 4.5 → 10 × (4.5 − 1) / 4 = 8.75 (the rectification
    # callback rated 1 is not a random one); own 98.75; 0.6 × 98.75 + 40 = 59.25 + 40 = 99.25
    assert D(got["T8"].sections["5"]["score"]) == D("8.75")
    assert got["T8"].total == D("99.25")

    # Ranking: T5 100, T8 99.25, T6 98.8, T3 92|94, T4 88, T1 67.8, T2 64, T7 56.
    # Top 4 优秀 — but T5's serious case makes it 不合格; T4 (5th, ≥ 80) 良好; T1, T2 合格;
    # T7 below 60 不合格.
    ranked = {k: (a.rank, a.grade) for k, a in got.items()}
    assert ranked == {
        "T5": (1, "fail"),
        "T8": (2, "excellent"),
        "T6": (3, "excellent"),
        "T3": (4, "excellent"),
        "T4": (5, "good"),
        "T1": (6, "pass"),
        "T2": (7, "pass"),
        "T7": (8, "fail"),
    }


def test_every_deduction_links_to_its_evidence(county, client):
    t1 = run(county)["T1"]
    lines = Deduction.objects.filter(assessment=t1, sheet_unit=t1.unit)
    evidence = {(d.rule, d.evidence_model, d.evidence_pk) for d in lines}
    cases, towns = county["cases"], county["towns"]
    assert ("no_agreement", "cases.case", str(cases["proxy"].pk)) in evidence
    assert ("delay", "cases.case", str(cases["late"].pk)) in evidence
    assert ("material_lost", "cases.incident", str(county["lost"].pk)) in evidence
    assert ("poor_explanation", "cases.case", str(cases["refused"].pk)) in evidence
    assert ("attitude", "feedback.complaint", str(county["attitude"].pk)) in evidence
    assert ("missed_activity", "org.activity", str(county["training"].pk)) in evidence
    assert ("village_without_team", "org.unit", str(county["villages"]["C1-2"].pk)) in evidence
    assert ("agent_short", "org.unit", str(towns["T1"].pk)) in evidence
    findings = Finding.objects.filter(unit=towns["T1"])
    assert {str(f.pk) for f in findings} <= {d.evidence_pk for d in lines}
    client.force_login(county["admin"])
    page = client.get(f"/assessment/{YEAR}/towns/{t1.pk}/").content.decode()
    assert f'href="/cases/{cases["proxy"].pk}/"' in page
    assert f'href="/cases/{cases["late"].pk}/"' in page  # the incident's case
    assert f'href="/feedback/complaints/{county["attitude"].pk}/"' in page
    finding = findings.first()
    assert f'href="/assessment/findings/{finding.pk}/evidence/"' in page
    response = client.get(f"/assessment/findings/{finding.pk}/evidence/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_the_queries_do_not_grow_with_the_towns(county):
    """Every town's records are read once for the whole area (compute.Evidence): a county
    with two more towns, each with a village, is read with the same queries, and each town
    adds only the writes of its own result (the assessment, its lines, its rank)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def recompute():
        with CaptureQueriesContext(connection) as captured:
            run(county)
        sql = [q["sql"].lstrip() for q in captured.captured_queries]
        return [s for s in sql if s.startswith("SELECT")], len(sql)

    run(county)
    reads, total = recompute()
    root = county["towns"]["T1"].parent
    for n in (9, 10):
        town = UnitFactory(name=f"第{n}镇便民服务中心", code=f"C{n}", level=Level.TOWN, parent=root)
        UnitFactory(name=f"第{n}镇1村", code=f"C{n}-1", level=Level.VILLAGE, parent=town)
        AgentFactory(unit=town)
    run(county)
    more_reads, more_total = recompute()
    assert len(more_reads) == len(reads) < 30
    assert 0 < more_total - total <= 2 * 4


def test_same_seed_same_sample_and_the_seed_is_kept_across_drafts(county):
    first = run(county)["T3"]
    again = run(county)["T3"]
    assert again.seed == first.seed and again.sampled_villages == first.sampled_villages
    villages = list(compute.villages_of(county["towns"]["T3"]))
    for seed in (1, 2, 3, 12345):
        assert compute.sample_villages(villages, 2, seed) == compute.sample_villages(
            list(reversed(villages)), 2, seed
        )


def test_publishing_freezes_the_year(county):
    admin = county["admin"]
    before = run(county)
    services.assessment_publish(actor=admin, year=YEAR)
    frozen = {k: (a.total, a.rank, a.grade, a.sections, a.snapshot) for k, a in before.items()}
    # the 2026 rules can no longer change
    rules = RuleSet.objects.get(year=YEAR).rules
    changed = {**rules, "deductions": {**rules["deductions"], "agent_short": "10"}}
    with pytest.raises(Conflict):
        services.rule_set_update(actor=admin, year=YEAR, rules=changed)
    # a finding recorded afterwards, and a recompute: nothing moves
    services.finding_record(
        actor=county["supervisor"],
        unit=county["towns"]["T6"],
        year=YEAR,
        found_on=date(2026, 12, 20),
        kind="collusion",
        description="事后发现",
        evidence=evidence(),
    )
    after = run(county)
    assert {k: (a.total, a.rank, a.grade, a.sections, a.snapshot) for k, a in after.items()} == (
        frozen
    )
    assert all(a.is_published for a in after.values())
    with pytest.raises(Conflict):
        services.assessment_publish(actor=admin, year=YEAR)
    # 2027's rules start as a copy of 2026's and may change
    services.rule_set_update(actor=admin, year=2027, rules=changed)
    assert RuleSet.objects.get(year=2027).rules["deductions"]["agent_short"] == "10"
    assert RuleSet.objects.get(year=YEAR).rules["deductions"]["agent_short"] == "2"
    assert Assessment.objects.get(year=YEAR, unit=county["towns"]["T1"]).total == D("67.8")


def test_draft_rules_change_the_draft(county):
    run(county)
    rules = RuleSet.objects.get(year=YEAR).rules
    services.rule_set_update(
        actor=county["admin"],
        year=YEAR,
        rules={**rules, "deductions": {**rules["deductions"], "attitude": "4"}},
    )
    # T1 举报投诉: 10 − 4 = 6; own 51; 0.6 × 51 + 36 = 30.6 + 36 = 66.6
    assert run(county)["T1"].total == D("66.6")


def test_who_may_do_what(county, client):
    admin, supervisor = county["admin"], county["supervisor"]
    agent = county["t1_user"]
    applicant = UserFactory(role=Role.APPLICANT, unit=None)
    for actor in (supervisor, agent):
        with pytest.raises(PermissionDenied):
            services.assessment_compute(actor=actor, year=YEAR)
    with pytest.raises(PermissionDenied):
        services.finding_record(
            actor=agent,
            unit=county["towns"]["T1"],
            year=YEAR,
            found_on=date(2026, 9, 1),
            kind="rule_gap",
            description="x",
            evidence=evidence(),
        )
    t1 = run(county)["T1"]
    urls = [
        f"/assessment/{YEAR}/",
        f"/assessment/{YEAR}/towns/{t1.pk}/",
        f"/assessment/{YEAR}/towns/{t1.pk}/sheet.xlsx",
        f"/assessment/findings/?year={YEAR}",
    ]
    assert client.get(urls[0]).status_code == 302  # to the login
    for user, status in ((admin, 200), (supervisor, 200), (agent, 403), (applicant, 403)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == status, (user.role, url)
    # a supervisor records a finding through the form, but cannot compute or publish
    client.force_login(supervisor)
    response = client.post(
        "/assessment/findings/",
        {
            "unit": county["towns"]["T6"].pk,
            "year": YEAR,
            "found_on": "2026-10-10",
            "kind": "rule_gap",
            "count": 1,
            "description": "制度未上墙",
            "evidence": evidence(),
        },
    )
    assert response.status_code == 302
    assert Finding.objects.filter(description="制度未上墙", recorded_by=supervisor).exists()
    bad = client.post(
        "/assessment/findings/",
        {
            "unit": county["towns"]["T6"].pk,
            "year": YEAR,
            "found_on": "2026-10-10",
            "kind": "rule_gap",
            "count": 1,
            "description": "假文件",
            "evidence": SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>"),
        },
    )
    assert bad.status_code == 400 and not Finding.objects.filter(description="假文件").exists()
    assert client.post(f"/assessment/{YEAR}/", {"action": "compute"}).status_code == 403
    assert client.post(f"/assessment/{YEAR}/", {"action": "publish"}).status_code == 403
    client.force_login(admin)
    assert client.post(f"/assessment/{YEAR}/", {"action": "publish"}).status_code == 302
    assert Assessment.objects.filter(year=YEAR, state="published").count() == 8


def test_sheet_as_pdf_and_xlsx(county, client):
    t1 = run(county)["T1"]
    client.force_login(county["admin"])
    response = client.get(f"/assessment/{YEAR}/towns/{t1.pk}/sheet.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "第1镇便民服务中心" in text
    for value in ("13.0", "6.0", "16.0", "0.0", "8.0", "53.0", "67.8", "90.0"):
        assert value in text
    assert county["cases"]["proxy"].number in text  # the deductions are listed in 备注
    assert "第1镇2村便民服务站" in text
    response = client.get(f"/assessment/{YEAR}/towns/{t1.pk}/sheet.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    ws = book.worksheets[0]
    assert ws["B2"].value == "第1镇便民服务中心"
    assert [ws.cell(row=r, column=5).value for r in range(5, 11)] == [13, 6, 16, 0, 10, 8]
    assert [ws.cell(row=r, column=3).value for r in range(5, 11)] == [20, 10, 40, 10, 10, 10]
    assert ws.cell(row=11, column=5).value == 53
    assert ws.cell(row=12, column=2).value == D("67.8") or ws.cell(row=12, column=2).value == 67.8
    assert ws.cell(row=12, column=4).value == 6
    assert county["cases"]["proxy"].number in ws.cell(row=7, column=6).value
    deductions = book.worksheets[1]
    assert deductions.max_row - 1 == Deduction.objects.filter(assessment=t1).count()


def test_the_command_prints_the_ranking_and_publishes(county):
    out = io.StringIO()
    call_command("assess", year=YEAR, actor="centre", publish=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1].split("\t")[:2] == ["1", "第5镇便民服务中心"]
    t1 = next(line.split("\t") for line in lines if "第1镇便民服务中心" in line)
    assert t1[0] == "6" and t1[2:8] == ["13.0", "6.0", "16.0", "0.0", "10.0", "8.0"]
    assert t1[10] == "67.8"
    assert Assessment.objects.filter(year=YEAR, state="published").count() == 8
    again = io.StringIO()
    call_command("assess", year=YEAR, stdout=again)
    assert again.getvalue() == out.getvalue()
