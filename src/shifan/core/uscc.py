"""统一社会信用代码 (unified social credit code, GB 32100-2015): normalisation, checks and hints.

The 18th-character check is the only hard rule. The registering area (positions 3–8) and the
embedded GB 11714 organisation code (positions 9–17) give warnings for a reviewer, never
rejections: codes are never re-issued, so old area codes stay valid, and nationally or provincially
registered bodies carry area codes that say nothing about where they operate.

The check is implemented here rather than delegated to python-stdnum, because some stdnum versions
reject valid codes whose first characters are letters (registration authorities Y, A, N).
"""

from __future__ import annotations

from dataclasses import dataclass

from shifan.core import reference

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
FORBIDDEN_LETTERS = "IOSVZ"

# Weight of position i is 3**i mod 31 (GB 32100-2015 table 3).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}

# GB 11714 organisation code: 8 body characters valued 0–9, A=10 … Z=35, then a check character.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

NATIONAL_AREA = "100000"
GUANGDONG_PREFIX = "44"
GUANGDONG_PROVINCE_AREA = "440000"

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01–U+FF5E mirror ASCII U+0021–U+007E


class CreditCodeError(ValueError):
    """A credit code that fails a hard rule; `message` is shown to the user, `code` names the rule."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # "length", "characters" or "check"


@dataclass(frozen=True)
class CreditCodeWarning:
    code: str  # "outside_guangdong", "other_city" or "org_code_check"
    message: str


def normalise(code: str) -> str:
    """Return the code without any whitespace, full-width characters made half-width, uppercased.

    Users paste codes from PDFs and Chinese input methods, which bring full-width letters and
    digits, ideographic spaces (U+3000) and grouping spaces.
    """
    chars: list[str] = []
    for ch in code:
        if ch.isspace():  # covers U+3000 and no-break spaces as well as ASCII whitespace
            continue
        if "\uff01" <= ch <= "\uff5e":
            ch = chr(ord(ch) - _FULLWIDTH_OFFSET)
        chars.append(ch)
    return "".join(chars).upper()


def _check_characters(code: str) -> None:
    """Raise CreditCodeError(code="characters") naming the first character outside the alphabet."""
    for position, ch in enumerate(code, start=1):
        if ch in _VALUES:
            continue
        if ch in FORBIDDEN_LETTERS:
            message = f"统一社会信用代码不能包含字母 I、O、S、V、Z，第{position}位“{ch}”不合法。"
        else:
            message = f"统一社会信用代码只能由数字和大写字母组成，第{position}位“{ch}”不合法。"
        raise CreditCodeError(message, "characters")


def check_character(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters of a code.

    Raise CreditCodeError if the input, once normalised, is not 17 characters from the alphabet.
    """
    body = normalise(first17)
    if len(body) != LENGTH - 1:
        raise CreditCodeError(f"计算校验位需要统一社会信用代码的前17位，当前为{len(body)}位。", "length")
    _check_characters(body)
    total = sum(_VALUES[ch] * weight for ch, weight in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code, or raise CreditCodeError with a Chinese message for the user."""
    normalised = normalise(code)
    if not normalised:
        raise CreditCodeError("请填写统一社会信用代码（18位）。", "length")
    if len(normalised) != LENGTH:
        raise CreditCodeError(f"统一社会信用代码应为18位，当前为{len(normalised)}位。", "length")
    _check_characters(normalised)
    expected = check_character(normalised[:-1])
    if normalised[-1] != expected:
        raise CreditCodeError(
            f"校验位错误：第18位应为“{expected}”，填写的是“{normalised[-1]}”。请核对代码。", "check"
        )
    return normalised


def area_code(code: str) -> str:
    """Return positions 3–8 (the registering authority's GB/T 2260 area); CreditCodeError if invalid."""
    return validate(code)[2:8]


def org_code_check_character(body: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation-code body."""
    # int(ch, 36) gives 0–9 for digits and A=10 … Z=35, the GB 11714 character values.
    total = sum(int(ch, 36) * weight for ch, weight in zip(body, ORG_CODE_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return "X" if remainder == 10 else "0" if remainder == 11 else str(remainder)


def _org_code_check_ok(org_code: str) -> bool:
    """Return True if a 9-character GB 11714 organisation code carries the right check character."""
    return org_code[8] == org_code_check_character(org_code[:8])


def compose(*, authority: str, area: str, body: str) -> str:
    """Return a valid code from its parts: authority and kind (2), area (6), organisation-code body (8).

    Used to make demo and test organisations whose codes pass every check.
    """
    first17 = authority + area + body + org_code_check_character(body)
    return first17 + check_character(first17)


def _city_name(city_code: str) -> str:
    """Return the city's full name, or the code itself if the reference data does not know it."""
    try:
        return reference.city(city_code).name
    except KeyError:
        return city_code


def _city_for_prefix(prefix: str) -> reference.City | None:
    """Return the city whose code starts with this 4-digit prefix, if any."""
    return next((c for c in reference.cities() if c.code[:4] == prefix), None)


def warnings(code: str, city_code: str | None) -> list[CreditCodeWarning]:
    """Return the reviewer warnings for a code declared in `city_code` (None: no city declared).

    The code must be valid (CreditCodeError otherwise). Old area codes such as 441421 (former
    梅县) map to their city by the first four digits, because codes are never re-issued.
    """
    normalised = validate(code)
    area = normalised[2:8]
    result: list[CreditCodeWarning] = []

    if area == NATIONAL_AREA:
        result.append(
            CreditCodeWarning(
                "outside_guangdong",
                f"代码由国家级登记机关赋码（{NATIONAL_AREA}），请核实是否在广东省注册。",
            )
        )
    elif not area.startswith(GUANGDONG_PREFIX):
        result.append(
            CreditCodeWarning(
                "outside_guangdong", f"代码第3–8位登记机关代码为{area}（非广东省），请核实注册地。"
            )
        )
    elif city_code and area != GUANGDONG_PROVINCE_AREA and area[:4] != city_code[:4]:
        # Province-level registrations (440000) can belong to any city, so they are not compared.
        selected = _city_name(city_code)
        registered = _city_for_prefix(area[:4])
        if registered is not None:
            message = f"代码登记机关在{registered.name}（{area[:4]}），与所选城市{selected}不一致，请核实。"
        else:
            message = f"代码第3–8位登记机关代码为{area}，不属于所选城市{selected}，请核实注册地。"
        result.append(CreditCodeWarning("other_city", message))

    if not _org_code_check_ok(normalised[8:17]):
        result.append(
            CreditCodeWarning(
                "org_code_check",
                "代码第9–17位（原组织机构代码）校验不符，可能是录入错误，请核对；如代码与营业执照一致可忽略。",
            )
        )
    return result
