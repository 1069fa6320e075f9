"""Identifiers: the check characters catch every single-character mistake, generators make valid
values, and bad input fails with a ValidationFailed naming its field and rule. Messages are not
asserted: the zh_Hans catalogue may not have them yet."""

import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bangban.core.errors import ValidationFailed
from bangban.core.identifiers import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_CATEGORIES,
    CreditCodeCheck,
    check_credit_code,
    credit_code_check_char,
    generate_credit_code,
    generate_id_number,
    generate_mobile,
    id_number_birth_date,
    id_number_check_char,
    id_number_gender,
    id_number_validator,
    mobile_validator,
    phone_validator,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
    validate_phone,
)

FAST = settings(max_examples=200, deadline=None)
REGIONS = st.sampled_from(["611023", "110105", "350100", "650102", "810000", "830000"])
GENDERS = st.sampled_from(["male", "female"])
DEPARTMENT_CATEGORIES = st.sampled_from(
    [(d, c) for d, categories in CREDIT_CODE_CATEGORIES.items() for c in sorted(categories)]
)


def birth_dates():
    return st.dates(min_value=date(1900, 1, 1), max_value=timezone.localdate())


def with_check(body17: str) -> str:
    return body17 + id_number_check_char(body17)


def rejects(value: str, rule: str, *, validate=validate_id_number, field="id_number") -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(value)
    assert info.value.extra["rule"] == rule
    assert info.value.field == field
    assert info.value.message


# --- ID numbers ---------------------------------------------------------------------------


def test_known_id_numbers():
    assert id_number_check_char("11010519491231002") == "X"
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_gender("11010519491231002X") == "female"


def test_id_number_is_normalised():
    assert validate_id_number(" 11010519491231002x\n") == "11010519491231002X"
    assert validate_id_number("110105 19491231 002x") == "11010519491231002X"
    assert validate_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@FAST
@given(st.randoms(use_true_random=False), REGIONS, birth_dates(), GENDERS)
def test_generated_id_numbers_are_valid(rng, region, birth, gender):
    value = generate_id_number(rng, region=region, birth=birth, gender=gender)
    assert validate_id_number(value) == value
    assert value.startswith(region)
    assert id_number_birth_date(value) == birth
    assert id_number_gender(value) == gender


@FAST
@given(st.randoms(use_true_random=False))
def test_every_single_substitution_of_an_id_number_fails(rng):
    value = generate_id_number(rng)
    for position in range(18):
        allowed = "0123456789X" if position == 17 else "0123456789"
        for char in allowed.replace(value[position], ""):
            changed = value[:position] + char + value[position + 1 :]
            # The check character alone catches it, whatever else is wrong...
            assert id_number_check_char(changed[:17]) != changed[17]
            # ...so validation always refuses it.
            with pytest.raises(ValidationFailed):
                validate_id_number(changed)


def test_generator_defaults_are_shangnan_and_reproducible():
    value = generate_id_number(random.Random(7))
    assert value.startswith("611023")
    assert value == generate_id_number(random.Random(7))
    assert date(1950, 1, 1) <= id_number_birth_date(value) <= date(2005, 12, 31)


def test_generator_refuses_a_bad_region_or_gender():
    with pytest.raises(ValueError):
        generate_id_number(random.Random(1), region="991023")
    with pytest.raises(ValueError):
        generate_id_number(random.Random(1), gender="m")


@pytest.mark.parametrize(
    "value", ["", "11010519491231002", "11010519491231002X1", "110105491231002"]
)
def test_id_number_of_the_wrong_length(value):
    rejects(value, "id_number.length")


@pytest.mark.parametrize(
    "value",
    ["1101051949123100XX", "X10105194912310021", "11010519491231002Y", "11010519491231-02X"],
)
def test_id_number_with_wrong_characters(value):
    rejects(value, "id_number.characters")


@pytest.mark.parametrize(
    "prefix", ["00", "10", "16", "20", "24", "38", "47", "55", "60", "66", "72"]
)
def test_id_number_with_an_unknown_province(prefix):
    rejects(with_check(f"{prefix}010519491231002"), "id_number.region")


@pytest.mark.parametrize("prefix", ["81", "82", "83", "71", "46"])
def test_id_number_of_hong_kong_macao_taiwan_and_hainan(prefix):
    value = with_check(f"{prefix}000019800101002")
    assert validate_id_number(value) == value


def test_foreigner_permanent_residence_number():
    """2023 card: 9, issuing province (11), nationality code, birth date, sequence, check."""
    value = with_check("91184019800101002")
    assert validate_id_number(value) == value
    assert id_number_birth_date(value) == date(1980, 1, 1)
    rejects(with_check("90184019800101002"), "id_number.region")


@pytest.mark.parametrize("birth", ["19490230", "19000229", "19491301", "19490100", "19491232"])
def test_id_number_with_an_impossible_birth_date(birth):
    rejects(with_check(f"110105{birth}002"), "id_number.birth_date")


def test_id_number_birth_date_limits():
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    rejects(with_check(f"110105{tomorrow:%Y%m%d}002"), "id_number.birth_date")
    rejects(with_check("11010518991231002"), "id_number.birth_date")
    for birth in (today, date(1900, 1, 1), date(2000, 2, 29)):
        value = with_check(f"110105{birth:%Y%m%d}002")
        assert id_number_birth_date(value) == birth


def test_id_number_with_a_wrong_check_character():
    rejects("110105194912310021", "id_number.check")
    rejects("11010519491231002x".replace("x", "0"), "id_number.check")


def test_gender_follows_the_seventeenth_digit():
    assert id_number_gender(with_check("11010519491231001")) == "male"
    assert id_number_gender(with_check("11010519491231008")) == "female"
    assert id_number_gender(with_check("11010519491231000")) == "female"


def test_helpers_validate_first():
    with pytest.raises(ValidationFailed):
        id_number_birth_date("110105194912310021")
    with pytest.raises(ValidationFailed):
        id_number_gender("abc")


def test_check_char_refuses_a_malformed_body():
    for body in ("1101051949123100", "110105194912310021", "1101051949123100X"):
        with pytest.raises(ValueError):
            id_number_check_char(body)


def test_id_number_field_can_be_renamed():
    with pytest.raises(ValidationFailed) as info:
        validate_id_number("1", field="applicant_id_number")
    assert info.value.field == "applicant_id_number"


# --- Credit codes -------------------------------------------------------------------------


def test_known_credit_code():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert check_credit_code("91350100M000100Y43") == CreditCodeCheck(
        value="91350100M000100Y43", ok=True, warning=""
    )
    assert validate_credit_code(" 91350100m000100y43 ").value == "91350100M000100Y43"


def test_check_value_31_is_written_0():
    """Find a body whose weighted sum is a multiple of 31: its check character is 0."""
    rng = random.Random(3)
    while True:
        body = "91611023" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _i in range(9))
        if credit_code_check_char(body) == "0":
            break
    assert check_credit_code(body + "0").ok


@FAST
@given(st.randoms(use_true_random=False), DEPARTMENT_CATEGORIES)
def test_generated_credit_codes_are_valid(rng, department_category):
    department, category = department_category
    value = generate_credit_code(rng, department=department, category=category)
    check = validate_credit_code(value)
    assert check == CreditCodeCheck(value=value, ok=True, warning="")
    assert value[:8] == f"{department}{category}611023"


@FAST
@given(st.randoms(use_true_random=False))
def test_every_single_substitution_of_a_credit_code_fails_its_check(rng):
    value = generate_credit_code(rng)
    for position in range(18):
        for char in CREDIT_CODE_ALPHABET.replace(value[position], ""):
            changed = value[:position] + char + value[position + 1 :]
            assert credit_code_check_char(changed[:17]) != changed[17]
            check = check_credit_code(changed)
            assert not check.ok
            assert check.warning


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y431", "913501"])
def test_credit_code_of_the_wrong_length_is_an_error(value):
    rejects(value, "credit_code.length", validate=validate_credit_code, field="credit_code")
    rejects(value, "credit_code.length", validate=check_credit_code, field="credit_code")


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-", "*"])
def test_credit_code_with_a_character_outside_the_alphabet_is_an_error(bad):
    value = f"91350100M000100{bad}43"
    rejects(value, "credit_code.characters", validate=validate_credit_code, field="credit_code")
    # Even with a reason: these are not codes at all.
    with pytest.raises(ValidationFailed):
        validate_credit_code(value, override_reason="营业执照上就是这样写的")


def test_a_failed_check_needs_a_written_reason():
    with pytest.raises(ValidationFailed) as info:
        validate_credit_code("91350100M000100Y44")
    assert info.value.field == "credit_code"
    assert info.value.extra["rule"] == "credit_code.check"
    assert info.value.extra["overridable"] is True
    assert info.value.extra["override_field"] == "override_reason"
    with pytest.raises(ValidationFailed):
        validate_credit_code("91350100M000100Y44", override_reason="   ")


def test_a_reason_too_short_is_refused_on_the_reason_field():
    with pytest.raises(ValidationFailed) as info:
        validate_credit_code("91350100M000100Y44", override_reason=" 原件 ")
    assert info.value.field == "override_reason"
    assert info.value.extra["rule"] == "credit_code.override_reason"


def test_a_failed_check_with_a_reason_passes_with_its_warning():
    check = validate_credit_code("91350100m000100y44", override_reason="与营业执照原件核对一致")
    assert check.value == "91350100M000100Y44"
    assert check.ok is False
    assert check.warning
    assert check == check_credit_code("91350100M000100Y44")


def test_a_reason_is_ignored_when_the_code_is_correct():
    assert validate_credit_code("91350100M000100Y43", override_reason="x").ok


@pytest.mark.parametrize(
    "body", ["B1350100M000100Y4", "94350100M000100Y4", "Y2350100M000100Y4", "91AB0100M000100Y4"]
)
def test_unknown_department_category_or_region_is_a_warning(body):
    """Correct check character, but an unlisted department, category or a non-digit region."""
    value = body + credit_code_check_char(body)
    check = check_credit_code(value)
    assert (check.ok, bool(check.warning)) == (False, True)
    with pytest.raises(ValidationFailed) as info:
        validate_credit_code(value)
    assert info.value.extra["rule"] == "credit_code.check"
    assert validate_credit_code(value, override_reason="登记机关赋码如此").ok is False


def test_credit_code_generator_refuses_unknown_kinds():
    with pytest.raises(ValueError):
        generate_credit_code(random.Random(1), department="B")
    with pytest.raises(ValueError):
        generate_credit_code(random.Random(1), department="Y", category="2")
    with pytest.raises(ValueError):
        generate_credit_code(random.Random(1), region="61102")


# --- Phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086 13812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_is_normalised(value):
    assert validate_mobile(value) == "13812345678"
    assert validate_phone(value) == "13812345678"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "10812345678",
        "23812345678",
        "+1 13812345678",
        "8713812345678",
        "abcdefghijk",
        "1381234567x",
        "0914-5321234",
    ],
)
def test_mobile_is_refused(value):
    rejects(value, "phone.mobile", validate=validate_mobile, field="phone")


@FAST
@given(st.randoms(use_true_random=False))
def test_generated_mobiles_are_valid(rng):
    value = generate_mobile(rng)
    assert validate_mobile(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0914-5321234", "0914-5321234"),
        ("09145321234", "0914-5321234"),
        ("0914 532 1234", "0914-5321234"),
        ("(0914)5321234", "0914-5321234"),
        ("（0914）5321234", "0914-5321234"),
        ("0914-53212345", "0914-53212345"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("029-88881234", "029-88881234"),
        ("0914-5321234-123", "0914-5321234-123"),
        ("0914-5321234转123", "0914-5321234-123"),
        ("0914-5321234 ext. 8", "0914-5321234-8"),
    ],
)
def test_landline_is_normalised(value, expected):
    assert validate_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5321234",
        "0914-532123",
        "0914-532123456",
        "0914-0321234",
        "0914-1321234",
        "2914-5321234",
        "0014-5321234",
        "091-45321234-",
        "0914-5321234-1234567",
        "0914-5321234-",
        "电话0914-5321234",
    ],
)
def test_landline_is_refused(value):
    rejects(value, "phone.landline", validate=validate_phone, field="phone")


# --- Django validators --------------------------------------------------------------------


def test_django_validators_raise_django_errors_with_the_same_message():
    id_number_validator("11010519491231002X")
    mobile_validator("13812345678")
    phone_validator("0914-5321234")
    cases = [
        (id_number_validator, validate_id_number, "110105194912310021", "id_number.check"),
        (mobile_validator, validate_mobile, "12812345678", "phone.mobile"),
        (phone_validator, validate_phone, "5321234", "phone.landline"),
    ]
    for validator, validate, value, rule in cases:
        with pytest.raises(ValidationError) as django_info:
            validator(value)
        with pytest.raises(ValidationFailed) as ours:
            validate(value)
        assert django_info.value.code == rule
        assert django_info.value.messages == [ours.value.message]
