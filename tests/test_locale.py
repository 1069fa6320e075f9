"""The zh_Hans catalogue is complete, has no guessed (fuzzy) entries, and the compiled .mo
matches the .po that reviewers read."""

import gettext
import re
import subprocess
from pathlib import Path

import bangban

LC = Path(bangban.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
ENTRY = re.compile(
    r'(?P<flags>#,[^\n]*\n)?(?:#\|[^\n]*\n)*(?:msgctxt "(?P<ctx>(?:[^"\\]|\\.)*)"\n)?'
    r'msgid "(?P<id>(?:[^"\\]|\\.)*)"\n(?P<idmore>(?:"(?:[^"\\]|\\.)*"\n)*)'
    r'(?:msgid_plural "(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)?'
    r'(?P<strs>(?:msgstr(?:\[\d\])? "(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*)+)'
)


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(block: str) -> str:
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[0]), text)


def _entries():
    text = (LC / "django.po").read_text(encoding="utf-8")
    for match in ENTRY.finditer(text):
        msgid = _unquote(f'"{match["id"]}"' + match["idmore"])
        if msgid:
            yield match, msgid


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = list(_entries())
    assert len(entries) > 300
    for match, msgid in entries:
        assert "fuzzy" not in (match["flags"] or ""), msgid
        translations = re.findall(r'msgstr(?:\[\d\])? ((?:"(?:[^"\\]|\\.)*"\n?)+)', match["strs"])
        assert all(_unquote(t) for t in translations), f"untranslated: {msgid!r}"


def test_compiled_catalogue_matches_the_po_file():
    with (LC / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    for match, msgid in _entries():
        key = f"{match['ctx']}\x04{msgid}" if match["ctx"] is not None else msgid
        if "msgstr[" in match["strs"]:
            continue  # plural entries are keyed by (msgid, n) in the compiled catalogue
        assert catalogue._catalog.get(key), f"not compiled: {msgid!r}"


def test_the_catalogue_passes_msgfmt_check():
    """msgfmt refuses a catalogue whose translation drops or renames a %(name)s of its msgid,
    and compilemessages then fails while the old .mo silently stays: check it here, as
    compilemessages would."""
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(LC / "django.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
