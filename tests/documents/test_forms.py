"""Every form, rendered for a realistic case: the PDF's text holds the case's fields, the
first page is rasterised for review, and a character no font has stops the render."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from weasyprint.urls import FatalURLFetchingError

from bangban.cases import services as case_services
from bangban.cases.workflow import State
from bangban.core.identifiers import generate_credit_code
from bangban.documents.models import Document, Kind
from bangban.documents.rendering import MissingGlyph, html_to_pdf, qr_data_uri, tracking_url
from bangban.documents.services import document_generate
from tests.cases.factories import PERSON
from tests.documents.conftest import make, pdf_text, rasterise

pytestmark = pytest.mark.django_db

CREDIT_CODE = generate_credit_code(random.Random(5))


def generate(world, case, kind):
    document = document_generate(actor=world["agent"], case=case, kind=kind)
    with document.file.open("rb") as f:
        pdf = f.read()
    rasterise(pdf, kind)
    return document, pdf, pdf_text(pdf)


def flat(text: str) -> str:
    """pdftotext breaks lines inside table cells: compare without whitespace."""
    return "".join(text.split())


def assert_common(case, text):
    body = flat(text)
    assert case.number in body
    assert case.applicant_name in body
    assert "个体工商户设立登记" in body
    assert case.unit.name in body


def test_personal_registration_form_carries_the_full_identity(world):
    case = make(world, State.REGISTERED, special_group=True)
    document, pdf, text = generate(world, case, Kind.REGISTRATION_PERSONAL)
    assert pdf.startswith(b"%PDF")
    assert_common(case, text)
    body = flat(text)
    # The applicant's own form: full ID number and phone, the address, the registration date.
    assert PERSON["id_number"] in body
    assert PERSON["phone"] in body
    assert PERSON["address"] in body
    assert str(timezone.localtime(case.registered_at).year) in body
    assert document.content_hash in body
    assert (document.version, document.superseded) == (1, False)


def test_enterprise_registration_form(world):
    case = make(
        world,
        State.REGISTERED,
        applicant_type="enterprise",
        category="project",
        applicant={
            "applicant_name": "商南县绿源茶业有限公司",
            "phone": "13812345678",
            "legal_representative": "王建国",
            "project_name": "年产500吨茶叶精深加工项目",
            "project_location": "试马镇工业园区",
            "investment": "3200.00",
            "key_project": "招商引资",
        },
        credit_code=CREDIT_CODE,
    )
    _document, _pdf, text = generate(world, case, Kind.REGISTRATION_ENTERPRISE)
    body = flat(text)
    assert_common(case, text)
    for value in (CREDIT_CODE, "王建国", "年产500吨茶叶精深加工项目", "试马镇工业园区", "3200.00"):
        assert value in body, value


def test_acceptance_receipt_names_item_receiver_and_date(world):
    case = make(world, State.ACCEPTED)
    _document, _pdf, text = generate(world, case, Kind.ACCEPTANCE_RECEIPT)
    body = flat(text)
    assert_common(case, text)
    assert "李帮办" in body  # who received it
    day = case.accepted_on
    assert f"{day.month}" in body and f"{day.year}" in body
    # A travelling paper: the phone is masked, the ID number absent.
    assert PERSON["phone"] not in body
    assert "139****5678" in body
    assert PERSON["id_number"] not in body


def test_acceptance_receipt_lists_tolerated_deficiencies(world):
    case = make(world, State.REGISTERED)
    due = timezone.localdate() + timedelta(days=7)
    case_services.case_accept(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        tolerated=[{"material": "营业场所证明", "due_on": due}],
    )
    case.refresh_from_db()
    _document, _pdf, text = generate(world, case, Kind.ACCEPTANCE_RECEIPT)
    assert "营业场所证明" in flat(text)


def test_one_time_notice_lists_every_missing_material_how_and_deadline(world):
    case = make(world, State.REGISTERED)
    deadline = timezone.localdate() + timedelta(days=10)
    case_services.notice_issue(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        missing=[
            {"name": "户口簿", "how": "到户籍所在地派出所复印"},
            {"name": "经营场所租赁合同", "how": "与房东签订后携带原件"},
        ],
        deadline=deadline,
    )
    case.refresh_from_db()
    _document, _pdf, text = generate(world, case, Kind.ONE_TIME_NOTICE)
    body = flat(text)
    assert_common(case, text)
    for value in ("户口簿", "到户籍所在地派出所复印", "经营场所租赁合同", "与房东签订后携带原件"):
        assert value in body, value
    assert str(deadline.year) in body and str(deadline.day) in body


def test_refusal_notice_gives_the_reason(world):
    case = make(world, State.REFUSED)
    _document, _pdf, text = generate(world, case, Kind.REFUSAL_NOTICE)
    assert_common(case, text)
    assert "不属于本站可办事项" in flat(text)


def test_completion_notice_has_results_and_signature_line(world):
    case = make(world, State.COMPLETED)
    _document, _pdf, text = generate(world, case, Kind.COMPLETION_NOTICE)
    body = flat(text)
    assert_common(case, text)
    assert "已取得许可证" in body
    assert "许可证" in body


def test_a_form_the_case_does_not_have_yet_is_refused(world):
    from bangban.core.errors import Conflict

    case = make(world, State.REGISTERED)
    for kind in (Kind.ACCEPTANCE_RECEIPT, Kind.ONE_TIME_NOTICE, Kind.COMPLETION_NOTICE):
        with pytest.raises(Conflict):
            document_generate(actor=world["agent"], case=case, kind=kind)
    with pytest.raises(Conflict):
        document_generate(actor=world["agent"], case=case, kind=Kind.REGISTRATION_ENTERPRISE)
    assert not Document.objects.exists()


def test_a_character_no_font_has_is_an_error():
    with pytest.raises(MissingGlyph) as raised:
        html_to_pdf("<p>张\ue000三</p>")
    assert raised.value.characters == ["\ue000"]
    # The same text without it renders.
    assert html_to_pdf("<p>张三</p>").startswith(b"%PDF")


def test_a_name_no_font_can_print_stops_the_form_and_stores_nothing(world):
    case = make(world, State.REGISTERED, applicant=PERSON | {"applicant_name": "张\ue000英"})
    with pytest.raises(MissingGlyph):
        document_generate(actor=world["agent"], case=case, kind=Kind.REGISTRATION_PERSONAL)
    assert not Document.objects.exists()


def test_remote_resources_are_refused():
    with pytest.raises(FatalURLFetchingError):
        html_to_pdf('<img src="http://example.com/logo.png"><p>x</p>')


def test_the_qr_code_points_to_the_public_tracking_page():
    assert tracking_url("C1-1-20260105-0001") == (
        "https://bangban.example.gov.cn/public/track/C1-1-20260105-0001/"
    )
    assert qr_data_uri("https://x/").startswith("data:image/png;base64,")
