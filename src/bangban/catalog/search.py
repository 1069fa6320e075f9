"""Chinese search over the catalog: people type how they talk ("开饭店", "生孩子", "spjy") and
find the item (食品经营许可核发, 生育服务证登记) or the bundle (退休一件事).

The matching runs in Python over an in-memory index of the active items and bundles, so it
behaves the same on SQLite and PostgreSQL and needs no search column. The index is rebuilt when
a cheap fingerprint of the catalog changes (two aggregate queries per search), so an edit is
searchable at once, in every process.

What is indexed, per item: its name (as published, and without parenthesised remarks such as
"（县级）"), its aliases (everyday phrasings), its department and implementing body, and its
materials' names; per bundle: its name, aliases, lead department and member items. Each text is
kept normalised (NFKC, so full-width letters and brackets become half-width; lower case; only
Chinese characters, letters and digits), with its character bigrams, its pinyin syllables, and
its pinyin initials and full pinyin.

Scoring. The query is normalised the same way and filler words (我想, 怎么, 办理, 需要什么 …) are
dropped, unless nothing would be left; aliases lose the same words, being phrasings too. Each
indexed text then scores 0-100 by the best of:

==========================================  ==============================================
exact match                                 100
the text contains the query                 80 + 15 × (share of the text the query covers)
the query contains the text                 50 + 30 × (share of the query the text covers)
query characters in order inside the text   50 + 20 × share covered ("社保卡" → 社会保障卡)
text characters in order inside the query   45 + 20 × share covered ("开饭馆" in "开一家小饭馆")
character-bigram overlap (Dice)             75 × Dice (typos, reordered words)
the same on pinyin syllables                × 0.7, exact, contained or Dice only (homophone
                                            typos: "低宝" → 低保, "居住正" → 居住证)
a Latin-letter query against the pinyin     initials exact 90, prefix 70-90, inside 55-75,
of names and aliases                        in order from the first letter 40-60; full
                                            pinyin exact 90, prefix 65-90, from a syllable 50-70
==========================================  ==============================================

and is weighted by the field it is in: name 1, alias 0.85, bundle member 0.5, department 0.45,
material 0.35. So an exact name beats a name that contains the query, which beats an exact
alias, which beats an alias that contains the query; a department or a material alone is a weak
hint. (Pinyin scores are high, but only a Latin-letter query has them, and then nothing else.)
An entry's score is its best field plus a tenth of the best of each other field (several kinds
of evidence agreeing lift it a little), less 2 when its name is a later step of a life cycle
(变更, 注销, 补领 …) that the query does not name: between near-equals, the start (设立, 核发,
申领) is what people mostly want. Entries under 15 are dropped; ties go to the shorter name, then
to character order, so the ranking never depends on database order.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from pypinyin import Style, lazy_pinyin

from bangban.catalog.models import Bundle, BundleMember, Item

__all__ = [
    "Hit",
    "index_clear",
    "normalise",
    "search_catalog",
    "search_item_ids",
    "search_items",
]

# Queries are cut to this many characters before anything else: nobody asks for an item in a
# paragraph, and the cost of a search stays bounded whatever is pasted into the box.
MAX_QUERY_CHARS = 64
MIN_SCORE = 15.0

WEIGHTS = {"name": 1.0, "alias": 0.85, "member": 0.5, "department": 0.45, "material": 0.35}
PINYIN_FACTOR = 0.7  # a homophone is weaker evidence than the right characters
SUPPORT_FACTOR = 0.1  # how much each other agreeing field adds
# Among items that match alike, the one that starts something (设立, 核发, 申领) comes before
# those that change or end it: people ask for the start of a life cycle most, and a later step
# has words (注销, 变更) that, once typed, outweigh this small penalty many times over.
LATER_STEPS = (
    "变更",
    "注销",
    "延续",
    "换领",
    "换发",
    "补领",
    "补发",
    "补办",
    "挂失",
    "迁移",
    "封存",
    "暂停",
    "恢复",
    "重置",
    "修改",
)
LATER_STEP_PENALTY = 2.0

# Words that say "I want to do something" rather than what: dropped from the query. Longest
# first, so "需要什么材料" goes before "需要".
FILLERS = sorted(
    {
        "我要",
        "我想",
        "想要",
        "我需要",
        "请问",
        "你好",
        "需要什么材料",
        "需要哪些材料",
        "要什么材料",
        "要哪些材料",
        "需要带什么",
        "要带什么",
        "需要什么",
        "需要哪些",
        "需要",
        "怎么办理",
        "怎么申请",
        "怎么办",
        "怎么弄",
        "咋办",
        "怎么",
        "怎样",
        "如何",
        "办理",
        "申请",
        "去哪里",
        "去哪儿",
        "去哪",
        "在哪里",
        "在哪儿",
        "在哪",
        "哪里",
        "什么",
        "哪些",
        "手续",
        "流程",
        "一下",
        "可以",
        "能不能",
        "帮我",
        "给我",
    },
    key=len,
    reverse=True,
)
_FILLER_RE = re.compile("|".join(map(re.escape, FILLERS)))
# Single characters that are filler only at the start ("办身份证") or the end ("低保吗").
_LEADING = "我要想去办帮"
_TRAILING = "吗呢啊呀了的"  # not 吧: 网吧

_HAN_RANGE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KEEP = re.compile(f"[0-9a-z{_HAN_RANGE}]+")
_HAN = re.compile(f"[{_HAN_RANGE}]")
_RUNS = re.compile(f"[{_HAN_RANGE}]+|[^{_HAN_RANGE}]+")
_REMARK = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
_ASCII_QUERY = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")


def normalise(text: str) -> str:
    """Half-width, lower case, only Chinese characters, letters and digits."""
    return "".join(_KEEP.findall(unicodedata.normalize("NFKC", text or "").lower()))


def _without_remarks(text: str) -> str:
    """The name without its remarks in brackets: 食品(含保健食品)经营许可核发 → 食品经营许可核发."""
    text = unicodedata.normalize("NFKC", text)
    for _round in range(3):  # nested brackets, innermost first
        stripped = _REMARK.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


def _grams(text: str) -> frozenset[str]:
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def _in_order(needle: str, haystack: str) -> bool:
    """Whether needle's characters appear in haystack in the same order (gaps allowed)."""
    rest = iter(haystack)
    return all(char in rest for char in needle)


# Pinyin syllables become single private-use characters, so that the character matching above
# works unchanged on sounds. The table is bounded: about 400 syllables, plus single characters
# for anything that has no pinyin.
_SOUNDS: dict[str, str] = {}
_SOUNDS_LOCK = threading.Lock()


def _sound(syllable: str) -> str:
    code = _SOUNDS.get(syllable)
    if code is None:
        with _SOUNDS_LOCK:
            code = _SOUNDS.setdefault(syllable, chr(0xF0000 + len(_SOUNDS)))
    return code


def _syllables(text: str) -> list[str]:
    """One syllable per character of a normalised text (letters and digits stand for
    themselves); pypinyin reads heteronyms from the words around them (重度 zhong, 银行 hang)."""
    result: list[str] = []
    for run in _RUNS.findall(text):
        if not _HAN.match(run):
            result.extend(run)
            continue
        syllables = lazy_pinyin(run, style=Style.NORMAL, errors="default")
        if len(syllables) != len(run):  # characters without a reading come back grouped
            syllables = [lazy_pinyin(char, errors="default")[0] for char in run]
        result.extend(syllables)
    return result


@dataclass(frozen=True)
class _Text:
    kind: str
    shown: str  # as stored, for display
    text: str  # normalised
    chars: frozenset[str]
    grams: frozenset[str]
    sounds: str
    sound_chars: frozenset[str]
    sound_grams: frozenset[str]
    initials: str
    spelled: str  # full pinyin, joined
    starts: tuple[int, ...]  # where each syllable starts in `spelled`

    @classmethod
    def make(cls, kind: str, shown: str, text: str) -> _Text:
        syllables = _syllables(text)
        sounds = "".join(_sound(s) for s in syllables)
        starts, offset = [], 0
        for syllable in syllables:
            starts.append(offset)
            offset += len(syllable)
        return cls(
            kind=kind,
            shown=shown,
            text=text,
            chars=frozenset(text),
            grams=_grams(text),
            sounds=sounds,
            sound_chars=frozenset(sounds),
            sound_grams=_grams(sounds),
            initials="".join(s[0] for s in syllables),
            spelled="".join(syllables),
            starts=tuple(starts),
        )


@dataclass(frozen=True)
class _Entry:
    kind: str  # item | bundle
    pk: int
    name: str
    texts: tuple[_Text, ...]
    later_step: str = ""  # the word of LATER_STEPS in the name, if any


@dataclass
class _Index:
    entries: list[_Entry]
    built_in: float = 0.0  # seconds


@dataclass(frozen=True)
class Hit:
    """One result: an item or a bundle, its score (100 for an exact name; agreeing fields add a
    little), and the field that matched best (name, alias, department, material, member or
    pinyin) with the text it matched in."""

    kind: str
    pk: int
    name: str
    score: float
    matched: str
    matched_text: str = field(default="", compare=False)

    @property
    def matched_label(self) -> str:
        return str(MATCHED_LABELS.get(self.matched, self.matched))


MATCHED_LABELS = {
    "name": pgettext_lazy("catalog search", "Name"),
    "alias": _("Everyday phrasing"),
    "department": _("Department"),
    "material": _("Material"),
    "member": _("Bundle member"),
    "pinyin": _("Pinyin"),
}


# --- the index ---------------------------------------------------------------------------------

# (fingerprint, index) of this process; replaced whole, so readers need no lock.
_cached: tuple[tuple, _Index] | None = None
_cache_lock = threading.Lock()


def _fingerprint() -> tuple:
    """Cheap to ask, changes with every edit: item saves move `updated_at` (materials and steps
    are changed through `item_update`, which saves the item), and every `bundle_save` recreates
    the bundle's members, which moves the highest member id."""
    items = Item.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    bundles = Bundle.objects.aggregate(
        n=Count("pk", distinct=True),
        active=Count("pk", filter=Q(is_active=True), distinct=True),
        last_member=Max("members__pk"),
        members=Count("members__pk"),
    )
    return (
        items["n"],
        str(items["changed"]),
        bundles["n"],
        bundles["active"],
        bundles["last_member"],
        bundles["members"],
    )


def _texts(kind: str, values: Iterable[str]) -> list[tuple[str, str, str]]:
    rows = []
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        text = normalise(value)
        # Aliases are how people talk, like queries: they lose the same filler words.
        rows.append((kind, value, _strip_fillers(text) if kind == "alias" else text))
        if kind in ("name", "member"):
            bare = normalise(_without_remarks(value))
            if bare and bare != rows[-1][2]:
                rows.append((kind, value, bare))
    return rows


def _entry(kind: str, pk: int, name: str, rows: list[tuple[str, str, str]]) -> _Entry:
    seen: set[tuple[str, str]] = set()
    texts = []
    for text_kind, shown, text in rows:
        if text and (text_kind, text) not in seen:
            seen.add((text_kind, text))
            texts.append(_Text.make(text_kind, shown, text))
    later = next((word for word in LATER_STEPS if word in name), "")
    return _Entry(kind=kind, pk=pk, name=name, texts=tuple(texts), later_step=later)


def _aliases(value: str) -> list[str]:
    return [a for a in re.split(r"[\n;；]", value or "") if a.strip()]


def _build() -> _Index:
    started = time.perf_counter()
    entries = []
    items = (
        Item.objects.filter(is_active=True)
        .select_related("department")
        .prefetch_related("materials")
        .order_by("name", "pk")
    )
    for item in items:
        rows = _texts("name", [item.name])
        rows += _texts("alias", _aliases(item.aliases))
        rows += _texts(
            "department",
            [item.department.name if item.department_id else "", item.implementing_body],
        )
        rows += _texts("material", [m.name for m in item.materials.all()])
        entries.append(_entry("item", item.pk, item.name, rows))
    members = BundleMember.objects.select_related("item").order_by("position", "pk")
    bundles = (
        Bundle.objects.filter(is_active=True)
        .select_related("lead_department")
        .prefetch_related(
            # A member withdrawn from the catalog no longer leads to the bundle by its name.
            Prefetch("members", queryset=members)
        )
        .order_by("name", "pk")
    )
    for bundle in bundles:
        rows = _texts("name", [bundle.name])
        rows += _texts("alias", _aliases(bundle.aliases))
        rows += _texts(
            "department", [bundle.lead_department.name if bundle.lead_department else ""]
        )
        rows += _texts(
            "member",
            [m.name for m in bundle.members.all() if m.item_id is None or m.item.is_active],
        )
        entries.append(_entry("bundle", bundle.pk, bundle.name, rows))
    return _Index(entries=entries, built_in=time.perf_counter() - started)


def _index() -> _Index:
    global _cached
    key = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _cache_lock:
        # Another thread may have built it meanwhile.
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        index = _build()
        _cached = (key, index)
        return index


def index_clear() -> None:
    """Forget the index of this process (the next search rebuilds it). Needed only after a
    change the fingerprint cannot see, such as a department renamed."""
    global _cached
    with _cache_lock:
        _cached = None


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Query:
    text: str
    chars: frozenset[str]
    grams: frozenset[str]
    sounds: str
    sound_chars: frozenset[str]
    sound_grams: frozenset[str]
    latin: str  # the query when it is Latin letters (pinyin), else ""
    has_han: bool


def _strip_fillers(text: str) -> str:
    core = _FILLER_RE.sub("", text)
    while core and core[0] in _LEADING:
        core = core[1:]
    while core and core[-1] in _TRAILING:
        core = core[:-1]
    return core or text


def _query(raw: str) -> _Query | None:
    text = normalise((raw or "")[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
    if not text:
        return None
    text = _strip_fillers(text)
    sounds = "".join(_sound(s) for s in _syllables(text))
    return _Query(
        text=text,
        chars=frozenset(text),
        grams=_grams(text),
        sounds=sounds,
        sound_chars=frozenset(sounds),
        sound_grams=_grams(sounds),
        latin=text if _ASCII_QUERY.fullmatch(text) else "",
        has_han=bool(_HAN.search(text)),
    )


def _score(
    q: str, q_grams: frozenset[str], t: str, t_grams: frozenset[str], *, parts: bool = True
) -> float:
    """How well query q matches text t, 0-100 (the table in the module's docstring). Without
    `parts`, only the exact match, containment and bigrams count, not a text found inside
    the query or either spread over the other (used for sounds,
    where a word's syllables inside a sentence are too often another word's: 兵退 ≠ 病退)."""
    if q == t:
        return 100.0
    lq, lt = len(q), len(t)
    if q in t:
        return 80 + 15 * lq / lt
    best = 0.0
    if parts and lt >= 2 and t in q:
        best = 50 + 30 * lt / lq
    elif parts:
        if lq >= 2 and _in_order(q, t):
            best = 50 + 20 * lq / lt
        if lt >= 3 and _in_order(t, q):
            best = max(best, 45 + 20 * lt / lq)
    shared = len(q_grams & t_grams)
    if shared:
        best = max(best, 75 * 2 * shared / (len(q_grams) + len(t_grams)))
    return best


def _latin_score(q: str, t: _Text) -> float:
    """A Latin-letter query against a text's pinyin: initials (spjy) or spelled out (shipin)."""
    initials, spelled = t.initials, t.spelled
    best = 0.0
    lq = len(q)
    if initials:
        if q == initials:
            return 90.0
        share = min(1.0, lq / len(initials))
        if initials.startswith(q):
            best = 70 + 20 * share
        elif lq >= 3 and q in initials:
            best = 55 + 20 * share
        elif lq >= 3 and q[0] == initials[0] and _in_order(q, initials):
            best = 40 + 20 * share
    if spelled and lq >= 2:
        if q == spelled:
            return 90.0
        share = lq / len(spelled)
        if spelled.startswith(q):
            best = max(best, 65 + 25 * share)
        elif lq >= 4:
            at = spelled.find(q)
            while at != -1:
                if at in t.starts:
                    best = max(best, 50 + 20 * share)
                    break
                at = spelled.find(q, at + 1)
    return best


def _text_score(query: _Query, t: _Text) -> tuple[float, str]:
    score, how = 0.0, t.kind
    if query.chars & t.chars:
        score = _score(query.text, query.grams, t.text, t.grams)
    if query.has_han and score < 100 * PINYIN_FACTOR and query.sound_chars & t.sound_chars:
        by_sound = PINYIN_FACTOR * _score(
            query.sounds, query.sound_grams, t.sounds, t.sound_grams, parts=False
        )
        if by_sound > score:
            score, how = by_sound, "pinyin"
    if query.latin and t.kind in ("name", "alias"):
        by_letters = _latin_score(query.latin, t)
        if by_letters > score:
            score, how = by_letters, "pinyin"
    return score * WEIGHTS[t.kind], how


def _rank(raw: str) -> list[Hit]:
    query = _query(raw)
    if query is None:
        return []
    hits = []
    for entry in _index().entries:
        # The best score of each field kind, with how it matched and in which text.
        best: dict[str, tuple[float, str, str]] = {}
        for t in entry.texts:
            score, how = _text_score(query, t)
            if score > best.get(t.kind, (0.0,))[0]:
                best[t.kind] = (score, how, t.shown)
        if not best:
            continue
        ordered = sorted(best.values(), reverse=True)
        top, how, shown = ordered[0]
        total = top + SUPPORT_FACTOR * sum(s for s, _h, _t in ordered[1:])
        if entry.later_step and entry.later_step not in query.text:
            total -= LATER_STEP_PENALTY
        if total >= MIN_SCORE:
            hits.append(
                Hit(
                    kind=entry.kind,
                    pk=entry.pk,
                    name=entry.name,
                    score=round(total, 1),
                    matched=how,
                    matched_text=shown,
                )
            )
    hits.sort(key=lambda h: (-h.score, len(h.name), h.name, h.kind, h.pk))
    return hits


# --- the public functions ----------------------------------------------------------------------


def search_catalog(query: str, *, limit: int = 20) -> list[Hit]:
    """Active items and bundles matching a Chinese (or pinyin) query, best first."""
    if limit <= 0:
        return []
    return _rank(query)[:limit]


def search_item_ids(query: str, *, limit: int | None = None) -> list[int]:
    """The ids of the matching active items, best first (bundles left out)."""
    ids = [hit.pk for hit in _rank(query) if hit.kind == "item"]
    return ids if limit is None else ids[: max(limit, 0)]


def search_items(query: str, *, limit: int = 20) -> list[Item]:
    """The matching active items, best first, with their departments (one query after the
    search's own)."""
    ids = search_item_ids(query, limit=limit)
    if not ids:
        return []
    by_pk = Item.objects.filter(pk__in=ids, is_active=True).select_related("department").in_bulk()
    return [by_pk[pk] for pk in ids if pk in by_pk]
