"""The forms of the later steps: the tolerated-deficiency commitment, the delegation agreement
with its handover list in triplicate, the handover list of each custody event, the termination
forms of both sides and the evaluation form with its rating QR code — each rendered for a real
case, read back and rasterised."""

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from pypdf import PdfReader

from bangban.cases import services as case_services
from bangban.cases.tokens import rating_token_read
from bangban.cases.workflow import State
from bangban.core.errors import Conflict, NotFound
from bangban.documents import builders
from bangban.documents.models import Document, Kind
from bangban.documents.services import document_generate
from tests.cases.factories import PERSON
from tests.documents.conftest import make, pdf_text, rasterise, signed_proxy_case

pytestmark = pytest.mark.django_db


def generate(world, case, kind, subject="", name=None):
    document = document_generate(actor=world["agent"], case=case, kind=kind, subject=subject)
    with document.file.open("rb") as f:
        pdf = f.read()
    rasterise(pdf, name or kind)
    return document, pdf, "".join(pdf_text(pdf).split())


def page_texts(pdf: bytes) -> list[str]:
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_deficiency_commitment_lists_each_material_and_its_date(world):
    case = make(world, State.REGISTERED)
    due = timezone.localdate() + timedelta(days=10)
    case_services.case_accept(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        tolerated=[{"material": "房屋产权证明复印件", "due_on": due}],
    )
    case.refresh_from_db()
    _doc, _pdf, text = generate(world, case, Kind.DEFICIENCY_COMMITMENT)
    assert case.number in text and case.applicant_name in text
    assert "房屋产权证明复印件" in text
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert "容缺受理承诺书" in text


def test_no_commitment_without_tolerated_deficiencies(world):
    case = make(world, State.ACCEPTED)
    with pytest.raises(Conflict):
        document_generate(actor=world["agent"], case=case, kind=Kind.DEFICIENCY_COMMITMENT)


def _proxy_with_handover(world):
    case = signed_proxy_case(world)
    handover = case_services.handover_record(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        giver="applicant",
        receiver="agent",
        lines=[
            {"material": "营业执照申请书", "copies": 1, "original": True},
            {"material": "经营场所证明", "copies": 2, "original": False},
        ],
        giver_signatory=PERSON["applicant_name"],
        receiver_signatory="李帮办",
    )
    case.refresh_from_db()
    return case, handover


def test_delegation_agreement_has_every_clause_and_three_marked_copies(world):
    case, _handover = _proxy_with_handover(world)
    _document, pdf, text = generate(world, case, Kind.DELEGATION_AGREEMENT)
    assert "代办服务委托书" in text
    # Both parties filled in: the principal, its contact's ID and phone, the agent and place.
    assert case.applicant_name in text
    assert PERSON["id_number"] in text and PERSON["phone"] in text
    assert "李帮办" in text and "0356-3181393" in text
    assert world["village"].name in text
    # The annex 6 wording, whole: duties and all seven termination circumstances.
    assert "负责一次性告知委托人代办事项需准备的材料" in text
    assert "经核实，如申请人为失信企业，不予办理，代办终止。" in text
    assert "代办服务机构与服务对象沟通后，委托代办服务终止" in text
    assert "本委托书自签发之日起生效，一式两份，委托方一份，代办中心一份。" in text
    assert len(builders.build(case, Kind.DELEGATION_AGREEMENT).data["clauses"]) == 7
    # The material handover list in triplicate, each copy marked for its keeper.
    for mark in ("委托方留存", "代办中心留存", "审批部门留存"):
        assert mark in text
    assert text.count("营业执照申请书") == 3
    # Each copy of the list is a page of its own, after the agreement.
    copies = [page for page in page_texts(pdf) if "代办服务委托书附件" in page]
    assert len(copies) == 3
    assert [
        "委托方留存" in copies[0],
        "代办中心留存" in copies[1],
        "审批部门留存" in copies[2],
    ] == [
        True,
        True,
        True,
    ]


def test_handover_list_for_each_custody_event(world):
    case, handover = _proxy_with_handover(world)
    subject = builders.handover_subject(handover)
    document, _pdf, text = generate(world, case, Kind.HANDOVER_LIST, subject, "handover_list")
    assert document.subject == subject
    assert "申报材料移交清单" in text
    assert "营业执照申请书" in text and "经营场所证明" in text
    assert "李帮办" in text and case.applicant_name in text
    # A second custody event is its own document, numbered on the case.
    second = case_services.handover_record(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        giver="agent",
        receiver="applicant",
        lines=[{"material": "经营场所证明", "copies": 2, "original": False}],
        giver_signatory="李帮办",
        receiver_signatory=PERSON["applicant_name"],
    )
    other = document_generate(
        actor=world["agent"],
        case=case,
        kind=Kind.HANDOVER_LIST,
        subject=builders.handover_subject(second),
    )
    assert other.pk != document.pk and other.version == 1
    assert (
        builders.build(case, Kind.HANDOVER_LIST, builders.handover_subject(second)).data["sequence"]
        == 2
    )
    with pytest.raises(NotFound):
        document_generate(
            actor=world["agent"], case=case, kind=Kind.HANDOVER_LIST, subject="handover-999999"
        )


def test_termination_forms_for_both_sides(world):
    case = make(world, State.TERMINATED)
    _document, pdf, text = generate(world, case, Kind.TERMINATION_FORMS)
    # One page for each side, each to be signed and kept by its side.
    service, principal = page_texts(pdf)
    assert "终止书（受理方）" in service and "终止书（委托方）" in principal
    assert case.number in text and case.applicant_name in text
    assert "申请人决定暂不办理" in text
    assert "委托人申请终止" in text  # the ground


def test_evaluation_form_links_to_the_rating_page(world):
    case = make(world, State.DELIVERED)
    form = builders.build(case, Kind.EVALUATION_FORM)
    url = urlparse(form.qr_url)
    assert url.path == f"/public/rate/{case.number}/"
    claim = rating_token_read(parse_qs(url.query)["t"][0])
    assert claim.number == case.number
    _doc, _pdf, text = generate(world, case, Kind.EVALUATION_FORM)
    assert "评价单" in text
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert level in text
    assert "扫码评价" in text


def test_evaluation_form_shows_the_recorded_rating(world):
    case = make(world, State.DELIVERED)
    first = document_generate(actor=world["agent"], case=case, kind=Kind.EVALUATION_FORM)
    case_services.rating_record(
        actor=world["agent"], case=case, revision=case.revision, level=5, comment="服务很周到"
    )
    case.refresh_from_db()
    second, _pdf, text = generate(world, case, Kind.EVALUATION_FORM)
    assert "服务很周到" in text
    # The rating changed what the form shows: a new version, the old one kept.
    assert second.version == 2
    assert Document.objects.get(pk=first.pk).superseded


def test_no_evaluation_form_while_the_case_is_open(world):
    case = make(world, State.IN_PROGRESS)
    with pytest.raises(Conflict):
        document_generate(actor=world["agent"], case=case, kind=Kind.EVALUATION_FORM)


def test_rating_token_refuses_altered_and_expired_links(world, settings):
    from bangban.cases.tokens import rating_token
    from bangban.core.errors import ValidationFailed

    case = make(world, State.DELIVERED)
    token = rating_token(case)
    with pytest.raises(ValidationFailed):
        rating_token_read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    settings.BANGBAN_RATING_LINK_DAYS = 30
    with pytest.raises(ValidationFailed):
        rating_token_read(token, today=timezone.localdate() + timedelta(days=31))
    assert rating_token_read(token, today=timezone.localdate() + timedelta(days=30)).number == (
        case.number
    )
