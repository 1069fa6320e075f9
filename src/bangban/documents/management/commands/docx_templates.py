"""Builds the Word templates of the forms that have a DOCX version (documents.docx), so the
committed .docx files are never edited by hand: change this script and run

    bangban docx_templates

Labels are translated here, with Chinese active, and written into the templates as text; what
changes per case is left as docxtpl's Jinja tags over the form's `data`. The layout follows the
PDF forms (templates/documents/*.html): A4, a centred bold title, the case number, the unit and
the QR code at the top, ruled tables of labelled cells, signature and seal lines, and the
content hash in the footer of every page. Fonts are set for East Asian text as 宋体 (body) and
黑体 (titles and labels), the fonts Word has on the county's PCs.
"""

import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from bangban.documents.docx import DOCX_KINDS, TEMPLATE_DIR, stable_zip, template_path
from bangban.documents.models import Kind
from bangban.documents.templatetags.documents_print import agreement_copies, form_date

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
LATIN_FONT = "Times New Roman"

# A4 with 2 cm margins: 170 mm for the tables.
PAGE = (210, 297)
MARGIN = 20
WIDTH = PAGE[0] - 2 * MARGIN

# The form grid: label, value, label, value (the PDF's colgroup).
GRID = (35, 50, 35, 50)
LABEL_FILL = "F2F2F2"
# The underline a signature goes on: ideographic spaces, which Word underlines even at the end
# of a line (it drops the underline of trailing ASCII spaces).
SIGN_LINE = "\u3000" * 8

# Fixed document properties: a rebuild of an unchanged template gives the same file.
BUILT = datetime(2025, 1, 1, tzinfo=UTC)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


# Styles and fonts -------------------------------------------------------------------------


def _set_fonts(rpr: BaseOxmlElement, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Explicit fonts on a run-properties element. The theme attributes go: Word takes a theme
    font over an explicit one on the same element, and python-docx's default template sets its
    theme up for Japanese (themeFontLang ja-JP)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _document_defaults(document: DocxDocument) -> None:
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(rpr, BODY_FONT)
    language = rpr.find(qn("w:lang"))
    language.set(qn("w:val"), "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    # Word picks the East Asian font for ambiguous characters (quotes, dashes) by this.
    settings = document.settings.element
    theme_language = settings.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:eastAsia"), "zh-CN")

    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)  # 五号, the size of Chinese forms' body text
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.paragraph_format.line_spacing = 1.25


def _paragraph_style(
    document: DocxDocument,
    name: str,
    *,
    size: float = 10.5,
    east_asia: str = BODY_FONT,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    before: float = 0,
    after: float = 0,
    line: float | None = None,
) -> None:
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    style.font.bold = bold
    _set_fonts(style.element.get_or_add_rPr(), east_asia)
    paragraph = style.paragraph_format
    paragraph.alignment = align
    paragraph.space_before = Pt(before)
    paragraph.space_after = Pt(after)
    if line is not None:
        paragraph.line_spacing = line
    if indent:
        # Two characters, the first-line indent of Chinese prose.
        paragraph.first_line_indent = Pt(2 * size)


def _styles(document: DocxDocument) -> None:
    _document_defaults(document)
    centre = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph_style(
        document, "Form Title", size=18, east_asia=TITLE_FONT, bold=True, align=centre, after=4
    )
    _paragraph_style(document, "Form Subtitle", size=10.5, align=centre, after=6)
    _paragraph_style(
        document, "Form Heading", size=12, east_asia=TITLE_FONT, bold=True, before=6, after=3
    )
    _paragraph_style(document, "Form Text", size=11, indent=True, line=1.5)
    _paragraph_style(
        document, "Form Label", size=10.5, east_asia=TITLE_FONT, bold=True, align=centre
    )
    _paragraph_style(document, "Form Cell", size=10.5)
    _paragraph_style(document, "Form Centred", size=10.5, align=centre)
    _paragraph_style(document, "Form Sign", size=10.5, before=6, line=1.5)
    _paragraph_style(document, "Form Small", size=9)
    _paragraph_style(document, "Form Footer", size=7)


# Page, footer and properties --------------------------------------------------------------


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE[0]), Mm(PAGE[1])
    section.left_margin = section.right_margin = Mm(MARGIN)
    section.top_margin = section.bottom_margin = Mm(MARGIN)
    section.header_distance = section.footer_distance = Mm(10)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A field Word computes when it lays out the page (PAGE, NUMPAGES)."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _footer(document: DocxDocument) -> None:
    """Every page: the content hash on the left (as on the PDF), the page number on the right.
    docxtpl renders footers too, so the digest is a tag like any other."""
    footer = document.sections[0].footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = document.styles["Form Footer"]
    paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.add_run(_("Content hash (SHA-256)") + ": {{ digest }}")
    paragraph.add_run("\t")
    _field(paragraph, "PAGE")
    paragraph.add_run(" / ")
    _field(paragraph, "NUMPAGES")


def _properties(document: DocxDocument, title: str) -> None:
    properties = document.core_properties
    properties.title = title
    # docxtpl renders these too: the file's properties name the case and the content hash.
    properties.subject = "{{ data.number }}"
    properties.identifier = "{{ data.number }}"
    properties.comments = _("Content hash (SHA-256)") + ": {{ digest }}"
    properties.author = "bangban"
    properties.last_modified_by = "bangban"
    properties.language = "zh-CN"
    properties.keywords = ""
    properties.revision = 1
    properties.created = properties.modified = BUILT
    # The default template's thumbnail shows an empty page of its own: not this form.
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            package.rels.pop(key)


# Tables -----------------------------------------------------------------------------------


def _table(document: DocxDocument, widths: Sequence[float], *, ruled: bool = True) -> Table:
    table = document.add_table(rows=0, cols=len(widths))
    if ruled:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed layout with the widths given: Word must not reflow a form around its contents.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    return table


def _row(table: Table, *, height: float | None = None) -> _Row:
    row = table.add_row()
    if height is not None:
        row.height = Mm(height)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    return row


def _span(row: _Row, first: int, last: int) -> _Cell:
    cells = row.cells
    return cells[first] if first == last else cells[first].merge(cells[last])


def _shade(cell: _Cell) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), LABEL_FILL)
    cell._tc.get_or_add_tcPr().append(shading)


def _write(cell: _Cell, text: str, style: str = "Form Cell", *, top: bool = False) -> _Cell:
    paragraph = cell.paragraphs[0]
    paragraph.style = cell.part.document.styles[style]
    if text:
        paragraph.add_run(text)
    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
    )
    return cell


def _label(cell: _Cell, text: str) -> _Cell:
    _shade(cell)
    return _write(cell, text, "Form Label")


def _fields(table: Table, *pairs: tuple[str, str], height: float | None = None) -> _Row:
    """One row of the 4-column grid: two label/value pairs, or one whose value spans the row."""
    row = _row(table, height=height)
    tall = height is not None
    if len(pairs) == 1:
        [(label, value)] = pairs
        _label(row.cells[0], label)
        _write(_span(row, 1, 3), value, top=tall)
    else:
        for index, (label, value) in enumerate(pairs):
            _label(row.cells[2 * index], label)
            _write(row.cells[2 * index + 1], value, top=tall)
    return row


def _loop(table: Table, tag: str) -> None:
    """A row holding only a docxtpl row tag ({%tr for … %}, {%tr endfor %}): docxtpl drops
    the row and repeats the rows between."""
    _write(_row(table).cells[0], tag)


def _items(table: Table) -> None:
    """The items block of the registration grid: a heading row, the column labels, one row per
    item (名称 over two columns)."""
    _label(_span(_row(table), 0, 3), _("Items"))
    header = _row(table)
    _label(header.cells[0], _("No."))
    _label(_span(header, 1, 2), _("Item"))
    _label(header.cells[3], _("Department"))
    # data['items'], not data.items: Jinja looks up an attribute first, and finds dict.items.
    _loop(table, "{%tr for item in data['items'] %}")
    row = _row(table)
    _write(row.cells[0], "{{ loop.index }}", "Form Centred")
    _write(_span(row, 1, 2), "{{ item.name }}")
    _write(row.cells[3], "{{ item.department }}")
    _loop(table, "{%tr endfor %}")


# Paragraphs -------------------------------------------------------------------------------


def _fill(paragraph: Paragraph, text: str, values: dict[str, str]) -> Paragraph:
    """A translated sentence with %(name)s placeholders (the PDF's msgid, whose <u> marks the
    filled-in blanks): its words as they are, each placeholder the Jinja expression in
    `values`, underlined like a filled-in blank (and an underlined gap for the pen when the
    value is empty)."""
    text = text.replace("<u>", "").replace("</u>", "")
    for index, part in enumerate(_PLACEHOLDER.split(text)):
        if index % 2:
            run = paragraph.add_run("{{ " + values[part] + " or blank }}")
            run.underline = True
        elif part:
            paragraph.add_run(part)
    return paragraph


# A line of a signature column: a label to sign after, (label, Jinja expression) for a name
# printed before the signature, or "=" and text to print as it is (a date, a seal).
SignLine = str | tuple[str, str]


def _sign(paragraph: Paragraph, line: SignLine) -> Paragraph:
    if isinstance(line, str) and line.startswith("="):
        paragraph.add_run(line[1:])
        return paragraph
    label, name = line if isinstance(line, tuple) else (line, "")
    paragraph.add_run(label + "：" + name)
    paragraph.add_run(SIGN_LINE).underline = True
    return paragraph


def _head(document: DocxDocument, title: str, subtitle: str = "") -> None:
    """Title, then the case number and the generating unit beside the QR code (as the PDF)."""
    document.add_paragraph(title, style="Form Title")
    if subtitle:
        document.add_paragraph(f"（{subtitle}）", style="Form Subtitle")
    table = _table(document, (WIDTH - 35, 35), ruled=False)
    left, right = _row(table).cells
    number = _write(left, _("Case number") + "：").paragraphs[0]
    number.add_run("{{ data.number }}").bold = True
    left.add_paragraph(_("Generating unit") + "：{{ data.unit }}", style="Form Cell")
    left.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    _write(right, "{{ qr }}", "Form Centred")
    right.add_paragraph(_("Scan to track progress"), style="Form Centred").runs[0].font.size = Pt(7)
    document.add_paragraph("", style="Form Small")


def _unit_line(document: DocxDocument) -> None:
    document.add_paragraph(
        "{{ data.unit }}{% if data.unit_address %} · {{ data.unit_address }}{% endif %}"
        "{% if data.unit_phone %} · " + _("Phone") + " {{ data.unit_phone }}{% endif %}",
        style="Form Small",
    ).paragraph_format.space_before = Pt(12)


def _signatures(
    document: DocxDocument, left: Sequence[SignLine], right: Sequence[SignLine]
) -> None:
    """Two signature columns without rules, as the PDF's two parties."""
    document.add_paragraph("", style="Form Small")
    table = _table(document, (WIDTH / 2, WIDTH / 2), ruled=False)
    for cell, lines in zip(_row(table).cells, (left, right), strict=True):
        for index, line in enumerate(lines):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.style = document.styles["Form Sign"]
            _sign(paragraph, line)


# The forms --------------------------------------------------------------------------------


def _registration(document: DocxDocument, *, enterprise: bool) -> None:
    title = _("Assist and proxy service registration form")
    if enterprise:
        subtitle = _("Project construction and enterprise business items")
    else:
        subtitle = _("Personal government service items")
    _head(document, title, subtitle)
    table = _table(document, GRID)
    service = "{{ data.kind }}{% if data.proxy_scope %}（{{ data.proxy_scope }}）{% endif %}"
    blank_date = "=" + form_date("")
    if enterprise:
        _fields(table, (_("Enterprise or project unit"), "{{ data.applicant }}"))
        _fields(
            table,
            (_("Unified social credit code"), "{{ data.credit_code }}"),
            (_("Legal representative"), "{{ data.legal_representative }}"),
        )
        _fields(
            table,
            (_("Contact person's ID number"), "{{ data.id_number }}"),
            (_("Contact phone"), "{{ data.phone }}"),
        )
        _fields(table, (_("Project name"), "{{ data.project_name }}"))
        _fields(
            table,
            (_("Project location"), "{{ data.project_location }}"),
            (_("Investment (10,000 yuan)"), "{{ data.investment }}"),
        )
        _fields(table, (_("Key project flags"), "{{ data.key_project }}"))
        _fields(table, (_("Address"), "{{ data.address }}"))
        _items(table)
        _fields(table, (_("Service"), service), (_("Channel"), "{{ data.channel }}"))
        _fields(
            table,
            (_("Registered on"), "{{ data.registered_on|form_date }}"),
            (_("Agent"), "{{ data.agent }}"),
        )
        _fields(table, (_("Service record"), ""), height=20)
        left = [_("Applicant (seal)"), _("Person in charge's signature"), blank_date]
    else:
        _fields(
            table,
            (_("Applicant"), "{{ data.applicant }}"),
            (_("ID number"), "{{ data.id_number }}"),
        )
        _fields(
            table,
            (_("Contact phone"), "{{ data.phone }}"),
            (_("Address"), "{{ data.address }}"),
        )
        _items(table)
        _fields(table, (_("Service"), service), (_("Channel"), "{{ data.channel }}"))
        yes, no = _("Yes"), _("No")
        _fields(
            table,
            (_("Category"), "{{ data.category }}"),
            (
                _("Green channel"),
                f"{{% if data.special_group %}}{yes}{{% else %}}{no}{{% endif %}}",
            ),
        )
        _fields(
            table,
            (_("Registered on"), "{{ data.registered_on|form_date }}"),
            (_("Registered by"), "{{ data.registered_by }}"),
        )
        _fields(table, (_("Agent"), "{{ data.agent }}"))
        _fields(table, (_("Service record"), ""), height=20)
        _fields(table, (_("Note"), ""), height=15)
        left = [_("Applicant's signature"), blank_date]
    _signatures(document, left, [_("Agent's signature"), _("Unit seal"), blank_date])
    _unit_line(document)


def _text(document: DocxDocument, text: str = "", *, lead: str = "") -> Paragraph:
    paragraph = document.add_paragraph(style="Form Text")
    if lead:
        paragraph.add_run(lead).bold = True
    if text:
        paragraph.add_run(text)
    return paragraph


def _material_table(document: DocxDocument) -> None:
    """The materials handed over (the PDF's _material_table.html): one row per line, then
    empty rows up to eight for materials added by hand."""
    table = _table(document, (15, 111, 20, 24))
    header = _row(table)
    labels = (_("No."), _("Material"), _("Copies"), _("Original or copy"))
    for cell, label in zip(header.cells, labels, strict=True):
        _label(cell, label)
    _loop(table, "{%tr for line in data.materials %}")
    row = _row(table, height=7)
    _write(row.cells[0], "{{ loop.index }}", "Form Centred")
    _write(row.cells[1], "{{ line.material }}")
    _write(row.cells[2], "{{ line.copies }}", "Form Centred")
    original, photocopy = _("Original"), _("Photocopy")
    _write(
        row.cells[3],
        f"{{% if line.original %}}{original}{{% else %}}{photocopy}{{% endif %}}",
        "Form Centred",
    )
    _loop(table, "{%tr endfor %}")
    _loop(table, "{%tr for _ in data.materials|pad_rows(8) %}")
    _row(table, height=7)
    _loop(table, "{%tr endfor %}")


def _copy_mark(document: DocxDocument, mark: str) -> None:
    """Whose copy this page is, boxed at the top right (the PDF's .copy-mark)."""
    paragraph = document.add_paragraph(style="Form Label")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(f" {mark} ")
    border = OxmlElement("w:bdr")
    for attribute, value in (("val", "single"), ("sz", "6"), ("space", "0"), ("color", "auto")):
        border.set(qn(f"w:{attribute}"), value)
    run._r.get_or_add_rPr().append(border)


def _handover_copy(document: DocxDocument, mark: str) -> None:
    """One copy of the annexed 申报材料移交清单, on its own page."""
    document.add_page_break()
    _copy_mark(document, mark)
    document.add_paragraph(_("Application material handover list"), style="Form Title")
    document.add_paragraph(
        _("Annex to the proxy service delegation agreement")
        + " · "
        + _("Case number")
        + " {{ data.number }}",
        style="Form Subtitle",
    )
    table = _table(document, GRID)
    _fields(
        table,
        (_("Principal"), "{{ data.principal }}"),
        (_("Agent"), "{{ data.agent_name }}"),
    )
    _fields(table, (_("Items"), "{{ data.service_name }}"))
    _material_table(document)
    blank_date = "=" + form_date("")
    _signatures(
        document,
        [_("Handed over by (signature)"), blank_date],
        [_("Received by (signature)"), blank_date],
    )
    # Each keeper's copy names the agency, as the PDF's copies do (_agreement_copy.html).
    _unit_line(document)


def _delegation_agreement(document: DocxDocument) -> None:
    """代办服务委托书 (001 annex 6), with the wording of the PDF (delegation_agreement.html)."""
    _head(document, _("Proxy service delegation agreement"))
    _fill(
        _text(document),
        _(
            "Delegated by <u>%(principal)s</u> to provide the proxy service for "
            "<u>%(service)s</u>, the parties agree on the service as follows:"
        ),
        {"principal": "data.principal", "service": "data.service_name"},
    )

    document.add_paragraph(_("1. The delegated items"), style="Form Heading")
    table = _table(document, (15, 105, 50))
    header = _row(table)
    for cell, label in zip(header.cells, (_("No."), _("Item"), _("Department")), strict=True):
        _label(cell, label)
    _loop(table, "{%tr for item in data['items'] %}")
    row = _row(table)
    _write(row.cells[0], "{{ loop.index }}", "Form Centred")
    _write(row.cells[1], "{{ item.name }}")
    _write(row.cells[2], "{{ item.department }}")
    _loop(table, "{%tr endfor %}")
    row = _row(table)
    _label(_span(row, 0, 1), _("Proxy scope"))
    _write(row.cells[2], "{{ data.scope }}")
    # Terms agreed beyond the annex's wording, when there are any.
    _loop(table, "{%tr if data.terms %}")
    row = _row(table)
    _label(_span(row, 0, 1), _("Other agreed terms"))
    _write(row.cells[2], "{{ data.terms }}")
    _loop(table, "{%tr endif %}")

    document.add_paragraph(_("2. The duties of both parties"), style="Form Heading")
    _text(document, "{{ data.duties_principal }}", lead=_("(1) The principal's duties") + "：")
    _text(document, "{{ data.duties_agency }}", lead=_("(2) The agency's duties") + "：")

    document.add_paragraph(_("3. Contacts of both parties"), style="Form Heading")
    _fill(
        _text(document),
        _(
            "(1) The principal's contact: <u>%(name)s</u>, phone <u>%(phone)s</u>, ID "
            "number <u>%(id)s</u>."
        ),
        {
            "name": "data.contact_name",
            "phone": "data.contact_phone",
            "id": "data.contact_id_number",
        },
    )
    _fill(
        _text(document),
        _(
            "(2) <u>%(agent)s</u> of <u>%(town)s</u> town, <u>%(village)s</u> village "
            "(community) is the agent for these items, phone <u>%(phone)s</u>."
        ),
        {
            "town": "data.agent_town",
            "village": "data.agent_village",
            "agent": "data.agent_name",
            "phone": "data.agent_phone",
        },
    )

    document.add_paragraph(_("4. Liability and termination"), style="Form Heading")
    _text(document, "{{ data.liability }}")
    document.add_paragraph("{%p for clause in data.clauses %}")
    _text(document, "（{{ loop.index }}）{{ clause }}")
    document.add_paragraph("{%p endfor %}")
    _text(document, "{{ data.effect }}")
    _text(document, _("Annex: application material handover list (in triplicate)"))

    signed = "={{ data.signed_on|form_date }}"
    _signatures(
        document,
        [
            "=" + _("Principal (unit seal)") + "：",
            (_("Principal's signature"), "{{ data.contact_name }}"),
            signed,
        ],
        [
            "=" + _("Agency centre (seal)") + "：",
            (_("Agent's signature"), "{{ data.agent_name }}"),
            signed,
        ],
    )
    _unit_line(document)

    # The annexed handover list in triplicate (一式三份), each copy marked for its keeper.
    for mark in agreement_copies():
        _handover_copy(document, mark)


def build(kind: Kind) -> bytes:
    """The Word template of `kind`, with labels in the active language."""
    document = Document()
    _styles(document)
    _page(document)
    _footer(document)
    if kind == Kind.DELEGATION_AGREEMENT:
        title = _("Proxy service delegation agreement")
        _delegation_agreement(document)
    else:
        title = _("Assist and proxy service registration form")
        _registration(document, enterprise=kind == Kind.REGISTRATION_ENTERPRISE)
    _properties(document, title)
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


class Command(BaseCommand):
    requires_system_checks: list = []

    @property
    def help(self) -> str:
        return _("Build the Word (DOCX) templates of the forms that have a Word version.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help=_("Where to write them (default: the package's docx_templates folder)."),
        )

    def handle(self, *args, output: str | None = None, **options) -> None:
        folder = Path(output) if output else TEMPLATE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        # The county's forms are in Chinese, whatever language the shell runs in.
        with translation.override("zh-hans"):
            for kind in DOCX_KINDS:
                path = folder / template_path(kind).name
                path.write_bytes(build(kind))
                self.stdout.write(_("Wrote %(path)s") % {"path": path})
