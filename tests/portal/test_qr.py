"""The guide's QR code: inline SVG that draws exactly the modules of the page's URL."""

import re

import qrcode

from bangban.portal.qr import qr_svg

MODULE = re.compile(r"M(\d+),(\d+)H")


def modules_of(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG of ours draws: one "Mx,yH…z" square per module."""
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path, svg[:200]
    return {(int(x), int(y)) for x, y in MODULE.findall(path[1])}


def modules_for(url: str) -> set[tuple[int, int]]:
    """What a QR code of `url` must draw (medium error correction, a two-module border)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


def test_svg_is_inline_scalable_and_labelled():
    svg = qr_svg("http://testserver/public/items/7/", label='扫码 <"查看">')
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "data:" not in svg
    assert 'viewBox="0 0 ' in svg and " width=" not in svg.split(">")[0]
    assert 'class="qr-code"' in svg and 'role="img"' in svg
    assert 'aria-label="扫码 &lt;&quot;查看&quot;&gt;"' in svg
    assert svg.count("<path") == 1 and ' id="' not in svg


def test_svg_draws_the_modules_of_the_url():
    url = "http://testserver/public/items/7/"
    assert modules_of(qr_svg(url)) == modules_for(url)
    assert modules_of(qr_svg(url)) != modules_for("http://testserver/public/items/8/")


def test_a_long_url_still_fits():
    url = "https://zwfw.example.gov.cn/public/items/123456/?" + "x" * 300
    assert modules_of(qr_svg(url)) == modules_for(url)
