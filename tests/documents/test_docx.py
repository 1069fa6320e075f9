"""The Word versions of the registration forms and the delegation agreement: rendered for a
realistic case and read back with python-docx — every form carries the case number, the unit,
the applicant, the items, the QR code of the tracking page and the content hash in its footer,
and no Jinja tag is left over. The committed templates are what `bangban docx_templates`
builds, so they can always be rebuilt."""

import io
import random
import re
import zipfile
from pathlib import Path

import docx
import pytest
from django.core.management import call_command
from docx.oxml.ns import qn

from bangban.cases import services as case_services
from bangban.cases.workflow import State
from bangban.core.errors import Conflict
from bangban.core.identifiers import generate_credit_code
from bangban.documents import docx as word
from bangban.documents.builders import build
from bangban.documents.models import Kind
from bangban.documents.rendering import form_hash, tracking_url
from bangban.documents.templatetags.documents_print import form_date
from tests.cases.factories import APPLICANT_SIGNATORY, FORMS, PERSON
from tests.documents.conftest import make

pytestmark = pytest.mark.django_db

CREDIT_CODE = generate_credit_code(random.Random(5))

DIGEST = "0123456789abcdef" * 4
COPY_MARKS = ("委托方留存", "代办中心留存", "审批部门留存")
TAG = re.compile(r"\{[{%#]|[}%#]\}")


class Read:
    """A rendered .docx opened with python-docx: its body text (paragraphs and table cells, in
    document order), its footer text, and its raw parts."""

    def __init__(self, package: bytes):
        self.document = docx.Document(io.BytesIO(package))
        self.zip = zipfile.ZipFile(io.BytesIO(package))
        body = self.document.element.body
        self.body = "".join(t.text or "" for t in body.iter(qn("w:t")))
        self.footer = "".join(
            t.text or ""
            for section in self.document.sections
            for t in section.footer._element.iter(qn("w:t"))
        )

    def parts(self, pattern: str) -> dict[str, str]:
        return {
            name: self.zip.read(name).decode("utf-8")
            for name in self.zip.namelist()
            if re.fullmatch(pattern, name)
        }

    def images(self) -> list[bytes]:
        return [self.zip.read(n) for n in self.zip.namelist() if n.startswith("word/media/")]


def render(kind: Kind, data: dict, qr_url: str) -> Read:
    package = word.render_docx(kind, data=data, qr_url=qr_url, digest=DIGEST)
    read = Read(package)
    assert_well_formed(read, qr_url)
    return read


def assert_well_formed(read: Read, qr_url: str) -> None:
    # Everything a tag could be in was rendered: body, footers, headers, properties.
    rendered = r"word/(document|footer\d*|header\d*)\.xml|docProps/core\.xml"
    for name, xml in read.parts(rendered).items():
        assert not TAG.search(xml), f"unrendered tag in {name}: {TAG.search(xml)[0]}"
    # The QR code: one inline picture, the PNG of the tracking page's code, linked to it too.
    assert len(read.document.inline_shapes) == 1
    assert read.images() == [word.qr_png(qr_url)]
    assert qr_url in read.parts(r"word/_rels/document\.xml\.rels")["word/_rels/document.xml.rels"]
    # The footer of every page: the content hash, labelled as on the PDF.
    assert f"内容校验码（SHA-256）: {DIGEST}" in read.footer
    assert DIGEST not in read.body


def assert_common(read: Read, case, data: dict) -> None:
    assert case.number in read.body
    assert case.unit.name in read.body
    assert case.applicant_name in read.body
    assert "个体工商户设立登记" in read.body
    assert data["items"][0]["department"] in read.body
    assert "扫码查询进度" in read.body


def test_personal_registration_form(world):
    case = make(world, State.REGISTERED, special_group=True)
    form = build(case, Kind.REGISTRATION_PERSONAL)
    read = render(Kind.REGISTRATION_PERSONAL, form.data, form.qr_url)
    assert form.qr_url == tracking_url(case.number)
    assert_common(read, case, form.data)
    body = read.body
    assert "帮办代办服务登记表" in body and "个人政务服务事项" in body
    # The applicant's own record: the full ID number, phone and address.
    for value in (PERSON["id_number"], PERSON["phone"], PERSON["address"]):
        assert value in body
    # The registration date as forms write it; the signature dates left for the pen.
    registered = form.data["registered_on"]
    year, month, day = (int(part) for part in registered.split("-"))
    assert f"{year}年{month}月{day}日" in body
    assert form_date("") in body
    assert "绿色通道是" in body  # special_group
    assert "李帮办" in body
    assert read.document.core_properties.subject == case.number


def test_enterprise_registration_form(world):
    case = make(
        world,
        State.REGISTERED,
        applicant_type="enterprise",
        category="project",
        applicant={
            # "&" and "<" in a name must print as themselves, not break the XML.
            "applicant_name": "商南县A&B<绿源>茶业有限公司",
            "phone": "13812345678",
            "id_number": PERSON["id_number"],
            "legal_representative": "王建国",
            "project_name": "年产500吨茶叶精深加工项目",
            "project_location": "试马镇工业园区",
            "investment": "3200.00",
            "key_project": "招商引资",
        },
        credit_code=CREDIT_CODE,
    )
    form = build(case, Kind.REGISTRATION_ENTERPRISE)
    read = render(Kind.REGISTRATION_ENTERPRISE, form.data, form.qr_url)
    assert_common(read, case, form.data)
    body = read.body
    assert "项目建设、涉企经营服务事项" in body
    assert "商南县A&B<绿源>茶业有限公司" in body
    for value in (
        CREDIT_CODE,
        PERSON["id_number"],
        "王建国",
        "年产500吨茶叶精深加工项目",
        "试马镇工业园区",
        "3200.00",
        "招商引资",
    ):
        assert value in body, value
    assert "申请单位（盖章）" in body


@pytest.fixture
def agreement_case(world):
    """A proxy case in progress: the agreement signed, the principal's materials handed to the
    agent."""
    case = make(world, State.IN_PROGRESS, kind="proxy")
    case_services.handover_record(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        giver="applicant",
        receiver="agent",
        lines=FORMS,
        giver_signatory=APPLICANT_SIGNATORY,
        receiver_signatory="李帮办",
    )
    case.refresh_from_db()
    return case


def body_sequence(read: Read) -> list[str]:
    """The body as a sequence of texts and "<page>" for each page break, in document order."""
    sequence = []
    for element in read.document.element.body.iter(qn("w:t"), qn("w:br")):
        if element.tag == qn("w:br"):
            if element.get(qn("w:type")) == "page":
                sequence.append("<page>")
        else:
            sequence.append(element.text or "")
    return sequence


def test_delegation_agreement(agreement_case):
    case = agreement_case
    form = build(case, Kind.DELEGATION_AGREEMENT)
    data = form.data
    read = render(Kind.DELEGATION_AGREEMENT, data, form.qr_url)
    assert_common(read, case, data)
    body = read.body
    assert "代办服务委托书" in body
    assert f"受{data['principal']}委托，开展{data['service_name']}代办服务" in body
    # The contacts of both parties, with the principal's full ID number.
    assert f"委托方联系人：{data['contact_name']}" in body
    assert data["contact_id_number"] == PERSON["id_number"]
    assert PERSON["id_number"] in body
    assert f"{data['agent_town']}乡（镇）{data['agent_village']}村（社区）李帮办" in body
    assert data["agent_phone"] in body
    assert data["scope"] in body
    for text in (data["duties_principal"], data["duties_agency"], data["liability"]):
        assert text in body
    # All seven circumstances, numbered (1)–(7), and the effect clause.
    assert len(data["clauses"]) == 7
    for number, clause in enumerate(data["clauses"], start=1):
        assert f"（{number}）{clause}" in body
    assert data["effect"] in body
    # The handover list in triplicate: each copy marked and on its own page, each listing the
    # materials the principal handed over.
    sequence = body_sequence(read)
    marks = [i for i, text in enumerate(sequence) if text.strip() in COPY_MARKS]
    assert [sequence[i].strip() for i in marks] == list(COPY_MARKS)
    breaks = [i for i, text in enumerate(sequence) if text == "<page>"]
    assert len(breaks) == 3
    first, second, third = marks
    assert breaks[0] < first < breaks[1] < second < breaks[2] < third
    assert body.count("申报材料移交清单") == 1 + 3  # named in the agreement, then each copy
    for number, line in enumerate(FORMS, start=1):
        kept = "原件" if line.get("original") else "复印件"
        assert body.count(f"{number}{line['material']}{line['copies']}{kept}") == 3
    # The agency's line ends the agreement and each copy, so every keeper's copy names it.
    assert data["unit_address"] and data["unit_phone"]
    unit_line = f"{data['unit']} · {data['unit_address']} · 电话 {data['unit_phone']}"
    lines = [i for i, text in enumerate(sequence) if text == unit_line]
    assert len(lines) == 4
    assert lines[0] < breaks[0] and first < lines[1] < second < lines[2] < third < lines[3]


def test_agreement_blanks_and_free_text(agreement_case):
    """A county-level agent (no town, no village), no signing date, and agreed terms over two
    lines: the blanks stay blanks for the pen and the terms keep their line break."""
    data = build(agreement_case, Kind.DELEGATION_AGREEMENT).data | {
        "agent_town": "",
        "agent_village": "",
        "signed_on": "",
        "terms": "材料原件由代办员保管。\r\n办结后三日内退还。",
        "materials": [],
    }
    read = render(Kind.DELEGATION_AGREEMENT, data, tracking_url(agreement_case.number))
    body = read.body
    assert f"{word.BLANK}乡（镇）{word.BLANK}村（社区）李帮办" in body
    assert body.count(form_date("")) == 2 + 2 * 3  # both parties, each copy's two
    assert "其他约定" in body
    xml = read.parts(r"word/document\.xml")["word/document.xml"]
    assert re.search(r"材料原件由代办员保管。</w:t>\s*<w:br/>\s*<w:t[^>]*>办结后三日内退还。", xml)
    # No material yet: each copy still has eight rows for the pen under its header.
    tables = read.document.tables
    material_tables = [
        t for t in tables if t.rows[0].cells[0].text == "序号" and len(t.columns) == 4
    ]
    assert len(material_tables) == 3
    assert all(len(t.rows) == 1 + 8 for t in material_tables)


def test_agreement_without_terms_has_no_terms_row(agreement_case):
    data = build(agreement_case, Kind.DELEGATION_AGREEMENT).data | {"terms": ""}
    read = render(Kind.DELEGATION_AGREEMENT, data, tracking_url(agreement_case.number))
    assert "其他约定" not in read.body


def test_only_the_word_kinds_render(world):
    case = make(world, State.REGISTERED)
    data = build(case, Kind.REGISTRATION_PERSONAL).data
    with pytest.raises(Conflict):
        word.render_docx(Kind.ACCEPTANCE_RECEIPT, data=data, qr_url="x", digest=DIGEST)


def entries(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_committed_templates_are_what_the_command_builds(tmp_path, monkeypatch, world):
    """`bangban docx_templates` rebuilds the committed templates part for part (they carry no
    build time; the compressed bytes may differ with another zlib), and what it builds
    renders."""
    call_command("docx_templates", output=str(tmp_path), stdout=io.StringIO())
    for kind in word.DOCX_KINDS:
        built = (tmp_path / f"{kind.value}.docx").read_bytes()
        assert entries(built) == entries(word.template_path(kind).read_bytes()), (
            f"{kind.value}.docx is out of date: run `bangban docx_templates`"
        )
    monkeypatch.setattr(word, "TEMPLATE_DIR", Path(tmp_path))
    case = make(world, State.REGISTERED)
    form = build(case, Kind.REGISTRATION_PERSONAL)
    digest = form_hash("registration_personal.docx", data=form.data, qr_url=form.qr_url)
    package = word.render_docx(
        Kind.REGISTRATION_PERSONAL, data=form.data, qr_url=form.qr_url, digest=digest
    )
    read = Read(package)
    assert case.number in read.body and digest in read.footer


def test_same_input_same_bytes(world):
    case = make(world, State.REGISTERED)
    form = build(case, Kind.REGISTRATION_PERSONAL)
    first, second = (
        word.render_docx(form.kind, data=form.data, qr_url=form.qr_url, digest=DIGEST)
        for _ in range(2)
    )
    assert first == second
