"""What keeps a form's render fast, guarded for its structure (the speed itself is the
benchmark's agreement_pdf, never timed here): the forms' shared stylesheet parsed once, the
trimmed default stylesheet still the one WeasyPrint applies, the garbage collector paused
only while a form renders, and a form's HTML parsed into the tree WeasyPrint's parser
builds."""

import gc

import pytest
import tinyhtml5
import weasyprint
from django.template.loader import render_to_string

from bangban.documents import rendering
from bangban.documents.rendering import (
    FormHTML,
    MissingGlyph,
    form_default_stylesheet,
    form_stylesheet,
    parse_form_html,
    qr_data_uri,
    render_form,
)
from tests.documents.conftest import pdf_text

TEMPLATE = "documents/refusal_notice.html"
DATA = {"number": "QC01-01-20260105-0001", "unit": "阳光社区"}


def form(data=DATA) -> bytes:
    return render_form(TEMPLATE, data=data, qr_url="https://x/track/1/", digest="ab" * 32)


def test_the_shared_stylesheet_is_parsed_once_and_not_in_the_page(monkeypatch):
    form()  # what is parsed once per process is parsed by now
    assert form_stylesheet() is form_stylesheet()
    html = []
    original = FormHTML.__init__

    def spy(self, *args, **kwargs):
        html.append(kwargs["string"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(FormHTML, "__init__", spy)
    parsed = []
    original_css = weasyprint.CSS.__init__

    def css_spy(self, *args, **kwargs):
        parsed.append(kwargs.get("string", ""))
        original_css(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.CSS, "__init__", css_spy)
    pdf = form()
    form()
    # Each render parses its own small <style> (the footer's hash), never the shared rules.
    assert len(parsed) == 2 and all("table.grid" not in css for css in parsed)
    assert "table.grid" not in html[0] and "ab" * 32 in html[0]
    text = pdf_text(pdf)
    assert "QC01-01-20260105-0001" in text and "ab" * 32 in text and "1/1" in text


def test_the_forms_default_stylesheet_is_weasyprints_trimmed():
    # None would mean WeasyPrint's default stylesheet changed: the forms would still print,
    # with the stock stylesheet (slower); look at form_default_stylesheet again.
    assert form_default_stylesheet() is not None
    assert FormHTML(string="<p>x</p>")._ua_stylesheets() == [form_default_stylesheet()]
    assert weasyprint.HTML(string="<p>x</p>")._ua_stylesheets() != [form_default_stylesheet()]


def test_weasyprint_still_asks_for_the_default_stylesheet(monkeypatch):
    asked = []
    original = FormHTML._ua_stylesheets

    def spy(self, forms=False):
        asked.append(forms)
        return original(self, forms)

    monkeypatch.setattr(FormHTML, "_ua_stylesheets", spy)
    form()
    assert asked


def test_list_items_keep_their_markers():
    html = "<html><head></head><body><ol><li>甲项</li><li>乙项</li></ol><p>丙</p></body></html>"
    document = FormHTML(string=html)
    text = pdf_text(rendering._write_pdf(document, [form_stylesheet()]))
    assert "1." in text and "2." in text and "甲项" in text


def test_the_collector_is_paused_during_a_form_only(monkeypatch):
    seen = []
    original = rendering.qr_data_uri

    def spy(url):
        seen.append(gc.isenabled())
        return original(url)

    monkeypatch.setattr(rendering, "qr_data_uri", spy)
    assert gc.isenabled()
    form()
    assert seen == [False] and gc.isenabled()
    # A refused render puts the collector back too.
    with pytest.raises(MissingGlyph):
        form({"number": "张\ue000三"})
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused():
    gc.disable()
    try:
        form()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_pauses_resume_at_the_last():
    with rendering._collector_paused():
        with rendering._collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def tree(element) -> list:
    """An element tree as nested lists, text and tails as they are (whitespace too)."""
    return [
        element.tag,
        sorted(element.attrib.items()),
        element.text or "",
        [[*tree(child), child.tail or ""] for child in element if isinstance(child.tag, str)],
    ]


def tinyhtml5_tree(html: str):
    return tinyhtml5.parse(html, namespace_html_elements=False)


def test_a_forms_html_is_parsed_into_the_tree_weasyprints_parser_builds():
    context = {"data": DATA, "qr": qr_data_uri("https://x/"), "qr_url": "https://x/"}
    html = render_to_string(TEMPLATE, {**context, "content_hash": "ab" * 32})
    assert tree(parse_form_html(html)) == tree(tinyhtml5_tree(html))
    # What the form templates write: rows without a <tbody>, void elements, character
    # references in text and attributes, markup in the data (escaped), a style block.
    html = (
        '<!DOCTYPE html>\n<html lang="zh-Hans">\n<head>\n<meta charset="utf-8">\n'
        "<style>\np > b { color: red; }\n</style>\n</head>\n<body>\n"
        '<table class="grid"><colgroup><col class="narrow"><col></colgroup>\n'
        "<tr><th>序号</th><td>&nbsp;</td></tr>\n"
        "<tr><td>甲&amp;乙 &lt;b&gt;</td><td>a<br>b</td></tr>\n"
        '</table>\n<p title="x &amp; y">丙<img src="data:," alt="">丁</p>\n<!-- 注 -->\n'
        "<ol><li>一</li><li>二</li></ol>\n</body>\n</html>\n"
    )
    assert tree(parse_form_html(html)) == tree(tinyhtml5_tree(html))


@pytest.mark.parametrize(
    "html",
    [
        "<p>x</p>",  # no <html>
        "<html><head></head><body><p>x</body></html>",  # an end tag left out
        "<html><head><base href='https://x/'></head><body></body></html>",
    ],
)
def test_other_markup_is_left_to_weasyprints_parser(html):
    with pytest.raises(ValueError):
        parse_form_html(html)
    document = FormHTML(string=html)
    assert tree(document.etree_element) == tree(tinyhtml5_tree(html))
