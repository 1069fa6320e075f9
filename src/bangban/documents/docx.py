"""Word (DOCX) versions of the forms that offices edit in Word before printing: the two
registration forms and the delegation agreement.

The templates (docx_templates/<kind>.docx) are built by `bangban docx_templates` with their
labels already in Chinese, and hold docxtpl's Jinja tags for what changes per case; they are
filled here from the same plain-JSON `data` the PDF prints, so both versions show the same form.
The footer of every page carries the content hash, as on the PDF.
"""

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import qrcode
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined

from bangban.core.errors import Conflict
from bangban.documents.models import Kind

# In the order the template command builds them.
DOCX_KINDS: tuple[Kind, ...] = (
    Kind.REGISTRATION_PERSONAL,
    Kind.REGISTRATION_ENTERPRISE,
    Kind.DELEGATION_AGREEMENT,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "docx_templates"

# The same size as on the PDF: large enough for a phone to read off a photocopy.
QR_SIZE = Mm(24)

# What an empty fill-in shows (`{{ value or blank }}`): ideographic spaces, so the underline of
# a blank stays visible for the pen instead of collapsing to nothing.
BLANK = "\u3000" * 4

# Characters XML 1.0 cannot hold (a control character pasted into a name would make Word refuse
# the whole file), and \f and \a, which docxtpl would turn into page and paragraph breaks.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Zip entries dated 1980-01-01 (the zip format's earliest date) instead of the time of saving:
# the same template or form then gives the same bytes, and a rebuild of an unchanged template
# leaves no diff.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def template_path(kind: Kind | str) -> Path:
    return TEMPLATE_DIR / f"{Kind(kind).value}.docx"


def stable_zip(package: bytes) -> bytes:
    """The same OPC package with fixed entry timestamps, entries in their order."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry))
    return output.getvalue()


def qr_png(url: str) -> bytes:
    """The QR code as PNG bytes, drawn like the PDF's (rendering.qr_data_uri)."""
    image = qrcode.make(url, error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _clean(value: Any) -> Any:
    """`data` with every string safe for WordprocessingML; line ends as \\n (docxtpl makes each
    one a line break, so free text such as the agreed terms keeps its lines)."""
    if isinstance(value, str):
        return _UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _environment() -> Environment:
    # Autoescape: the values are text, and an "&" or "<" in an enterprise's name must print as
    # itself, not break the XML. Strict: a key the template names but the data lacks is a bug
    # to fail on, not a blank to print on a form someone signs.
    environment = Environment(autoescape=True, undefined=StrictUndefined)
    # The PDF templates' own filters, so both versions write dates and pad tables alike.
    # Imported here: the template tags import the document services, which import this module.
    from bangban.documents.templatetags.documents_print import form_date, pad_rows

    environment.filters["form_date"] = form_date
    environment.filters["pad_rows"] = pad_rows
    return environment


def render_docx(kind: Kind | str, *, data: dict[str, Any], qr_url: str, digest: str) -> bytes:
    """The Word template of `kind` filled with `data` (the JSON-like dict the PDF prints), with
    a QR code of `qr_url` and the content hash `digest` in the footer; the .docx bytes."""
    if kind not in DOCX_KINDS:
        raise Conflict(_("This form has no Word version."))
    template = DocxTemplate(template_path(kind))
    qr = InlineImage(
        template, io.BytesIO(qr_png(qr_url)), width=QR_SIZE, height=QR_SIZE, anchor=qr_url
    )
    context = {
        "data": _clean(data),
        "qr": qr,
        "qr_url": qr_url,
        "digest": digest,
        "blank": BLANK,
    }
    template.render(context, jinja_env=_environment(), autoescape=True)
    buffer = io.BytesIO()
    template.save(buffer)
    return stable_zip(buffer.getvalue())
