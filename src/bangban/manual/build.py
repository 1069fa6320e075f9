"""`bangban manual build`: the manual as files, for reading without the platform and for print.

Into the output folder (default VAR_DIR/manual/site):
- index.html and one HTML page per chapter (en/admin.html …, quick/agent.html …), the
  screenshots copied next to them (img/) — a folder that opens from a USB stick;
- manual.pdf: the Chinese chapters in the order of the roles, with a title page and a table of
  contents; manual-en.pdf: the English chapters;
- quick-agent.pdf, quick-citizen.pdf: the quick guides, exactly one A4 page each (the build
  fails when one runs over: it is printed and pinned up at the window).

PDFs go through documents.rendering.html_to_pdf: the same fonts (fontconfig's Noto CJK), the
same refusal of a character no font has, and no resource but inline data: URIs (so the
screenshots are embedded).
"""

import base64
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangban.documents.rendering import html_to_pdf
from bangban.manual.chapters import CHAPTERS, QUICK_GUIDES, Chapter, manual_dir
from bangban.manual.render import Rendered, Targets, render_markdown
from bangban.manual.screens import SCREENSHOTS, image_path

PDF_NAMES = ("manual", "manual-en", "quick-agent", "quick-citizen")


class BuildError(Exception):
    """The manual cannot be built as asked (a chapter is missing, a quick guide runs over)."""


@dataclass
class BuildResult:
    out: Path
    files: list[Path] = field(default_factory=list)
    missing_images: dict[str, list[str]] = field(default_factory=dict)  # chapter → names


def site_dir() -> Path:
    return Path(settings.VAR_DIR) / "manual" / "site"


def built_pdf(name: str) -> Path | None:
    """A PDF of the last default build, for the help index to offer; None when not built."""
    if name not in PDF_NAMES:
        return None
    path = site_dir() / f"{name}.pdf"
    return path if path.is_file() else None


def _html_name(chapter: Chapter) -> str:
    return f"{chapter.slug}.html"


def _relative(from_slug: str, target: str) -> str:
    """`target` (relative to the output folder) as seen from the page of `from_slug`."""
    return "../" * from_slug.count("/") + target


def _data_uri(name: str) -> str | None:
    path = image_path(name)
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _render(chapter: Chapter, targets: Targets) -> Rendered:
    return render_markdown(chapter.source(), targets=targets, chapter_path=chapter.path)


def _pdf(html: str) -> bytes:
    return html_to_pdf(html)


def _page_count(html: str) -> int:
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return len(weasyprint.HTML(string=html, url_fetcher=fetcher).render().pages)


def build_manual(out: Path | None = None, *, log: Callable[[str], None] = lambda line: None):
    """Build everything into `out` (default: site_dir()); BuildError when it cannot."""
    out = Path(out) if out is not None else site_dir()
    missing_files = [c.path for c in CHAPTERS + QUICK_GUIDES if not c.file.is_file()]
    if missing_files:
        raise BuildError(
            _("Chapter files missing under %(dir)s: %(files)s")
            % {"dir": manual_dir(), "files": ", ".join(missing_files)}
        )
    result = BuildResult(out=out)
    out.mkdir(parents=True, exist_ok=True)
    # Chinese throughout (the box of a missing screenshot, dates), as the platform speaks.
    with translation.override(settings.LANGUAGE_CODE):
        _build_site(out, result, log)
        _build_book(out, result, log, language="zh-hans", name="manual")
        _build_book(out, result, log, language="en", name="manual-en")
        for guide in QUICK_GUIDES:
            _build_quick(out, result, log, guide)
    return result


def _write(result: BuildResult, path: Path, data: bytes | str, log) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    result.files.append(path)
    log(str(path))


def _build_site(out: Path, result: BuildResult, log) -> None:
    images = out / "img"
    if images.exists():
        shutil.rmtree(images)  # a screenshot no longer in the list must not linger
    images.mkdir(parents=True)
    for name in SCREENSHOTS:
        source = image_path(name)
        if source is not None:
            shutil.copyfile(source, images / f"{name}.png")
            result.files.append(images / f"{name}.png")
    pages = CHAPTERS + QUICK_GUIDES
    for chapter in pages:
        slug = chapter.slug
        targets = Targets(
            image=lambda name, slug=slug: (
                _relative(slug, f"img/{name}.png") if image_path(name) else None
            ),
            chapter=lambda target, slug=slug: _relative(slug, f"{target}.html"),
        )
        rendered = _render(chapter, targets)
        if rendered.missing_images:
            result.missing_images[slug] = rendered.missing_images
        html = render_to_string(
            "manual/site/page.html",
            {
                "chapter": chapter,
                "heading": rendered.title or chapter.title,
                "body": rendered.html,
                "toc": rendered.toc,
                "lang": "en" if chapter.language == "en" else "zh-Hans",
                "home": _relative(slug, "index.html"),
                "pages": [(c, _relative(slug, _html_name(c))) for c in pages],
            },
        )
        _write(result, out / _html_name(chapter), html, log)
    index = render_to_string(
        "manual/site/index.html",
        {
            "chinese": [(c, _html_name(c)) for c in CHAPTERS if c.language != "en"],
            "english": [(c, _html_name(c)) for c in CHAPTERS if c.language == "en"],
            "quick": [(c, _html_name(c)) for c in QUICK_GUIDES],
            "pdfs": [f"{name}.pdf" for name in PDF_NAMES],
            "built": timezone.localdate(),
        },
    )
    _write(result, out / "index.html", index, log)


def _pdf_targets(chapter: Chapter) -> Targets:
    return Targets(
        image=_data_uri,
        chapter=lambda slug: f"#chapter-{slug.replace('/', '-')}",
        id_prefix=f"{chapter.slug.replace('/', '-')}--",
    )


def _build_book(out: Path, result: BuildResult, log, *, language: str, name: str) -> None:
    parts = []
    for chapter in CHAPTERS:
        if chapter.language != language:
            continue
        rendered = _render(chapter, _pdf_targets(chapter))
        parts.append(
            {
                "chapter": chapter,
                "anchor": f"chapter-{chapter.slug.replace('/', '-')}",
                "heading": rendered.title or chapter.title,
                "body": rendered.html,
                "toc": rendered.toc,
            }
        )
    html = render_to_string(
        "manual/pdf/book.html",
        {
            "parts": parts,
            "english": language == "en",
            "lang": "en" if language == "en" else "zh-Hans",
            "built": timezone.localdate(),
        },
    )
    _write(result, out / f"{name}.pdf", _pdf(html), log)


def _build_quick(out: Path, result: BuildResult, log, guide: Chapter) -> None:
    rendered = _render(guide, _pdf_targets(guide))
    html = render_to_string(
        "manual/pdf/quick.html",
        {"chapter": guide, "heading": rendered.title or guide.title, "body": rendered.html},
    )
    pages = _page_count(html)
    if pages != 1:
        raise BuildError(
            _(
                "The quick guide %(file)s must fit on exactly one A4 page; it takes %(pages)s "
                "pages. Shorten it."
            )
            % {"file": guide.file, "pages": pages}
        )
    _write(result, out / f"{guide.slug.replace('/', '-')}.pdf", _pdf(html), log)
