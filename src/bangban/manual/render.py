"""Markdown chapters to HTML (python-markdown), the same for the pages under /help/, the built
site and the PDFs; only where images and other chapters are found differs (`Targets`).

- Headings get ids (Chinese kept: `## 一、登记` → `id="一登记"`), so that a help link or the
  table of contents can point into a chapter.
- `![说明](img/<name>.png)` is a screenshot of screens.SCREENSHOTS. One that is unknown or not
  taken yet renders as a marked box with its caption instead of a broken image: the reader sees
  what is missing, and the test of the screenshots fails on it (the page still works).
- A link to another chapter's file (`[部门联络员手册](liaison.md)`) goes to that chapter.
"""

import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field

import markdown
from django.utils.translation import gettext as _
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from bangban.manual.chapters import BY_SLUG
from bangban.manual.screens import SCREENSHOTS

IMAGE_SRC = re.compile(r"^img/(?P<name>[a-z0-9-]+)\.png$")
MISSING_CLASS = "manual-missing-image"


@dataclass
class Targets:
    """Where a rendered chapter finds its images and the other chapters.

    `image(name)` gives the src of an existing screenshot, or None when it is missing;
    `chapter(slug)` the address of a chapter (None: leave the link as written)."""

    image: Callable[[str], str | None]
    chapter: Callable[[str], str | None] = lambda slug: None
    id_prefix: str = ""


@dataclass
class Rendered:
    html: str
    title: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "children": […]}, …]
    missing_images: list[str] = field(default_factory=list)


class _Rewrite(Treeprocessor):
    def __init__(self, md, *, targets: Targets, chapter_path: str, missing: list[str]):
        super().__init__(md)
        self.targets = targets
        self.chapter_path = chapter_path
        self.missing = missing

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "img":
                    self._image(parent, index, child)
                elif child.tag == "a":
                    self._link(child)
        # A paragraph that is only a screenshot becomes a figure with its caption.
        for element in list(root.iter("p")):
            children = list(element)
            if (
                len(children) == 1
                and children[0].tag == "img"
                and not (element.text or "").strip()
                and not (children[0].tail or "").strip()
            ):
                image = children[0]
                element.tag = "figure"
                element.set("class", "manual-figure")
                caption = etree.SubElement(element, "figcaption")
                caption.text = image.get("alt", "")

    def _image(self, parent: etree.Element, index: int, image: etree.Element) -> None:
        src = image.get("src", "")
        match = IMAGE_SRC.match(src)
        name = match["name"] if match else None
        url = self.targets.image(name) if name in SCREENSHOTS else None
        if url is not None:
            image.set("src", url)
            image.set("class", "manual-screenshot")
            image.set("loading", "lazy")
            return
        self.missing.append(name or src)
        box = etree.Element("span", {"class": MISSING_CLASS, "role": "img"})
        box.set("aria-label", image.get("alt", ""))
        label = etree.SubElement(box, "strong")
        label.text = _("Screenshot missing") if name in SCREENSHOTS else _("Unknown screenshot")
        label.tail = f" {image.get('alt', '')} ({src})"
        box.tail = image.tail
        parent.remove(image)
        parent.insert(index, box)

    def _link(self, link: etree.Element) -> None:
        href = link.get("href", "")
        path, _sep, fragment = href.partition("#")
        if not path.endswith(".md") or "://" in path or path.startswith("/"):
            return
        target = posixpath.normpath(posixpath.join(posixpath.dirname(self.chapter_path), path))
        for slug, chapter in BY_SLUG.items():
            if chapter.path == target:
                url = self.targets.chapter(slug)
                if url is not None:
                    if fragment:
                        url += "#" + self.targets.id_prefix + fragment
                    link.set("href", url)
                return


class _RewriteExtension(markdown.Extension):
    def __init__(self, **kwargs):
        self.options = kwargs
        super().__init__()

    def extendMarkdown(self, md):
        # After inline processing (the images exist) and before the toc (priority 5).
        md.treeprocessors.register(_Rewrite(md, **self.options), "bangban_manual", 6)


def render_markdown(source: str, *, targets: Targets, chapter_path: str = "") -> Rendered:
    """One chapter's Markdown to HTML (no surrounding page)."""
    missing: list[str] = []
    prefix = targets.id_prefix

    def slugify(value: str, separator: str) -> str:
        return prefix + slugify_unicode(value, separator)

    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "sane_lists",
            "toc",
            _RewriteExtension(targets=targets, chapter_path=chapter_path, missing=missing),
        ],
        extension_configs={"toc": {"slugify": slugify, "toc_depth": "1-3"}},
        output_format="html",
    )
    html = md.convert(source)
    tokens = getattr(md, "toc_tokens", [])
    title = tokens[0]["name"] if tokens and tokens[0]["level"] == 1 else ""
    # The table of contents lists the sections (under the one `# ` title).
    sections = tokens[0]["children"] if title else tokens
    return Rendered(html=html, title=title, toc=sections, missing_images=missing)
