"""Shared fixtures of the manual's tests: a var dir of their own for the screenshots, fake
screenshots, and the roles' users."""

import struct
import zlib
from pathlib import Path

import pytest

from bangban.manual.screens import SCREENSHOTS


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid grey PNG (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def var_dir(settings, tmp_path) -> Path:
    """The screenshots and builds of this test only."""
    settings.VAR_DIR = tmp_path / "var"
    (settings.VAR_DIR / "manual" / "img").mkdir(parents=True)
    return settings.VAR_DIR


@pytest.fixture
def screenshots(var_dir) -> Path:
    """Every screenshot of the list, as a tiny PNG (the real ones come from the browser test)."""
    folder = var_dir / "manual" / "img"
    for name in SCREENSHOTS:
        (folder / f"{name}.png").write_bytes(tiny_png())
    return folder


@pytest.fixture
def sample_manual(settings, tmp_path) -> Path:
    """A manual of small sample chapters, for the tests of the machinery (the real chapters'
    content is checked by test_reading.py)."""
    from bangban.manual.chapters import CHAPTERS, QUICK_GUIDES

    root = tmp_path / "manual"
    for chapter in CHAPTERS + QUICK_GUIDES:
        path = root / chapter.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"# 示例{chapter.title}\n\n## 一、登录\n\n说明。\n\n![登录页面](img/login.png)\n",
            encoding="utf-8",
        )
    settings.BANGBAN_MANUAL_DIR = root
    return root
