"""The agreement's handover list in triplicate is laid out once and printed as each copy
(documents/rendering.py, `_with_copies`): the PDF must be the one laying the three copies out
inline gives, page for page and pixel for pixel, and a copy too long for one page is laid out
inline."""

import subprocess

import pytest

from bangban.documents import builders, rendering
from bangban.documents.models import Kind
from bangban.documents.rendering import REPEATED_PAGES, form_hash, render_form
from bangban.documents.templatetags.documents_print import agreement_copies
from tests.documents.conftest import pdf_text, signed_proxy_case

AGREEMENT = "documents/delegation_agreement.html"


@pytest.fixture
def agreement(world):
    """The agreement form of a signed proxy case, as printing gathers it."""
    case = signed_proxy_case(world)
    return builders.build(case, Kind.DELEGATION_AGREEMENT)


def _render(form, data=None) -> bytes:
    data = data or form.data
    digest = form_hash(form.template, data=data, qr_url=form.qr_url)
    return render_form(form.template, data=data, qr_url=form.qr_url, digest=digest)


def _pages(pdf: bytes, tmp_path, name: str) -> list[bytes]:
    """Every page as a PNG at 50 dpi."""
    prefix = tmp_path / name
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-", str(prefix)], input=pdf, check=True)
    return [path.read_bytes() for path in sorted(tmp_path.glob(f"{name}-*.png"))]


def _spy(monkeypatch) -> list:
    """What `_with_copies` answered, call by call (None: laid out inline)."""
    answers: list = []
    original = rendering._with_copies

    def spy(*args, **kwargs):
        answers.append(original(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(rendering, "_with_copies", spy)
    return answers


def test_the_copies_laid_out_once_print_as_the_copies_laid_out_inline(
    agreement, monkeypatch, tmp_path
):
    answers = _spy(monkeypatch)
    once = _render(agreement)
    assert len(answers) == 1 and answers[0] == once
    with monkeypatch.context() as inline:
        inline.setattr(rendering, "REPEATED_PAGES", {})
        each = _render(agreement)
    assert len(answers) == 1  # the inline render did not take the short way
    pages_once, pages_each = _pages(once, tmp_path, "once"), _pages(each, tmp_path, "each")
    assert len(pages_once) == len(pages_each) == 4
    for number, (page_once, page_each) in enumerate(zip(pages_once, pages_each, strict=True)):
        assert page_once == page_each, f"page {number + 1} differs"
    # Each copy with its own mark and page number (the pages are the same pictures).
    text = pdf_text(once)
    for mark in agreement_copies():
        assert mark in text
    assert all(f"{n}/4" in text for n in (1, 2, 3, 4))
    assert text.count("代办服务委托书附件") == 3


def test_a_copy_longer_than_its_page_is_laid_out_inline(agreement, monkeypatch):
    answers = _spy(monkeypatch)
    materials = [
        {"material": f"第{n}项申请材料", "copies": 1, "original": n % 2 == 0} for n in range(1, 41)
    ]
    pdf = _render(agreement, agreement.data | {"materials": materials})
    assert answers == [None]
    text = pdf_text(pdf)
    for mark in agreement_copies():
        assert mark in text
    assert text.count("第40项申请材料") == 3


def test_the_form_ends_with_as_many_copies_as_it_marks():
    assert REPEATED_PAGES[AGREEMENT][1] == len(agreement_copies())
