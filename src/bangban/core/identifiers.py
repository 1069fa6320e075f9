"""Identifiers people type in: the citizen ID number (GB 11643-1999), the unified social credit
code (GB 32100-2015), mainland mobile and landline numbers. Validators normalise what they accept
and raise `ValidationFailed` with a translated message; generators make valid values for demo data
and tests. Pure functions: no database.

Every error carries `extra["rule"]`, a stable machine-readable name (`"id_number.check"` …) that
tests, forms and API clients can rely on whatever the language."""

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.core.errors import ValidationFailed

# --- ID number ------------------------------------------------------------------------------

ID_NUMBER_LENGTH = 18
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11

# Province-level codes of GB/T 2260, plus 83 which the residence permits of Taiwan residents use
# (Hong Kong's and Macao's use 81 and 82, which GB/T 2260 already lists).
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {f"3{d}" for d in "1234567"}
    | {f"4{d}" for d in "123456"}
    | {f"5{d}" for d in "01234"}
    | {f"6{d}" for d in "12345"}
    | {"71", "81", "82", "83"}
)
# Since 2023-12-01 the foreigner's permanent residence ID card has an 18-digit number on the
# same pattern: "9", the province code of the issuing place, a nationality code, the birth date,
# a sequence and the same MOD 11-2 check character. Citizen numbers never start with 9.
FOREIGNER_PREFIX = "9"
_EARLIEST_BIRTH_YEAR = 1900


def _clean(value: str) -> str:
    """Full-width characters to ASCII (Chinese input methods produce them) and no whitespace."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(value.split())


def _fail(message: str, *, field: str | None, rule: str, **extra: object) -> ValidationFailed:
    return ValidationFailed(message, field=field, extra={"rule": rule, **extra})


def id_number_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != ID_NUMBER_LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValueError("an ID number's body is 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(value: str, *, field: str | None = "id_number") -> str:
    """The normalised number (no spaces, upper-case X), or ValidationFailed saying what is
    wrong. Checks length, characters, region, birth date and the check character."""
    value = _clean(value).upper()
    if len(value) != ID_NUMBER_LENGTH:
        raise _fail(
            _("The ID number must have 18 characters, not %(count)d.") % {"count": len(value)},
            field=field,
            rule="id_number.length",
        )
    if not (value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        raise _fail(
            _("The ID number may contain only digits, and an X as its last character."),
            field=field,
            rule="id_number.characters",
        )
    province = value[1:3] if value[0] == FOREIGNER_PREFIX else value[:2]
    if province not in PROVINCE_CODES:
        raise _fail(
            _("The ID number does not start with a valid region code."),
            field=field,
            rule="id_number.region",
        )
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise _fail(
            _("The birth date in the ID number is not a real date."),
            field=field,
            rule="id_number.birth_date",
        ) from None
    if birth.year < _EARLIEST_BIRTH_YEAR:
        raise _fail(
            _("The birth date in the ID number is before 1900."),
            field=field,
            rule="id_number.birth_date",
        )
    if birth > timezone.localdate():
        raise _fail(
            _("The birth date in the ID number is in the future."),
            field=field,
            rule="id_number.birth_date",
        )
    # Never say which character was expected: that would turn the form into a generator.
    if id_number_check_char(value[:17]) != value[17]:
        raise _fail(
            _("The check character of the ID number is not correct."),
            field=field,
            rule="id_number.check",
        )
    return value


def id_number_birth_date(value: str) -> date:
    value = validate_id_number(value)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_number_gender(value: str) -> str:
    """ "male" or "female": the 17th digit is odd for men and even for women."""
    value = validate_id_number(value)
    return "male" if int(value[16]) % 2 else "female"


def id_number_validator(value: str) -> None:
    """For model and form fields: the same check, as Django's ValidationError."""
    _as_django_error(validate_id_number, value)


# --- Unified social credit code ---------------------------------------------------------------

CREDIT_CODE_LENGTH = 18
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}

# GB 32100-2015 table 1: registration department (1st character) → organisation categories
# (2nd character). 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会,
# 9 工商 (now 市场监管), A 中央军委改革和编制办公室, N 农业, Y 其他 (category always 1).
CREDIT_CODE_CATEGORIES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),
    "2": frozenset("19"),
    "3": frozenset("123459"),
    "4": frozenset("19"),
    "5": frozenset("1239"),
    "6": frozenset("129"),
    "7": frozenset("129"),
    "8": frozenset("19"),
    "9": frozenset("123"),
    "A": frozenset("19"),
    "N": frozenset("1239"),
    "Y": frozenset("1"),
}
OVERRIDE_REASON_MIN_LENGTH = 4


@dataclass(frozen=True)
class CreditCodeCheck:
    value: str
    ok: bool
    warning: str = ""


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character: 31 − (Σ value × weight mod 31), with 31 written as 0."""
    if len(first17) != CREDIT_CODE_LENGTH - 1 or any(c not in _CREDIT_VALUES for c in first17):
        raise ValueError("a credit code's body is 17 characters of the credit-code alphabet")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(value: str, *, field: str | None = "credit_code") -> CreditCodeCheck:
    """Errors (wrong length, a character outside the alphabet) raise ValidationFailed. What
    some genuine codes get wrong — the check character, an unlisted department or category,
    a non-digit region — only makes `ok` False with a warning: see validate_credit_code."""
    value = _clean(value).upper()
    if len(value) != CREDIT_CODE_LENGTH:
        raise _fail(
            _("The unified social credit code must have 18 characters, not %(count)d.")
            % {"count": len(value)},
            field=field,
            rule="credit_code.length",
        )
    if any(c not in _CREDIT_VALUES for c in value):
        raise _fail(
            _(
                "The unified social credit code may contain only digits and capital letters "
                "other than I, O, S, V and Z."
            ),
            field=field,
            rule="credit_code.characters",
        )
    warnings = []
    department, category = value[0], value[1]
    if department not in CREDIT_CODE_CATEGORIES:
        warnings.append(
            _("Its registration department code %(char)s is not a known one.")
            % {"char": department}
        )
    elif category not in CREDIT_CODE_CATEGORIES[department]:
        warnings.append(
            _("Its organisation category code %(char)s is not known for that department.")
            % {"char": category}
        )
    if not value[2:8].isdigit():
        warnings.append(_("Its region code (characters 3 to 8) is not six digits."))
    if credit_code_check_char(value[:17]) != value[17]:
        warnings.append(_("Its check character does not match."))
    if not warnings:
        return CreditCodeCheck(value=value, ok=True)
    warning = " ".join([_("The unified social credit code may be wrong."), *warnings])
    return CreditCodeCheck(value=value, ok=False, warning=warning)


def validate_credit_code(
    value: str,
    *,
    override_reason: str = "",
    field: str | None = "credit_code",
    reason_field: str = "override_reason",
) -> CreditCodeCheck:
    """Accept a code that passes its check. One that fails it is refused unless staff give a
    written reason (some genuine codes fail): then the result has ok False and the warning,
    which the caller records beside the reason."""
    check = check_credit_code(value, field=field)
    if check.ok:
        return check
    reason = override_reason.strip()
    if not reason:
        raise _fail(
            " ".join(
                [
                    check.warning,
                    _(
                        "If it is copied correctly from the licence, you may still proceed by "
                        "giving a written reason."
                    ),
                ]
            ),
            field=field,
            rule="credit_code.check",
            overridable=True,
            override_field=reason_field,
        )
    if len(reason) < OVERRIDE_REASON_MIN_LENGTH:
        raise _fail(
            _("The reason for accepting this code must have at least %(count)d characters.")
            % {"count": OVERRIDE_REASON_MIN_LENGTH},
            field=reason_field,
            rule="credit_code.override_reason",
        )
    return check


# --- Phone numbers --------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)?86(?=1\d{10}$)")
_SEPARATORS = re.compile(r"[-\u2010-\u2015()]")
_EXTENSION_WORDS = re.compile(r"(?:转|分机|ext\.?|x|#)", re.IGNORECASE)
_LANDLINE_REST = re.compile(r"-?([2-9]\d{6,7})(?:-(\d{1,6}))?")


def validate_mobile(value: str, *, field: str | None = "phone") -> str:
    """Eleven digits starting 13–19; spaces, hyphens and a leading +86 or 86 are dropped."""
    digits = _SEPARATORS.sub("", _clean(value))
    digits = _COUNTRY_PREFIX.sub("", digits, count=1)
    if not (digits.isascii() and _MOBILE.fullmatch(digits)):
        raise _fail(
            _("Enter an 11-digit mainland mobile number starting with 13 to 19."),
            field=field,
            rule="phone.mobile",
        )
    return digits


def validate_phone(value: str, *, field: str | None = "phone") -> str:
    """A mobile number, or a landline with its area code, normalised to "0914-5321234" (with
    "-123" for an extension). Area codes 010 and 02x have three digits, all others four, which
    makes "09145321234" unambiguous."""
    try:
        return validate_mobile(value, field=field)
    except ValidationFailed:
        pass
    text = _EXTENSION_WORDS.sub("-", _clean(value))
    text = re.sub(r"[\u2010-\u2015]", "-", text).replace("(", "").replace(")", "")
    area_length = 3 if text[:2] in ("01", "02") else 4
    area, rest = text[:area_length], text[area_length:]
    match = _LANDLINE_REST.fullmatch(rest)
    if not (text.isascii() and re.fullmatch(r"0[1-9]\d+", area) and match):
        raise _fail(
            _(
                "Enter a mobile number, or a landline number with its area code such as "
                "0914-5321234."
            ),
            field=field,
            rule="phone.landline",
        )
    number, extension = match.groups()
    return f"{area}-{number}" + (f"-{extension}" if extension else "")


def mobile_validator(value: str) -> None:
    _as_django_error(validate_mobile, value)


def phone_validator(value: str) -> None:
    _as_django_error(validate_phone, value)


def _as_django_error(validate: Callable[..., object], value: str) -> None:
    try:
        validate(value, field=None)
    except ValidationFailed as exc:
        raise ValidationError(exc.message, code=exc.extra.get("rule")) from exc


# --- Generators for demo data and tests -------------------------------------------------------


def generate_id_number(
    rng: random.Random,
    *,
    region: str = "611023",  # 商南县
    birth: date | None = None,
    gender: str | None = None,
) -> str:
    """A citizen ID number with a correct check character. Without `birth`, a date in
    1950–2005 (independent of today, so a seed always gives the same number)."""
    if not (len(region) == 6 and region.isdigit() and region[:2] in PROVINCE_CODES):
        raise ValueError(f"not a region code: {region!r}")
    if birth is None:
        first, last = date(1950, 1, 1), date(2005, 12, 31)
        birth = first + timedelta(days=rng.randint(0, (last - first).days))
    if gender is None:
        gender = rng.choice(("male", "female"))
    if gender not in ("male", "female"):
        raise ValueError(f"gender is 'male' or 'female', not {gender!r}")
    sex_digit = rng.choice("13579" if gender == "male" else "02468")
    body = f"{region}{birth:%Y%m%d}{rng.randint(0, 99):02d}{sex_digit}"
    return body + id_number_check_char(body)


def generate_credit_code(
    rng: random.Random,
    *,
    region: str = "611023",
    department: str = "9",
    category: str = "1",
) -> str:
    """A credit code with a correct check character; by default an enterprise (9 工商, 1 企业).
    Characters 9–17 are random characters of the alphabet: the organisation code's own
    GB 11714 check character (its 9th) is not computed, as GB 32100 does not verify it."""
    if category not in CREDIT_CODE_CATEGORIES.get(department, ()):
        raise ValueError(f"unknown department/category: {department!r}/{category!r}")
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError(f"not a region code: {region!r}")
    organisation = "".join(rng.choice(CREDIT_CODE_ALPHABET) for _i in range(9))
    body = f"{department}{category}{region}{organisation}"
    return body + credit_code_check_char(body)


def generate_mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
