"""Small subsets of the Noto CJK fonts, put in front of the full fonts for every PDF.

Why: a form uses a few hundred characters, but WeasyPrint copies and subsets the whole font
face it drew them with, on every render: Debian's Noto CJK collections are 20–27 MB each, and
copying and subsetting four such faces was a third of an agreement's render time. A face cut
down once to the common repertoire (GB 2312, ASCII and Latin-1, the CJK punctuation and
full-width forms, and every character of the Chinese translations; and only the layout
features horizontal zh-Hans text uses, see LAYOUT_FEATURES) is 2–3 MB and much cheaper to copy
and subset.

How:
- Built from the installed Debian fonts (never downloaded) with HarfBuzz's subsetter — the
  library WeasyPrint subsets with at render time; it takes about a second for all six faces,
  where fontTools' subsetter takes minutes — at first use, into VAR_DIR/fonts, named by a
  hash of the source face and the repertoire so a new translation or a font upgrade builds a
  new set. `bangban fonts` builds them ahead (at install).
- Renamed (family "Bangban Noto Serif CJK SC", …) so fontconfig keeps them apart from the full
  fonts, and added to WeasyPrint's font configuration. A print stylesheet names the subset
  first and the full font right after it (documents/base.html): a character outside the
  subset (a rare character in a name: 𠮷, 㐀) falls through to the full font, so it still
  prints — only that render pays for the full face; a character no font has is still a
  .notdef, which rendering.py refuses. Without the subsets (not buildable here) the same
  stylesheet prints with the full fonts. (A fontconfig rule putting the subset in front of
  the full family would spare the stylesheets, but Pango's FT2 font map substitutes with
  fontconfig's default configuration, not WeasyPrint's, so such a rule never applies.)
- One font configuration per thread (WeasyPrint's and Pango's font objects are not
  thread-safe), kept across renders: Pango's font map then keeps its loaded faces and
  shaping caches instead of loading the fonts again for each PDF.
"""

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cffi
from django.conf import settings
from fontTools.ttLib import TTCollection, TTFont
from weasyprint.text.ffi import ffi as weasy_ffi
from weasyprint.text.ffi import fontconfig, pangoft2
from weasyprint.text.fonts import FontConfiguration

logger = logging.getLogger(__name__)

# The faces the print stylesheets name (documents/base.html and the other PDF templates):
# family and style, as fontconfig knows them (Debian's fonts-noto-cjk).
FACES = (
    ("Noto Serif CJK SC", "Regular"),
    ("Noto Serif CJK SC", "Bold"),
    ("Noto Sans CJK SC", "Regular"),
    ("Noto Sans CJK SC", "Bold"),
    ("Noto Sans Mono CJK SC", "Regular"),
    ("Noto Sans Mono CJK SC", "Bold"),
)
PREFIX = "Bangban "
# Bump when the way a subset is made changes, so that existing caches are rebuilt.
BUILD_VERSION = 3
# The OpenType layout features a subset keeps: those HarfBuzz applies to horizontal text
# (ligatures, kerning, marks, contextual forms) and the numeric ones CSS can ask for (the list
# markers use tabular figures). Left out: `locl` (in these SC faces it maps to the Japanese,
# Korean and traditional-Chinese glyph forms, never used by zh-Hans text), the vertical-writing
# ones (`vert`, `vrt2`, … — WeasyPrint lays text out horizontally only) and the alternates no
# stylesheet asks for. A subset keeps every glyph its kept features can reach: with HarfBuzz's
# default features a face held 14,000 glyphs, with these about 8,100. WeasyPrint subsets the
# face again for every PDF, and that work (and the size of the font it embeds, which it then
# compresses) grows with the glyph count.
LAYOUT_FEATURES = (
    "ccmp", "rlig", "calt", "clig", "liga", "rclt", "rvrn", "kern", "mark", "mkmk", "dist",
    "tnum", "pnum", "lnum", "onum", "frac", "numr", "dnom", "zero", "sups", "subs",
)  # fmt: skip

_ranges = (
    range(0x20, 0x7F),  # ASCII
    range(0xA0, 0x100),  # Latin-1: ·, ×, °
    range(0x2000, 0x2070),  # general punctuation: —, ‘’, “”, …, ‰, ※
    range(0x2100, 0x2200),  # letterlike, number forms, arrows: ℃, №, Ⅰ, →
    range(0x2460, 0x2500),  # enclosed numbers: ①
    range(0x2500, 0x2600),  # box drawing, shapes: ─, □, ■, ○, ●, ☐
    range(0x3000, 0x3040),  # CJK punctuation: 、。《》「」【】〇
    range(0xFF00, 0xFFF0),  # full-width forms: （），：；
)


def _gb2312() -> set[int]:
    """Every character of GB 2312 (6,763 hanzi and 682 symbols): what most names and all
    ordinary text use."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # the code table has holes
                chars.add(ord(bytes((high, low)).decode("gb2312")))
    return chars


def _translated() -> set[int]:
    """The characters of the Chinese translations: every fixed text of the forms."""
    chars: set[int] = set()
    for locale in settings.LOCALE_PATHS:
        for po in Path(locale).glob("*/LC_MESSAGES/django.po"):
            chars.update(map(ord, po.read_text("utf-8")))
    return chars


def repertoire() -> frozenset[int]:
    """The code points every subset holds."""
    chars = _gb2312() | _translated()
    for block in _ranges:
        chars.update(block)
    return frozenset(c for c in chars if c >= 0x20)


# HarfBuzz's subsetter, declared here because WeasyPrint's bindings lack the calls that open
# a font file and select code points (rather than glyph ids).
_hb_ffi = cffi.FFI()
_hb_ffi.cdef(
    """
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
    void hb_blob_destroy (hb_blob_t *blob);
    const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
    void hb_face_destroy (hb_face_t *face);
    hb_blob_t *hb_face_reference_blob (hb_face_t *face);
    void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
    void hb_set_clear (hb_set_t *set);
    uint32_t hb_tag_from_string (const char *str, int len);
    hb_subset_input_t *hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
    hb_set_t *hb_subset_input_set (hb_subset_input_t *input, int set_type);
    hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
    """
)


_HB_SUBSET_SETS_DROP_TABLE_TAG = 3  # hb_subset_sets_t (hb-subset.h)
_HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6
# The vertical-writing metrics: WeasyPrint lays text out horizontally only, yet it embeds every
# table the face has, and with the glyph ids kept (a PDF font's glyphs are the face's) vmtx
# holds 4 bytes for each glyph up to the highest one used: 30 KB more to subset, compress and
# embed for each face of every PDF.
DROPPED_TABLES = ("vhea", "vmtx", "VORG")


def _hb_subset(path: str, index: int, codepoints: frozenset[int]) -> bytes:
    """The face `index` of the font file at `path`, holding only `codepoints` (and the glyphs
    their shaping needs), as an OpenType file."""
    hb = _hb_ffi.dlopen("libharfbuzz.so.0")
    hb_subset = _hb_ffi.dlopen("libharfbuzz-subset.so.0")
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == _hb_ffi.NULL:
        raise OSError(f"cannot read {path}")
    face = hb.hb_face_create(blob, index)
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    try:
        unicodes = hb_subset.hb_subset_input_unicode_set(subset_input)
        for codepoint in sorted(codepoints):
            hb.hb_set_add(unicodes, codepoint)
        features = hb_subset.hb_subset_input_set(subset_input, _HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)
        for feature in LAYOUT_FEATURES:
            hb.hb_set_add(features, hb.hb_tag_from_string(feature.encode(), -1))
        dropped = hb_subset.hb_subset_input_set(subset_input, _HB_SUBSET_SETS_DROP_TABLE_TAG)
        for table in DROPPED_TABLES:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(table.encode(), -1))
        subset = hb_subset.hb_subset_or_fail(face, subset_input)
        if subset == _hb_ffi.NULL:
            raise OSError(f"cannot subset {path}#{index}")
        try:
            out = hb.hb_face_reference_blob(subset)
            length = _hb_ffi.new("unsigned int *")
            data = _hb_ffi.buffer(hb.hb_blob_get_data(out, length), length[0])[:]
            hb.hb_blob_destroy(out)
        finally:
            hb.hb_face_destroy(subset)
    finally:
        hb_subset.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    return data


def _renamed(data: bytes, family: str, style: str) -> bytes:
    """The font under its own family name, so fontconfig never takes it for the full font."""
    font = TTFont(io.BytesIO(data))  # tables not touched here are copied as they are
    new_family = PREFIX + family
    postscript = (new_family + "-" + style).replace(" ", "")
    for record in font["name"].names:
        if record.nameID in (1, 16):  # family, typographic family (every language)
            record.string = new_family
        elif record.nameID == 4:  # full name
            record.string = f"{new_family} {style}"
        elif record.nameID in (3, 6):  # unique id, PostScript name
            record.string = postscript
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _fc_file(family: str, style: str) -> str | None:
    """The file fontconfig serves for a family and style, when it is that family's own."""
    pattern = fontconfig.FcPatternCreate()
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcPatternAddString(pattern, b"style", style.encode())
        config = fontconfig.FcInitLoadConfigAndFonts()
        try:
            fontconfig.FcConfigSubstitute(config, pattern, fontconfig.FcMatchPattern)
            fontconfig.FcDefaultSubstitute(pattern)
            result = weasy_ffi.new("FcResult *")
            match = fontconfig.FcFontMatch(config, pattern, result)
        finally:
            fontconfig.FcConfigDestroy(config)
        if match == weasy_ffi.NULL:
            return None
        try:
            string = weasy_ffi.new("FcChar8 **")
            fontconfig.FcPatternGetString(match, b"family", 0, string)
            if weasy_ffi.string(string[0]).decode() != family:
                return None  # a fallback family: that face is not installed
            fontconfig.FcPatternGetString(match, b"file", 0, string)
            return weasy_ffi.string(string[0]).decode()
        finally:
            fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)


def _face_index(path: str, family: str, style: str) -> int:
    """Which face of a collection is `family` `style` (a plain font file has one, 0)."""
    with open(path, "rb") as f:
        if f.read(4) != b"ttcf":
            return 0
    collection = TTCollection(path, lazy=True)
    for index, font in enumerate(collection.fonts):
        name = font["name"]
        families = {name.getDebugName(1), name.getDebugName(16)}
        styles = {name.getDebugName(2), name.getDebugName(17)}
        if family in families and style in styles:
            return index
    raise LookupError(f"{family} {style} is not in {path}")


@dataclass(frozen=True)
class Subset:
    family: str  # the subset's family, as stylesheets name it: PREFIX + the full font's
    path: Path


def _cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


def build() -> list[Subset]:
    """The subsets of the installed faces, built when missing (once per machine and
    repertoire; concurrent processes wait for the one that builds)."""
    directory = _cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    codepoints = repertoire()
    digest = hashlib.sha256(
        repr((BUILD_VERSION, sorted(codepoints))).encode(), usedforsecurity=False
    ).hexdigest()[:12]
    subsets = []
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for family, style in FACES:
            source = _fc_file(family, style)
            if source is None:
                logger.warning("font %s %s is not installed: no subset for it", family, style)
                continue
            stat = os.stat(source)
            key = hashlib.sha256(
                f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{family}|{style}|{digest}".encode(),
                usedforsecurity=False,
            ).hexdigest()[:16]
            target = directory / f"{(family + '-' + style).replace(' ', '')}-{key}.otf"
            if not target.exists():
                index = _face_index(source, family, style)
                data = _renamed(_hb_subset(source, index, codepoints), family, style)
                partial = target.with_suffix(".part")
                partial.write_bytes(data)
                os.replace(partial, target)
                logger.info("built font subset %s (%d bytes)", target.name, len(data))
            subsets.append(Subset(family=PREFIX + family, path=target))
    return subsets


class SubsetFontConfiguration(FontConfiguration):
    """WeasyPrint's font configuration, which also knows the subsets."""

    def __init__(self, subsets: list[Subset]):
        super().__init__()
        # WeasyPrint dropped its own reference to the configuration; the font map holds one.
        for subset in subsets:
            fontconfig.FcConfigAppFontAddFile(self._config, str(subset.path).encode())
        pangoft2.pango_fc_font_map_config_changed(weasy_ffi.cast("PangoFcFontMap *", self.font_map))


_subsets: list[Subset] | None = None
_subsets_lock = threading.Lock()
_local = threading.local()


def _installed_subsets() -> list[Subset]:
    global _subsets
    with _subsets_lock:
        if _subsets is None:
            try:
                _subsets = build()
            except Exception:
                # The full fonts still print everything, only slower: never fail a form here.
                logger.exception("cannot build the font subsets; printing with the full fonts")
                _subsets = []
        return _subsets


def font_configuration() -> FontConfiguration:
    """This thread's font configuration (created at its first render, kept after)."""
    pid = os.getpid()
    if getattr(_local, "pid", None) != pid:  # a forked worker must not share its parent's
        subsets = _installed_subsets()
        _local.config = SubsetFontConfiguration(subsets) if subsets else FontConfiguration()
        _local.pid = pid
    return _local.config
