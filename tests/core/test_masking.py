"""Masks show enough to recognise a number, never enough to use it."""

import pytest

from bangban.core.masking import mask_id_number, mask_name, mask_phone


def test_id_number_keeps_four_and_four():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert len(mask_id_number("11010519491231002X")) == 18


@pytest.mark.parametrize("value", ["", None])
def test_empty_values_mask_to_empty(value):
    assert mask_id_number(value) == ""
    assert mask_phone(value) == ""


@pytest.mark.parametrize("value", ["1", "1234", "12345678"])
def test_short_id_numbers_are_all_hidden(value):
    assert mask_id_number(value) == "*" * len(value)


def test_mobile_keeps_three_and_four():
    assert mask_phone("13812345678") == "138****5678"


def test_landline_keeps_its_last_four():
    assert mask_phone("0914-5321234") == "********1234"
    assert mask_phone("09145321234") == "091****1234"  # eleven digits look like a mobile
    assert mask_phone("0914-5321234-123") == "************-123"


@pytest.mark.parametrize("value", ["1", "123", "1234"])
def test_short_phones_are_all_hidden(value):
    assert mask_phone(value) == "*" * len(value)


def test_masks_never_contain_the_middle():
    assert "05194912310" not in mask_id_number("11010519491231002X")
    assert "1234" not in mask_phone("13812345678")


def test_a_name_keeps_its_surname():
    assert [mask_name(n) for n in ("张秀英", "李四", "王", "")] == ["张**", "李*", "*", ""]
