"""The registry of chapters and screenshots agrees with the contract of the manual (docs/manual
layout, slugs, roles) and with the roles of the platform."""

import re

from bangban.manual import chapters
from bangban.manual.chapters import BY_SLUG, CHAPTERS, QUICK_GUIDES, ROLE_CHAPTER
from bangban.manual.screens import SCREENSHOTS, image_dir
from bangban.org.models import Role


def test_chapter_slugs_and_files_follow_the_layout():
    assert [c.slug for c in CHAPTERS] == [
        "agent",
        "liaison",
        "manager",
        "admin",
        "supervisor",
        "citizen",
        "operations",
        "en/admin",
        "en/operations",
    ]
    for chapter in CHAPTERS:
        language_dir = "en" if chapter.language == "en" else "zh"
        assert chapter.path == f"{language_dir}/{chapter.slug.removeprefix('en/')}.md"
    assert [c.path for c in QUICK_GUIDES] == ["quick/agent.md", "quick/citizen.md"]
    assert len(BY_SLUG) == len(CHAPTERS) + len(QUICK_GUIDES)


def test_roles_are_the_platforms():
    for chapter in CHAPTERS + QUICK_GUIDES:
        assert chapter.roles and set(chapter.roles) <= set(Role.values), chapter.slug
    assert set(ROLE_CHAPTER) == set(Role.values)
    for role, slug in ROLE_CHAPTER.items():
        assert role in BY_SLUG[slug].roles
        assert BY_SLUG[slug].language == "zh-hans"
    assert {chapters.AGENT, chapters.LIAISON, chapters.MANAGER} <= set(Role.values)


def test_every_chapter_file_exists_with_one_title(settings):
    for chapter in CHAPTERS + QUICK_GUIDES:
        assert chapter.file.is_file(), f"{chapter.file} is missing"
        lines = chapter.source().splitlines()
        assert lines and lines[0].startswith("# "), f"{chapter.path}: first line must be '# 标题'"
        # Outside code blocks (a shell comment there is not a title).
        prose = re.sub(r"^(```|~~~).*?^\1", "", chapter.source(), flags=re.M | re.S)
        assert sum(line.startswith("# ") for line in prose.splitlines()) == 1, chapter.path


def test_screenshot_names_are_unique_and_safe(settings):
    assert len(SCREENSHOTS) == len(set(SCREENSHOTS)) == 36
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in SCREENSHOTS)
    assert image_dir() == settings.VAR_DIR / "manual" / "img"
