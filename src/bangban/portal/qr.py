"""QR codes for the public pages (002 第十四条: every guide carries one), as inline SVG.

Inline <svg> needs no image file, no Pillow and no data: URL, and the page's CSP allows it.
The size comes from the stylesheet, so the markup has a viewBox but no width or height."""

import qrcode
from qrcode.image.svg import SvgPathImage


def qr_svg(url: str, *, label: str = "") -> str:
    """An <svg> element encoding `url` (make it absolute: a phone scanning a printed page has
    no base to resolve a relative one). `label` becomes its accessible name."""
    image = qrcode.make(
        url,
        image_factory=SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    root = image.get_image()
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("class", "qr-code")
    root.set("role", "img")
    root.set("shape-rendering", "crispEdges")
    if label:
        root.set("aria-label", label)
    # Two codes on one page must not share an id.
    image.path.attrib.pop("id", None)
    return image.to_string(encoding="unicode")
