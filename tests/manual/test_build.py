"""`bangban manual build`: HTML pages with their screenshots, the PDFs with every chapter and no
missing glyph, the quick guides on exactly one A4 page — and clear failures when not."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from bangban.manual.chapters import BY_SLUG, CHAPTERS, QUICK_GUIDES
from bangban.manual.screens import SCREENSHOTS

A4 = (595.28, 841.89)


def pdf_text(path) -> tuple[PdfReader, str]:
    reader = PdfReader(path)
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", "", text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
def test_build_writes_the_site_and_the_pdfs(tmp_path, screenshots):
    out = tmp_path / "site"
    stdout = io.StringIO()
    call_command("manual", "build", "--out", str(out), stdout=stdout)
    assert str(out) in stdout.getvalue()

    assert (out / "index.html").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    for chapter in CHAPTERS + QUICK_GUIDES:
        page = out / f"{chapter.slug}.html"
        assert page.is_file(), page
        assert f'href="{chapter.slug}.html"' in index
        html = page.read_text(encoding="utf-8")
        assert chapter.heading() in html
        for name in re.findall(r'src="(?:\.\./)*img/([a-z0-9-]+)\.png"', html):
            assert name in SCREENSHOTS
    for name in SCREENSHOTS:
        assert (out / "img" / f"{name}.png").is_file()
    # A page one folder down finds the images one folder up.
    english = (out / "en" / "admin.html").read_text(encoding="utf-8")
    assert 'src="img/' not in english
    assert ('src="../img/' in english) == ("](img/" in BY_SLUG["en/admin"].source())

    reader, text = pdf_text(out / "manual.pdf")
    for chapter in CHAPTERS:
        if chapter.language == "zh-hans":
            assert squash(chapter.heading()) in text, chapter.slug
    assert "目录" in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == tuple(round(v) for v in A4)

    _reader, text = pdf_text(out / "manual-en.pdf")
    for chapter in CHAPTERS:
        if chapter.language == "en":
            assert squash(chapter.heading()) in text, chapter.slug

    for guide in QUICK_GUIDES:
        reader, text = pdf_text(out / f"{guide.slug.replace('/', '-')}.pdf")
        assert len(reader.pages) == 1, guide.slug
        assert squash(guide.heading()) in text


def test_a_quick_guide_longer_than_one_page_fails_the_build(tmp_path, sample_manual, var_dir):
    long = "# 群众办事快速指引\n\n" + "".join(
        f"{n}. 第{n}条说明，写得很长很长。\n" for n in range(200)
    )
    (sample_manual / "quick" / "citizen.md").write_text(long, encoding="utf-8")
    with pytest.raises(CommandError, match=r"quick/citizen\.md"):
        call_command("manual", "build", "--out", str(tmp_path / "site"), stdout=io.StringIO())


def test_a_character_no_font_has_fails_the_build(tmp_path, sample_manual, var_dir):
    (sample_manual / "zh" / "agent.md").write_text(
        "# 示例\n\n私用区字符\ue000。\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match=r"U\+E000"):
        call_command("manual", "build", "--out", str(tmp_path / "site"), stdout=io.StringIO())


def test_a_missing_chapter_fails_the_build(tmp_path, sample_manual, var_dir):
    (sample_manual / "zh" / "liaison.md").unlink()
    with pytest.raises(CommandError, match=r"zh/liaison\.md"):
        call_command("manual", "build", "--out", str(tmp_path / "site"), stdout=io.StringIO())


def test_missing_screenshots_are_reported_but_the_pages_still_build(
    tmp_path, sample_manual, var_dir
):
    stderr = io.StringIO()
    call_command(
        "manual", "build", "--out", str(tmp_path / "site"), stdout=io.StringIO(), stderr=stderr
    )
    assert "login" in stderr.getvalue()
    assert "manual-missing-image" in (tmp_path / "site" / "agent.html").read_text(encoding="utf-8")
