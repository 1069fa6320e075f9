"""What keeps a form's render fast and still complete: the common-character subsets of the
Noto fonts are what the PDF embeds, a rare character still prints (from the full font), the
font configuration lives as long as its thread, and the usual agreement fits its first page."""

import io
import threading

import pytest
from pypdf import PdfReader

from bangban.documents import fonts
from bangban.documents.models import Kind
from bangban.documents.rendering import MissingGlyph, html_to_pdf
from bangban.documents.services import document_generate
from tests.documents.conftest import pdf_text, signed_proxy_case

# The body font of the forms (documents/base.html): the subset, then the full font.
BODY = "font-family: 'Bangban Noto Serif CJK SC', 'Noto Serif CJK SC'"


def embedded_fonts(pdf: bytes) -> list[str]:
    """The fonts the pages use, without their subset tag (ABCDEF+)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return sorted(names)


@pytest.fixture
def fresh_fonts(monkeypatch):
    """No subsets known yet and no font configuration in any thread."""
    monkeypatch.setattr(fonts, "_subsets", None)
    monkeypatch.setattr(fonts, "_local", threading.local())


def test_the_subsets_are_built_once_and_hold_the_common_repertoire():
    subsets = fonts.build()
    families = {subset.family for subset in subsets}
    assert {
        "Bangban Noto Serif CJK SC",
        "Bangban Noto Sans CJK SC",
        "Bangban Noto Sans Mono CJK SC",
    } <= families
    stamps = {subset.path: subset.path.stat().st_mtime_ns for subset in subsets}
    # A second build finds them: nothing is rewritten.
    assert {subset.path: subset.path.stat().st_mtime_ns for subset in fonts.build()} == stamps
    common = fonts.repertoire()
    assert {ord(c) for c in "张秀英委托代办（）：、。·—0Aa"} <= common
    # Rare characters are left to the full font.
    assert ord("𠮷") not in common and ord("㐀") not in common
    # A subset is a fraction of the full collection it comes from.
    for subset in subsets:
        assert subset.path.stat().st_size < 8_000_000


def test_ordinary_text_embeds_only_the_subset():
    pdf = html_to_pdf(f'<p style="{BODY}">受张秀英委托，开展个体工商户设立登记代办服务。</p>')
    assert embedded_fonts(pdf) == ["Bangban-Noto-Serif-CJK-SC"]


def test_a_rare_character_prints_from_the_full_font():
    # 𠮷 (CJK extension B) and 㐀 (extension A) are outside the subset; the full font has them.
    pdf = html_to_pdf(f'<p style="{BODY}">吉𠮷祥 㐀 阿依古丽·买买提</p>')
    assert "".join(pdf_text(pdf).split()) == "吉𠮷祥㐀阿依古丽·买买提"
    assert embedded_fonts(pdf) == ["Bangban-Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC"]


def test_a_character_no_font_has_is_still_refused():
    with pytest.raises(MissingGlyph) as raised:
        html_to_pdf(f'<p style="{BODY}">张\ue000三</p>')
    assert raised.value.characters == ["\ue000"]


def test_one_font_configuration_per_thread_kept_across_renders(fresh_fonts):
    first = fonts.font_configuration()
    html_to_pdf("<p>张三</p>")
    assert fonts.font_configuration() is first
    assert isinstance(first, fonts.SubsetFontConfiguration)
    other = []
    thread = threading.Thread(target=lambda: other.append(fonts.font_configuration()))
    thread.start()
    thread.join()
    assert other[0] is not first


def test_without_subsets_the_forms_print_with_the_full_fonts(fresh_fonts, monkeypatch):
    def broken():
        raise OSError("no harfbuzz-subset here")

    monkeypatch.setattr(fonts, "build", broken)
    pdf = html_to_pdf(f'<p style="{BODY}">张秀英</p>')
    assert "张秀英" in pdf_text(pdf)
    assert embedded_fonts(pdf) == ["Noto-Serif-CJK-SC"]


@pytest.mark.django_db
def test_the_agreement_fits_its_page_and_embeds_subsets_only(world):
    case = signed_proxy_case(world)
    document = document_generate(actor=world["agent"], case=case, kind=Kind.DELEGATION_AGREEMENT)
    with document.file.open("rb") as f:
        pdf = f.read()
    pages = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    # The agreement with both signatures on one sheet, then the three copies of the list.
    assert len(pages) == 4
    assert "代办服务委托书" in pages[0] and "代办员签字" in pages[0]
    assert "年" in pages[0].split("代办员签字")[-1]  # the signing date, under the signatures
    assert all("代办服务委托书附件" in page for page in pages[1:])
    assert all(name.startswith("Bangban-") for name in embedded_fonts(pdf))
