"""HTML templates to A4 PDF with WeasyPrint, offline and with no silent tofu.

- Fonts come from the machine's fontconfig only (Debian's fonts-noto-cjk, and the subsets of
  them that fonts.py builds for speed): the stylesheet names families, never a URL, and the
  URL fetcher accepts nothing but the inline `data:` images the templates embed (the QR
  code) — a government intranet has no internet, and a form must not depend on it.
- A character no installed font has would print as an empty box (.notdef) that nobody notices
  until the applicant holds the paper, e.g. a rare character in a name (生僻字). WeasyPrint
  logs a warning for each one while drawing; we catch those warnings and refuse the render.

What keeps a form's render fast (an agreement is four pages; the benchmark's agreement_pdf):
- The forms' shared stylesheet (documents/form.css) is parsed once per process, not per PDF,
  and so is the browser-default stylesheet the forms get: WeasyPrint's own, without its
  rules for every element's footnote and note pseudo-elements (no form has a footnote) and
  with list markers for list items only — WeasyPrint otherwise cascades seven styles for each
  element of a form instead of one.
- A form's HTML is parsed with the standard library's parser into the tree WeasyPrint's own
  (pure-Python) HTML5 parser would build (parse_form_html): 1.7 instead of 7 ms per agreement.
- Python's cyclic garbage collector is paused while a form renders: WeasyPrint allocates a
  few hundred thousand objects per form, which set off about a dozen collections of the
  whole heap (Django, fonts, caches) per form; the cycles the render leaves are collected
  once after it. Measured on the agreement: CPU p95 from about 340 to 250 ms.
- A page printed in several copies (the agreement's handover list, 一式三份) is laid out once
  and drawn as each copy under what differs (its mark, number and footer): the agreement's
  three copies cost about 60 of its 125 ms laid out one by one, about 35 this way.
"""

import base64
import functools
import gc
import hashlib
import io
import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

import cssselect2
import qrcode
import weasyprint
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint.css.counters import CounterStyle
from weasyprint.document import Page as DocumentPage

from bangban.core.errors import ValidationFailed
from bangban.documents.fonts import font_configuration

logger = logging.getLogger(__name__)
WEASYPRINT_LOGGER = logging.getLogger("weasyprint")
# WeasyPrint 70's message, drawn in draw/text.py for each glyph Pango could not find.
NOTDEF_MESSAGE = ".notdef glyph rendered"
# The shared stylesheet of the forms (every template extending documents/base.html).
FORM_STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "documents" / "form.css"


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


def _write_pdf(document: weasyprint.HTML, stylesheets: Sequence[weasyprint.CSS] = ()) -> bytes:
    with _watching_glyphs() as watch:
        pdf = document.write_pdf(
            font_config=font_configuration(), stylesheets=list(stylesheets) or None
        )
    if watch.characters:
        raise MissingGlyph(watch.characters)
    return pdf


def html_to_pdf(html: str) -> bytes:
    """One HTML document to PDF bytes; MissingGlyph when a character cannot be drawn."""
    return _write_pdf(weasyprint.HTML(string=html, url_fetcher=_url_fetcher()))


@functools.cache
def form_stylesheet() -> weasyprint.CSS:
    """documents/form.css, parsed once per process. A parsed stylesheet is only read by a
    render, like WeasyPrint's own default stylesheet that every render in every thread
    shares."""
    return weasyprint.CSS(string=FORM_STYLESHEET.read_text("utf-8"))


# WeasyPrint 70's default stylesheet (css/html5_ua.css) gives every element the pseudo-elements
# ::marker, ::footnote-call, ::footnote-marker, ::note-call, ::note-marker and ::note-callback.
_UA_UNIVERSAL_PSEUDO = re.compile(r"^::(?:footnote|note)-[a-z-]+ \{[^}\n]*\}\n", re.MULTILINE)
_UA_MARKER = "\n::marker {"
# Its counter styles, already known to every render (WeasyPrint's HTML._ua_counter_style).
_UA_COUNTER_STYLES = re.compile(r"^@counter-style [^\n]*\n", re.MULTILINE)


@functools.cache
def form_default_stylesheet() -> weasyprint.CSS | None:
    """WeasyPrint's default (user agent) stylesheet for the forms: the same rules but the
    footnote and note pseudo-elements (no form has a footnote or a note) and with list markers
    for list items only (the forms' only list-item elements). None, and the stock stylesheet,
    when WeasyPrint's is not the one this expects (another version)."""
    source = (files("weasyprint") / "css" / "html5_ua.css").read_text("utf-8")
    trimmed, removed = _UA_UNIVERSAL_PSEUDO.subn("", source)
    if removed != 5 or source.count(_UA_MARKER) != 1:
        logger.warning("unexpected WeasyPrint default stylesheet: forms render with it as is")
        return None
    trimmed = _UA_COUNTER_STYLES.sub("", trimmed.replace(_UA_MARKER, "\nli::marker {"))
    return weasyprint.CSS(string=trimmed, counter_style=CounterStyle())


# Elements without content or end tag (HTML's void elements).
_VOID_ELEMENTS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
     "wbr")
)  # fmt: skip
# The row groups HTML puts a table's rows in when the markup has none (<tbody> is implied).
_ROW_GROUPS = frozenset(("thead", "tbody", "tfoot"))


class _FormTreeBuilder(HTMLParser):
    """The element tree of a form's HTML, as WeasyPrint's HTML5 parser (tinyhtml5) builds it
    from the markup our templates write: every element opened and closed explicitly but the
    void ones, rows directly in a table put in an implied <tbody>. Not a general HTML parser:
    what the form templates do not write (a <p> closed by a block, misnested tags, foster-
    parented text in a table) is not fixed up as HTML5 would. The standard library's parser is
    four times faster than tinyhtml5 (the agreement: 1.7 against 7 ms), which is pure Python
    too. Entities and character references are decoded, in text and in attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: ET.Element | None = None
        self.open: list[ET.Element] = []

    def _add(self, tag: str, attributes: dict[str, str]) -> ET.Element:
        element = ET.Element(tag, attributes)
        if self.open:
            self.open[-1].append(element)
        elif self.root is None:
            self.root = element
        else:
            raise ValueError("content after the root element")
        return element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" and self.open and self.open[-1].tag == "table":
            self.open.append(self._add("tbody", {}))
        element = self._add(tag, {name: value or "" for name, value in attrs})
        if tag not in _VOID_ELEMENTS:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_ELEMENTS:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_ELEMENTS:
            return
        if tag == "table" and self.open and self.open[-1].tag in _ROW_GROUPS:
            self.open.pop()
        if not self.open or self.open[-1].tag != tag:
            raise ValueError(f"unexpected </{tag}>")
        self.open.pop()

    def handle_comment(self, data: str) -> None:
        if self.open:
            self.open[-1].append(ET.Comment(data))

    def handle_data(self, data: str) -> None:
        if self.root is None or (self.open == [self.root] and not len(self.root)):
            return  # whitespace before <html> or <head> (HTML5 drops it)
        if len(self.open) <= 1 and len(self.root) == 2:
            parent = self.root[1]  # after </body> or </html>: HTML5 puts it in the body
        elif self.open:
            parent = self.open[-1]
        else:
            raise ValueError("text after the root element")
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def parse_form_html(html: str) -> ET.Element:
    """The element tree of a form's HTML (see _FormTreeBuilder); ValueError when the markup
    is not what the form templates write."""
    builder = _FormTreeBuilder()
    builder.feed(html)
    builder.close()
    root = builder.root
    if root is None or builder.open:
        raise ValueError("unclosed elements")
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        raise ValueError("not an <html> document with a <head> and a <body>")
    if root.find(".//base") is not None:
        raise ValueError("<base>: WeasyPrint resolves the document's URLs with it")
    return root


class FormHTML(weasyprint.HTML):
    """A form's HTML, rendered with form_default_stylesheet() and parsed by parse_form_html()
    (by WeasyPrint's own parser when that fails)."""

    def __init__(self, *, string: str, url_fetcher: weasyprint.URLFetcher | None = None):
        try:
            root = parse_form_html(string)
        except ValueError:
            logger.warning("unexpected form markup: parsed by WeasyPrint", exc_info=True)
            super().__init__(string=string, url_fetcher=url_fetcher)
            return
        # What weasyprint.HTML.__init__ sets, from the tree tinyhtml5 would have built.
        self.base_url = None
        self.url_fetcher = url_fetcher or weasyprint.URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[weasyprint.CSS]:
        stylesheet = form_default_stylesheet()
        if forms or stylesheet is None:
            return super()._ua_stylesheets(forms)
        return [stylesheet]


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs (in any thread: the collector is the
    process's); the collector is back on when the last such block ends, as it was before the
    first began."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


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


# Forms whose last pages are copies of one page: the page's template, and how many copies end
# the form (the agreement's handover list in triplicate, 一式三份: as many as
# `documents_print.agreement_copies` marks). Each copy is laid out once (`_with_copies`).
REPEATED_PAGES: dict[str, tuple[str, int]] = {
    "documents/delegation_agreement.html": ("documents/agreement_copy_page.html", 3),
}


def render_form(template_name: str, *, data: dict[str, Any], qr_url: str, digest: str) -> bytes:
    """A form template filled with `data` (JSON-like, all it shows) to PDF bytes, with the
    content hash `digest` in its footer."""
    # A form is small (a few pages): what the paused collector leaves is a few megabytes.
    with _collector_paused():
        context = {
            "data": data,
            "qr": qr_data_uri(qr_url),
            "qr_url": qr_url,
            "content_hash": digest,
        }
        if template_name in REPEATED_PAGES:
            pdf = _with_copies(template_name, context)
            if pdf is not None:
                return pdf
        html = render_to_string(template_name, context | {"copies_inline": True})
        document = FormHTML(string=html, url_fetcher=_url_fetcher())
        return _write_pdf(document, [form_stylesheet()])


def _with_copies(template_name: str, context: dict[str, Any]) -> bytes | None:
    """The form with its copies' page laid out once, not once per copy: the form is laid out
    with each copy's page holding only what differs (its mark; its number and footer are in
    the page's margin), the copy's content is laid out alone, and each copy's page draws that
    content under its own. The same pages as laying the copies out inline (tests compare
    them) for about a third of the work; None when the copy does not fit one page, which is
    then laid out inline."""
    copy_template, copies = REPEATED_PAGES[template_name]
    options = {"font_config": font_configuration(), "stylesheets": [form_stylesheet()]}
    with _watching_glyphs() as watch:
        copy = FormHTML(
            string=render_to_string(copy_template, context), url_fetcher=_url_fetcher()
        ).render(**options)
        if len(copy.pages) != 1:
            return None
        form = FormHTML(
            string=render_to_string(template_name, context | {"copies_inline": False}),
            url_fetcher=_url_fetcher(),
        ).render(**options)
        # The copy's root box (html, body and the content), without its page's margin boxes.
        content = copy.pages[0]._page_box.children[0]
        pages = list(form.pages)
        for index in range(len(pages) - copies, len(pages)):
            page_box = pages[index]._page_box
            pages[index] = DocumentPage(page_box.copy_with_children([content, *page_box.children]))
        pdf = form.copy(pages).write_pdf()
    if watch.characters:
        raise MissingGlyph(watch.characters)
    return pdf
