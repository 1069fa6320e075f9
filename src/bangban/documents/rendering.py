"""HTML templates to A4 PDF with WeasyPrint, offline and with no silent tofu.

- Fonts come from the machine's fontconfig only (Debian's fonts-noto-cjk, and the subsets of
  them that fonts.py builds for speed): the stylesheet names families, never a URL, and the
  URL fetcher accepts nothing but the inline `data:` images the templates embed (the QR
  code) — a government intranet has no internet, and a form must not depend on it.
- A character no installed font has would print as an empty box (.notdef) that nobody notices
  until the applicant holds the paper, e.g. a rare character in a name (生僻字). WeasyPrint
  logs a warning for each one while drawing; we catch those warnings and refuse the render.
"""

import base64
import hashlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import qrcode
import weasyprint
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from bangban.core.errors import ValidationFailed
from bangban.documents.fonts import font_configuration

WEASYPRINT_LOGGER = logging.getLogger("weasyprint")
# WeasyPrint 70's message, drawn in draw/text.py for each glyph Pango could not find.
NOTDEF_MESSAGE = ".notdef glyph rendered"


class MissingGlyph(ValidationFailed):
    """The form holds a character no installed font can draw."""

    def __init__(self, characters: list[str]):
        self.characters = characters
        shown = "、".join(f"{c}（U+{ord(c):04X}）" for c in characters)
        super().__init__(
            _(
                "The form cannot be printed: no installed font has the character %(chars)s. "
                "Ask the administrator to install a font that has it."
            )
            % {"chars": shown}
        )


class _NotdefWatch(logging.Handler):
    """Collects the .notdef warnings of the render running in this thread (two renders in two
    threads share WeasyPrint's logger, and must not fail each other)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.characters: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread or NOTDEF_MESSAGE not in str(record.msg):
            return
        character = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        if character not in self.characters:
            self.characters.append(str(character))


@contextmanager
def _watching_glyphs() -> Iterator[_NotdefWatch]:
    watch = _NotdefWatch()
    # A deployment may quieten the logs (LOG_LEVEL=ERROR); the check must still see warnings.
    previous_level = WEASYPRINT_LOGGER.level
    if not WEASYPRINT_LOGGER.isEnabledFor(logging.WARNING):
        WEASYPRINT_LOGGER.setLevel(logging.WARNING)
    WEASYPRINT_LOGGER.addHandler(watch)
    try:
        yield watch
    finally:
        WEASYPRINT_LOGGER.removeHandler(watch)
        WEASYPRINT_LOGGER.setLevel(previous_level)


def _url_fetcher() -> weasyprint.URLFetcher:
    # Only data: URLs; anything else (http, file) stops the render instead of a silent gap.
    return weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def html_to_pdf(html: str) -> bytes:
    """One HTML document to PDF bytes; MissingGlyph when a character cannot be drawn."""
    with _watching_glyphs() as watch:
        pdf = weasyprint.HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(
            font_config=font_configuration()
        )
    if watch.characters:
        raise MissingGlyph(watch.characters)
    return pdf


def canonical_json(data: Any) -> str:
    """The data a form shows, as one stable string: its hash identifies the content."""
    return json.dumps(
        data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def content_hash(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def tracking_url(case_number: str) -> str:
    """The case's public tracking page. The page itself is the portal's (issue 6); the printed
    code must already point where it will be."""
    return f"{settings.BANGBAN_PUBLIC_URL}/public/track/{quote(case_number, safe='')}/"


def qr_data_uri(url: str) -> str:
    """A PNG QR code as a data: URI, the one kind of resource the fetcher lets in."""
    image = qrcode.make(url, error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def form_hash(template_name: str, *, data: dict[str, Any], qr_url: str) -> str:
    """The content hash of a form: everything it prints, and which template prints it."""
    return content_hash({"template": template_name, "data": data, "qr": qr_url})


def render_form(template_name: str, *, data: dict[str, Any], qr_url: str, digest: str) -> bytes:
    """A form template filled with `data` (JSON-like, all it shows) to PDF bytes, with the
    content hash `digest` in its footer."""
    html = render_to_string(
        template_name,
        {"data": data, "qr": qr_data_uri(qr_url), "qr_url": qr_url, "content_hash": digest},
    )
    return html_to_pdf(html)
