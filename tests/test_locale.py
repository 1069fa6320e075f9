"""The zh_Hans catalogue is complete, has no guessed (fuzzy) entries, and the compiled .mo
matches the .po that reviewers read."""

import gettext
import re
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


def test_every_translation_keeps_the_placeholders_of_its_msgid():
    """msgfmt --check refuses a catalogue whose translation drops or renames a %(name)s of its
    msgid (the compile then fails and the old .mo silently stays): check each entry here."""
    placeholder = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
    for match, msgid in _entries():
        wanted = set(placeholder.findall(msgid))
        translations = re.findall(r'msgstr(?:\[\d\])? ((?:"(?:[^"\\]|\\.)*"\n?)+)', match["strs"])
        for translation in translations:
            assert set(placeholder.findall(_unquote(translation))) == wanted, msgid
