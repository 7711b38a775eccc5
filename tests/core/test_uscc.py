"""Tests for shifan.core.uscc (统一社会信用代码, GB 32100-2015). No database needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from shifan.core import uscc
from shifan.core.uscc import ALPHABET, CreditCodeError, check_character, normalise, validate, warnings

FIXTURES = [
    "91110000600037341L",
    "914403001922038216",
    "91350100M000100Y43",
    "91440101MA5CJQ4N59",
    "91440300MA5F000181",
    "52440000MJL000032Q",
    "12440000455600002G",
    "91440300MA5F001300",  # check character "0"
]


def make_code(first17: str) -> str:
    """Return a complete code for the first 17 characters, with the right check character."""
    return first17 + check_character(first17)


def other_character(ch: str) -> str:
    """Return an alphabet character different from `ch`."""
    return ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)]


# --- the check character ---------------------------------------------------------------------


@pytest.mark.parametrize("code", FIXTURES)
def test_fixtures_validate(code: str) -> None:
    assert validate(code) == code
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", FIXTURES)
def test_agrees_with_stdnum_where_stdnum_accepts(code: str) -> None:
    # stdnum is only a cross-check: its calculation must agree with ours on every fixture.
    assert stdnum_uscc.calc_check_digit(code[:17]) == check_character(code[:17])
    if code[:8].isdigit():
        assert stdnum_uscc.is_valid(code)


def test_weights_are_powers_of_three_mod_31() -> None:
    assert list(uscc.WEIGHTS) == [pow(3, i, 31) for i in range(17)]


def test_edge_case_check_character_zero() -> None:
    assert check_character("91440300MA5F00130") == "0"


@pytest.mark.parametrize("code", FIXTURES)
def test_wrong_check_character_is_rejected_naming_the_expected_one(code: str) -> None:
    wrong = other_character(code[17])
    with pytest.raises(CreditCodeError) as info:
        validate(code[:17] + wrong)
    assert info.value.code == "check"
    assert info.value.message == f"校验位错误：第18位应为“{code[17]}”，填写的是“{wrong}”。请核对代码。"


def test_check_message_example() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("91110000600037341Y")
    assert info.value.message == "校验位错误：第18位应为“L”，填写的是“Y”。请核对代码。"
    assert str(info.value) == info.value.message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("first", ["Y", "A", "N"])
def test_letter_registration_authorities_are_accepted(first: str) -> None:
    # Some python-stdnum versions reject these; GB 32100 allows them (Y: other authorities).
    code = make_code(f"{first}1440300MA5F00018")
    assert validate(code) == code
    assert uscc.area_code(code) == "440300"


@pytest.mark.parametrize("prefix", ["12", "51", "52", "Y1"])
def test_non_enterprise_authorities_are_accepted(prefix: str) -> None:
    code = make_code(f"{prefix}440000MJL000032")
    assert validate(code) == code


# --- length and characters -------------------------------------------------------------------


def test_seventeen_characters() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("91440300MA5F00018")
    assert info.value.code == "length"
    assert info.value.message == "统一社会信用代码应为18位，当前为17位。"


def test_nineteen_characters() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("91440300MA5F0001810")
    assert info.value.code == "length"
    assert info.value.message == "统一社会信用代码应为18位，当前为19位。"


def test_empty() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("  ")
    assert info.value.code == "length"


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters(letter: str) -> None:
    code = "9144" + letter + "300MA5F000181"
    with pytest.raises(CreditCodeError) as info:
        validate(code)
    assert info.value.code == "characters"
    assert info.value.message == f"统一社会信用代码不能包含字母 I、O、S、V、Z，第5位“{letter}”不合法。"


def test_forbidden_letter_lowercase_is_reported_in_uppercase() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("9144o300MA5F000181")
    assert info.value.message == "统一社会信用代码不能包含字母 I、O、S、V、Z，第5位“O”不合法。"


def test_other_characters() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate("914403-0MA5F000181")
    assert info.value.code == "characters"
    assert "第7位“-”" in info.value.message


# --- normalisation ---------------------------------------------------------------------------


def test_lowercase_input() -> None:
    assert validate("91440101ma5cjq4n59") == "91440101MA5CJQ4N59"


def test_fullwidth_input() -> None:
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in "91440101MA5CJQ4N59")
    assert validate(fullwidth) == "91440101MA5CJQ4N59"


def test_fullwidth_lowercase_and_spaces() -> None:
    raw = "\u3000９１４４０１０１ ｍａ５ｃｊｑ４ｎ５９\u3000"
    assert normalise(raw) == "91440101MA5CJQ4N59"
    assert validate(raw) == "91440101MA5CJQ4N59"


def test_normalise_strips_inner_and_outer_whitespace() -> None:
    assert normalise(" 9144 0300\tMA5F 0001 81\n") == "91440300MA5F000181"


# --- area code and warnings ------------------------------------------------------------------


def test_area_code() -> None:
    assert uscc.area_code("91440101MA5CJQ4N59") == "440101"
    with pytest.raises(CreditCodeError):
        uscc.area_code("91440101MA5CJQ4N5")


def codes_of(found: list[uscc.CreditCodeWarning]) -> list[str]:
    return [w.code for w in found]


def test_warning_outside_guangdong() -> None:
    found = warnings("91110000600037341L", "440100")
    assert codes_of(found) == ["outside_guangdong"]
    assert found[0].message == "代码第3–8位登记机关代码为110000（非广东省），请核实注册地。"


def test_warning_national_registration() -> None:
    code = make_code("91100000" + "MA0000015")
    found = warnings(code, "440100")
    assert codes_of(found) == ["outside_guangdong"]
    assert found[0].message == "代码由国家级登记机关赋码（100000），请核实是否在广东省注册。"


def test_old_area_code_in_its_city_gives_no_warning() -> None:
    # 441421 is the former 梅县 (now 梅县区 441403): codes are never re-issued, so it stays valid.
    code = make_code("91441421" + "MA4UP0008")
    assert uscc._org_code_check_ok(code[8:17])
    assert warnings(code, "441400") == []


def test_old_area_code_in_another_city() -> None:
    code = make_code("91441421" + "MA4UP0008")
    found = warnings(code, "440100")
    assert codes_of(found) == ["other_city"]
    assert found[0].message == "代码登记机关在梅州市（4414），与所选城市广州市不一致，请核实。"


def test_same_city_no_warning() -> None:
    assert warnings("914403001922038216", "440300") == []
    assert warnings("91440101MA5CJQ4N59", "440100") == []


def test_no_city_declared_compares_nothing() -> None:
    assert warnings("91440101MA5CJQ4N59", None) == []


def test_province_level_registration_fits_any_city() -> None:
    assert warnings("52440000MJL000032Q", "441400") == []
    assert warnings("12440000455600002G", "440300") == []


def test_unknown_guangdong_prefix_gives_generic_other_city_message() -> None:
    code = make_code("91441000" + "MA4UP0008")
    found = [w for w in warnings(code, "440100") if w.code == "other_city"]
    assert len(found) == 1
    assert "441000" in found[0].message
    assert "广州市" in found[0].message


def test_org_code_check_warning() -> None:
    # MA5F0001 has organisation check character 8; 9 is wrong but the USCC check still holds.
    code = make_code("91440300MA5F00019")
    assert validate(code) == code
    assert codes_of(warnings(code, "440300")) == ["org_code_check"]


def test_org_code_check_accepts_x_and_zero() -> None:
    # 00000006: sum 6*2 = 12, 11 - 1 = 10 -> "X"; 00000019: 1*4 + 9*2 = 22, 11 - 0 = 11 -> "0".
    assert uscc._org_code_check_ok("00000006X")
    assert uscc._org_code_check_ok("000000190")
    assert not uscc._org_code_check_ok("000000060")
    assert not uscc._org_code_check_ok("00000019X")
    # The fixture's organisation code M000100Y4 uses letter values M=22, Y=34 (not USCC indices).
    assert uscc._org_code_check_ok("M000100Y4")


def test_warnings_require_a_valid_code() -> None:
    with pytest.raises(CreditCodeError):
        warnings("91110000600037341Y", "440100")


# --- properties ------------------------------------------------------------------------------

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(body=bodies)
def test_appending_the_check_character_validates(body: str) -> None:
    code = body + check_character(body)
    assert validate(code) == code


@given(body=bodies, position=st.integers(min_value=0, max_value=17), shift=st.integers(1, 30))
def test_every_single_substitution_is_detected(body: str, position: int, shift: int) -> None:
    # Each weight is a power of 3 mod the prime 31, hence invertible, and a substitution changes a
    # value by 1..30, so the weighted sum always changes mod 31: every single change is caught.
    code = body + check_character(body)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(CreditCodeError) as info:
        validate(changed)
    assert info.value.code == "check"
