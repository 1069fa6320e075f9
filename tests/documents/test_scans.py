"""Signed scans: the photo or scan of a signed paper form, uploaded from the case page and
attached to its document record — real PNG, JPEG and PDF files, and every kind of bad file a
window gets (empty, too big, renamed, truncated, not what it says), each refused with a clear
message and nothing stored."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from bangban.cases.workflow import State
from bangban.core.errors import Conflict, PermissionDenied
from bangban.core.models import Event
from bangban.documents.models import Kind, SignedScan
from bangban.documents.services import document_generate, scan_attach
from bangban.org.models import Role
from tests.documents.conftest import make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str, size=(600, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def printed(world):
    case = make(world, State.ACCEPTED)
    document = document_generate(actor=world["agent"], case=case, kind=Kind.ACCEPTANCE_RECEIPT)
    with document.file.open("rb") as f:
        pdf = f.read()
    return case, document, pdf


def upload(client, document, name: str, content: bytes):
    return client.post(
        reverse("documents:scan-upload", args=[document.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def page_text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "maker", "content_type"),
    [
        ("回执签字.png", lambda pdf: image_bytes("PNG"), "image/png"),
        ("IMG_0001.JPG", lambda pdf: image_bytes("JPEG"), "image/jpeg"),
        ("scan.pdf", lambda pdf: pdf, "application/pdf"),
    ],
)
def test_a_signed_scan_is_attached_kept_whole_and_opened_with_a_log(
    world, client, printed, name, maker, content_type
):
    case, document, pdf = printed
    content = maker(pdf)
    client.force_login(world["agent"])
    response = upload(client, document, name, content)
    assert response.status_code == 200
    assert "签字扫描件已附在表单上" in page_text(response)
    scan = SignedScan.objects.get(document=document)
    assert (scan.content_type, scan.size, scan.original_name) == (content_type, len(content), name)
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert scan.event.action == "document.scan_attach"
    assert scan.event.after["sha256"] == scan.sha256
    # The stored name is ours, not the uploader's.
    assert name not in scan.file.name
    # The case page lists it under its form; opening it gives the same bytes and a log line.
    page = page_text(client.get(reverse("cases:detail", args=[case.pk])))
    assert f'data-scan="{scan.pk}"' in page
    opened = client.get(reverse("documents:scan", args=[scan.pk]))
    assert opened.status_code == 200 and opened["Content-Type"] == content_type
    assert b"".join(opened.streaming_content) == content
    assert opened["Cache-Control"] == "private, no-store"
    assert Event.objects.filter(action="personal_data.reveal", after__scan=scan.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "文件是空的"),
        ("script.pdf", b"<script>alert(1)</script>", "只能上传PDF、JPG、PNG文件"),
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100, "只能上传PDF、JPG、PNG文件"),
        ("photo.jpg", b"%PDF-1.7\n1 0 obj\n%%EOF\n", "文件名与其内容不符"),
        ("photo.pdf", "PNG", "文件名与其内容不符"),
        ("cut.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n", "PDF文件不完整或已损坏"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "图片无法读取"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_stored(
    world, client, printed, name, content, message
):
    _case, document, _pdf = printed
    if content == "PNG":
        content = image_bytes("PNG")
    client.force_login(world["agent"])
    events = Event.objects.count()
    response = upload(client, document, name, content)
    assert response.status_code == 200
    assert message in page_text(response)
    assert not SignedScan.objects.exists()
    assert Event.objects.count() == events


def test_a_file_over_the_limit_is_refused(world, client, printed, settings):
    settings.BANGBAN_SCAN_MAX_MB = 1
    _case, document, _pdf = printed
    big = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    client.force_login(world["agent"])
    response = upload(client, document, "big.png", big)
    assert "文件超过1 MB" in page_text(response)
    assert not SignedScan.objects.exists()


def test_no_file_chosen(world, client, printed):
    _case, document, _pdf = printed
    client.force_login(world["agent"])
    response = client.post(reverse("documents:scan-upload", args=[document.pk]), follow=True)
    assert "请选择要上传的扫描件或照片" in page_text(response)


def test_who_may_attach_and_open(world, client, printed):
    _case, document, _pdf = printed
    tree = world["tree"]
    supervisor = UserFactory(unit=tree["county"], role=Role.SUPERVISOR)
    other_agent = UserFactory(unit=tree["villages"][2], role=Role.AGENT)
    png = image_bytes("PNG")
    with pytest.raises(PermissionDenied):
        scan_attach(
            actor=supervisor,
            document=document,
            upload=SimpleUploadedFile("a.png", png),
        )
    client.force_login(supervisor)
    assert upload(client, document, "a.png", png).status_code == 403
    client.force_login(other_agent)
    assert upload(client, document, "a.png", png).status_code == 404
    scan = scan_attach(
        actor=world["agent"], document=document, upload=SimpleUploadedFile("a.png", png)
    )
    assert client.get(reverse("documents:scan", args=[scan.pk])).status_code == 404
    assert client.get(reverse("documents:record", args=[document.pk])).status_code == 404
    client.force_login(supervisor)
    assert client.get(reverse("documents:scan", args=[scan.pk])).status_code == 200
    assert client.get(reverse("documents:record", args=[document.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("documents:scan", args=[scan.pk])).status_code == 302


def test_an_archived_case_takes_no_more_scans_and_reprints_what_was_filed(world, client):
    from bangban.cases import services as case_services

    case = make(world, State.DELIVERED)
    agent = world["agent"]
    document = document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL)
    case_services.rating_record(actor=agent, case=case, revision=case.revision, level=5)
    case.refresh_from_db()
    case = case_services.case_archive(actor=agent, case=case, revision=case.revision)
    with pytest.raises(Conflict):
        scan_attach(
            actor=agent, document=document, upload=SimpleUploadedFile("a.png", image_bytes("PNG"))
        )
    # What was filed prints as it was; a form nobody printed is made once from the locked case.
    assert document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL) == document
    notice = document_generate(actor=agent, case=case, kind=Kind.COMPLETION_NOTICE)
    assert document_generate(actor=agent, case=case, kind=Kind.COMPLETION_NOTICE) == notice
    client.force_login(agent)
    page = page_text(client.get(reverse("cases:detail", args=[case.pk])))
    assert "上传签字扫描件" not in page


def test_handover_lists_print_from_the_case_page(world, client):
    from bangban.cases import services as case_services

    case = make(world, State.ACCEPTED)
    handover = case_services.handover_record(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        giver="applicant",
        receiver="agent",
        lines=[{"material": "身份证复印件", "copies": 1}],
        giver_signatory="张秀英",
        receiver_signatory="李帮办",
    )
    client.force_login(world["agent"])
    page = page_text(client.get(reverse("cases:detail", args=[case.pk])))
    url = reverse(
        "documents:form-subject-pdf", args=[case.pk, "handover_list", f"handover-{handover.pk}"]
    )
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    missing = reverse("documents:form-subject-pdf", args=[case.pk, "handover_list", "handover-0"])
    assert client.get(missing).status_code == 404
