"""Hostile text in the free-text fields of the main forms, through the real views as the role
that fills them in: the registration form (applicant, address), the public portal's application,
the one-time notice, the termination, the staff's rating and the public complaint.

For each field: markup (`<script>`, an attribute breakout) is stored exactly as typed and shown
escaped on the pages and literally in the PDFs; NUL and control characters are refused with a
form error (PostgreSQL refuses NUL — it was a 500 on the portal — and no PDF, workbook or Word
file can carry a control character); a value over the limit is refused, never cut; rare
characters (GB 18030 extensions 𠮷 and 㐀, names with ·) and emoji are stored, shown and printed
whole. An emoji no installed font has (a family sequence, a flag) cannot be printed: the form is
refused with a message naming the character, the case keeps its data (see the report in
test_hostile_exports.py for the workbooks)."""

import html
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from bangban.cases.models import Case, Notice, Rating, Termination
from bangban.cases.workflow import State
from bangban.feedback.models import Complaint
from bangban.org.models import Role
from tests.cases.factories import case_in_state
from tests.documents.conftest import pdf_text, world
from tests.factories import UserFactory
from tests.portal import public_helpers
from tests.portal.public_helpers import ID_NUMBER, make_world, verified

pytestmark = pytest.mark.django_db
sms = public_helpers.sms
__all__ = ["sms", "world"]

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
RARE = "欧阳·娜娜𠮷㐀"
EMOJI = "😀"
# No installed font draws these (a ZWJ family, a flag): the PDF is refused, naming them.
UNPRINTABLE = "👨‍👩‍👧"
NUL = "张\x00三"
CONTROL = "张\x07三\x1b"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BANGBAN_PUBLIC_URL = "https://bangban.example.gov.cn"


def zh(message: str, **values) -> str:
    """The message as a user sees it (zh-hans), escaped as a page shows it."""
    with translation.override("zh-hans"):
        if message == TOO_LONG:
            text = ngettext(TOO_LONG_ONE, TOO_LONG, values["limit_value"]) % values
        else:
            text = gettext(message) % values if values else gettext(message)
    return html.escape(text)


NUL_ERROR = "Null characters are not allowed."
CONTROL_ERROR = (
    "The text holds an invisible control character (U+%(code)04X), which cannot be "
    "printed or exported: delete it and type the text again."
)
TOO_LONG_ONE = "Ensure this value has at most %(limit_value)d character (it has %(show_value)d)."
TOO_LONG = "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d)."


def squash(text: str) -> str:
    return "".join(text.split())


def shows_escaped(page: str, value: str) -> None:
    """The value is on the page as text: escaped, never as live markup."""
    assert html.escape(value) in page or html.escape(value, quote=False) in page, value
    for raw in ("<script>alert(1)", "<img src=x onerror"):
        if raw in value:
            assert raw not in page


def in_order(value: str, text: str) -> bool:
    """Every character of the value is in the extracted text, in order. A table cell wraps its
    text over several lines, and the text extractor reads a table row by row, so the lines of
    one cell come out between those of its neighbours."""
    position = 0
    for character in squash(value):
        position = text.find(character, position)
        if position < 0:
            return False
        position += 1
    return True


def form_pdf(client, case: Case, kind: str):
    return client.get(reverse("documents:form-pdf", args=[case.pk, kind]))


def printed(client, case: Case, kind: str) -> str:
    response = form_pdf(client, case, kind)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["Content-Type"] == "application/pdf"
    return squash(pdf_text(b"".join(response.streaming_content)))


# Registration at the desk ---------------------------------------------------------------------


def person(world, **extra) -> dict:
    return {
        "applicant_type": "person",
        "applicant_name": "张秀英",
        "id_number": ID_NUMBER,
        "phone": "13912345678",
        "address": "城关街道人民路1号",
        "items": [world["item"].pk],
        "kind": "assist",
        "channel": "window",
        "category": "personal",
    } | extra


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("applicant_name", NUL, (NUL_ERROR, {})),
        ("applicant_name", CONTROL, (CONTROL_ERROR, {"code": 7})),
        ("applicant_name", "张" * 101, (TOO_LONG, {"limit_value": 100, "show_value": 101})),
        ("address", "路\x1b1号", (CONTROL_ERROR, {"code": 0x1B})),
        ("address", "路" * 201, (TOO_LONG, {"limit_value": 200, "show_value": 201})),
    ],
    ids=["name-nul", "name-control", "name-long", "address-control", "address-long"],
)
def test_registration_refuses_nul_control_and_overlong_text(client, world, field, value, error):
    client.force_login(world["agent"])
    response = client.post(reverse("desk:register"), person(world, **{field: value}))
    assert response.status_code == 200
    message, values = error
    assert zh(message, **values) in response.content.decode()
    assert not Case.objects.exists()


def test_registration_keeps_markup_rare_characters_and_emoji_whole(client, world):
    client.force_login(world["agent"])
    names = [SCRIPT, BREAKOUT, RARE, f"张三{EMOJI}", "𠮷" * 100]
    for name in names:
        address = f"{BREAKOUT}{RARE}路{EMOJI}1号"
        response = client.post(
            reverse("desk:register"), person(world, applicant_name=name, address=address)
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        case = Case.objects.latest("pk")
        # Stored exactly: nothing cut, nothing altered (the 100 astral characters too).
        assert (case.applicant_name, case.address) == (name, address)
        page = client.get(response["Location"]).content.decode()
        shows_escaped(page, name)
    # The registration form prints the name and the address as typed.
    for case in Case.objects.filter(applicant_name__in=[SCRIPT, RARE, f"张三{EMOJI}"]):
        text = printed(client, case, "registration_personal")
        assert in_order(case.applicant_name, text), text
        assert in_order(case.address, text), text


def test_an_emoji_no_font_has_refuses_the_form_and_names_it(client, world):
    client.force_login(world["agent"])
    name = f"张三{UNPRINTABLE}"
    response = client.post(reverse("desk:register"), person(world, applicant_name=name))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.applicant_name == name
    response = form_pdf(client, case, "registration_personal")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "U+1F468" in page and "U+1F467" in page
    with translation.override("zh-hans"):
        message = gettext(
            "The form cannot be printed: no installed font has the character %(chars)s. "
            "Ask the administrator to install a font that has it."
        )
    assert message.split("%(chars)s")[-1] in page


# The public portal's application --------------------------------------------------------------


def test_the_portal_application_refuses_nul_control_and_overlong_and_keeps_the_rest(
    client, sms, django_capture_on_commit_callbacks, settings
):
    settings.BANGBAN_PORTAL_POSTS_PER_IP_HOUR = 100
    world = make_world()
    verified(client, world, sms, django_capture_on_commit_callbacks)
    url = reverse("portal-apply-details")
    base = {"applicant_name": "张秀英", "id_number": ID_NUMBER, "kind": "assist"}
    refused = [
        ({"applicant_name": NUL}, zh(NUL_ERROR)),
        ({"applicant_name": CONTROL}, zh(CONTROL_ERROR, code=7)),
        ({"address": "路\x001号"}, zh(NUL_ERROR)),
        ({"applicant_name": "张" * 101}, None),
    ]
    for extra, message in refused:
        response = client.post(url, base | extra)
        assert response.status_code == 400, extra
        if message:
            assert message in response.content.decode()
        assert not Case.objects.exists()
    name, address = f"{SCRIPT}{RARE}{EMOJI}", f"{BREAKOUT}㐀路1号"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, base | {"applicant_name": name, "address": address})
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert (case.applicant_name, case.address) == (name, address)
    client.force_login(world["agent"])
    shows_escaped(client.get(reverse("cases:detail", args=[case.pk])).content.decode(), name)


# Case actions: one-time notice, termination, rating -------------------------------------------


def act(client, case: Case, action: str, data: dict):
    case.refresh_from_db()
    return client.post(
        reverse("cases:act", args=[case.pk, action]), {"revision": case.revision, **data}
    )


def notice_data(name: str, how: str) -> dict:
    return {
        "deadline": "2099-12-31",
        "missing-TOTAL_FORMS": "1",
        "missing-INITIAL_FORMS": "0",
        "missing-MIN_NUM_FORMS": "1",
        "missing-MAX_NUM_FORMS": "100",
        "missing-0-name": name,
        "missing-0-how": how,
    }


def test_the_one_time_notice(client, world):
    case = case_in_state(State.REGISTERED, actor=world["agent"], items=[world["item"]])
    client.force_login(world["agent"])
    for name, how, message in [
        (NUL, "复印", zh(NUL_ERROR)),
        ("户口簿", CONTROL, zh(CONTROL_ERROR, code=7)),
        ("户" * 201, "复印", zh(TOO_LONG, limit_value=200, show_value=201)),
    ]:
        response = act(client, case, "issue_notice", notice_data(name, how))
        assert response.status_code == 200 and message in response.content.decode()
        assert not Notice.objects.exists()
    name, how = f"{SCRIPT}户口簿{RARE}", f"{BREAKOUT}到派出所复印{EMOJI}"
    response = act(client, case, "issue_notice", notice_data(name, how))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Notice.objects.get().missing == [{"name": name, "how": how}]
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    shows_escaped(page, name)
    text = printed(client, case, "one_time_notice")
    assert in_order(name, text) and in_order(how, text), text


def test_the_termination_reason(client, world):
    case = case_in_state(State.REGISTERED, actor=world["agent"], items=[world["item"]])
    client.force_login(world["agent"])
    base = {"requested_by": "applicant", "ground": "applicant_request"}
    for reason, message in [
        (NUL, zh(NUL_ERROR)),
        (CONTROL, zh(CONTROL_ERROR, code=7)),
        ("理" * 2001, zh(TOO_LONG, limit_value=2000, show_value=2001)),
    ]:
        response = act(client, case, "terminate", base | {"reason": reason})
        assert response.status_code == 200 and message in response.content.decode()
        assert not Termination.objects.exists()
    reason = f"{SCRIPT}{BREAKOUT}申请人{RARE}决定暂不办理{EMOJI}" + "理" * 1900
    response = act(client, case, "terminate", base | {"reason": reason})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Termination.objects.get().explanation == reason  # 1,900+ characters, whole
    shows_escaped(client.get(reverse("cases:detail", args=[case.pk])).content.decode(), SCRIPT)
    text = printed(client, case, "termination_forms")
    assert in_order(reason, text), text


def test_the_rating_comment(client, world):
    case = case_in_state(State.DELIVERED, actor=world["agent"], items=[world["item"]])
    client.force_login(world["agent"])
    base = {"level": "5", "source": "window"}
    for comment, message in [
        (NUL, zh(NUL_ERROR)),
        (CONTROL, zh(CONTROL_ERROR, code=7)),
        ("好" * 2001, zh(TOO_LONG, limit_value=2000, show_value=2001)),
    ]:
        response = act(client, case, "rate", base | {"comment": comment})
        assert response.status_code == 200 and message in response.content.decode(), comment
        assert not Rating.objects.exists()
    comment = f"{SCRIPT}{BREAKOUT}代办员{RARE}服务很好{EMOJI}"
    long = comment + "好" * 1900  # at the window a comment may be long: kept whole
    response = act(client, case, "rate", base | {"comment": long})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Rating.objects.get().comment == long
    shows_escaped(client.get(reverse("cases:detail", args=[case.pk])).content.decode(), comment)
    text = printed(client, case, "evaluation_form")
    # The long comment runs on to a second page rather than being cut at its box.
    assert in_order(long, text) and text.count("好") >= long.count("好"), text


# The public complaint -------------------------------------------------------------------------


def test_the_public_complaint(client, world, settings):
    settings.BANGBAN_PORTAL_POSTS_PER_IP_HOUR = 100
    url = reverse("complaint-new")
    base = {
        "category": "attitude",
        "description": "窗口人员态度差",
        "contact_name": "欧阳·娜娜",
        "contact_phone": "13912345678",
    }
    for extra, message in [
        ({"description": NUL}, zh(NUL_ERROR)),
        ({"contact_name": CONTROL}, zh(CONTROL_ERROR, code=7)),
        ({"description": "差" * 2001}, None),
    ]:
        response = client.post(url, base | extra)
        assert response.status_code == 400, extra
        if message:
            assert message in response.content.decode()
        assert not Complaint.objects.exists()
    description = f"{SCRIPT}{BREAKOUT}窗口人员{RARE}态度差{EMOJI}"
    response = client.post(url, base | {"description": description, "contact_name": RARE})
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint = Complaint.objects.get()
    assert (complaint.description, complaint.contact_name) == (description, RARE)
    assert client.get(response["Location"]).status_code == 200
    client.force_login(UserFactory(unit=world["tree"]["county"], role=Role.SUPERVISOR))
    page = client.get(reverse("feedback:complaint", args=[complaint.pk])).content.decode()
    shows_escaped(page, description)
    shows_escaped(page, RARE)


def test_the_control_character_message_names_the_character():
    from bangban.core.text import control_message

    assert control_message("张三") is None
    assert control_message("第一行\n第二行\t缩进\r\n") is None
    assert "U+0007" in control_message("张\x07三")
    assert "U+009B" in control_message("张\x9b三")
    assert re.search("U\\+FFFF", control_message("张\uffff"))


# Withdrawing an inspection finding, and a back-entry reason -----------------------------------


def test_a_finding_withdrawal_reason_is_refused_when_too_long_never_cut(client, world):
    import io as _io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from bangban.assessment.models import Finding
    from bangban.assessment.services import finding_record

    supervisor = UserFactory(unit=world["tree"]["county"], role=Role.SUPERVISOR)
    buffer = _io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    finding = finding_record(
        actor=supervisor,
        unit=world["village"],
        year=2026,
        found_on=date(2026, 11, 2),
        kind="rule_gap",
        description=f"{SCRIPT}{RARE}制度不全",
        evidence=SimpleUploadedFile("检查记录.png", buffer.getvalue()),
    )
    client.force_login(supervisor)
    url = reverse("assessment:finding-withdraw", args=[finding.pk])
    for reason, expected in [
        ("撤" * 501, zh("The reason is too long: at most %(limit)d characters.", limit=500)),
        (NUL, zh(NUL_ERROR)),
        (CONTROL, zh(CONTROL_ERROR, code=7)),
    ]:
        response = client.post(url, {"reason": reason})
        assert response.status_code == 400 and expected in response.content.decode()
        assert not Finding.objects.get(pk=finding.pk).withdrawn
    reason = f"{BREAKOUT}复查{RARE}已整改" + "撤" * 400
    assert client.post(url, {"reason": reason}).status_code == 302
    assert Finding.objects.get(pk=finding.pk).withdrawn_reason == reason


def test_a_back_entry_reason_longer_than_the_timeline_keeps_is_refused(world):
    """The forms stop at 200 characters; the services (the API's way in) used to cut the
    timeline's copy to 200 unseen."""
    from datetime import timedelta

    from django.utils import timezone

    from bangban.cases import services
    from bangban.core.errors import ValidationFailed

    case = case_in_state(State.REGISTERED, actor=world["agent"], items=[world["item"]])
    with pytest.raises(ValidationFailed) as refused:
        services.case_accept(
            actor=world["agent"],
            case=case,
            revision=case.revision,
            occurred_at=timezone.now() - timedelta(minutes=1),
            back_entry_reason="补" * 201,
        )
    assert refused.value.field == "back_entry_reason"
    case.refresh_from_db()
    assert case.state == State.REGISTERED
