"""The manual inside the platform, under "帮助" (/help/).

Every page here is public, the staff chapters included: the manual describes the screens and
the procedure, which are no secret (the procedure is the county's published rules), the
citizen chapter is linked from the portal, and a help page that needs a sign-in would not help
someone who cannot sign in. Screenshots are of the demo county, not of real cases.
"""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from bangban.manual import build
from bangban.manual.chapters import CHAPTERS, QUICK_GUIDES, ROLE_CHAPTER
from bangban.manual.chapters import chapter as find_chapter
from bangban.manual.render import Targets, render_markdown
from bangban.manual.screens import image_path


def _web_targets() -> Targets:
    def image(name: str) -> str | None:
        return reverse("manual:image", args=[name]) if image_path(name) else None

    return Targets(image=image, chapter=lambda slug: reverse("manual:chapter", args=[slug]))


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    role = getattr(request.user, "role", None) if request.user.is_authenticated else None
    return render(
        request,
        "manual/index.html",
        {
            "chinese": [c for c in CHAPTERS if c.language != "en"],
            "english": [c for c in CHAPTERS if c.language == "en"],
            "quick": QUICK_GUIDES,
            "mine": ROLE_CHAPTER.get(role) if role else None,
            "pdfs": [name for name in build.PDF_NAMES if build.built_pdf(name)],
        },
    )


@require_GET
def chapter(request: HttpRequest, slug: str) -> HttpResponse:
    found = find_chapter(slug)
    if found is None or not found.file.is_file():
        raise Http404(slug)
    rendered = render_markdown(found.source(), targets=_web_targets(), chapter_path=found.path)
    return render(
        request,
        "manual/chapter.html",
        {
            "chapter": found,
            "heading": rendered.title or found.title,
            "body": rendered.html,
            "toc": rendered.toc,
            "lang": "en" if found.language == "en" else "zh-Hans",
        },
    )


@require_GET
def image(request: HttpRequest, name: str) -> FileResponse:
    # Only the names of screens.SCREENSHOTS, looked up by name (no path from the request).
    path = image_path(name)
    if path is None:
        raise Http404(name)
    return FileResponse(path.open("rb"), content_type="image/png")


@require_GET
def pdf(request: HttpRequest, name: str) -> FileResponse:
    path = build.built_pdf(name)
    if path is None:
        raise Http404(name)
    return FileResponse(path.open("rb"), content_type="application/pdf", filename=f"{name}.pdf")
