"""Tests for shifan.core.reference (data/reference.yaml). No database needed."""

from __future__ import annotations

import dataclasses
import re

import pytest

from shifan.core import reference
from shifan.core.reference import (
    PRD_REGION_KEY,
    SOVIET_AREA_CHOICES,
    City,
    county,
    county_choices,
    soviet_area_of,
)

NO_DISTRICT_CITIES = {"441900", "442000"}  # 东莞, 中山

CENTRAL_SOVIET = [
    "441402", "441403", "441422", "441423", "441424", "441426", "441427", "441481",
    "440282", "445122", "441622",
]  # fmt: skip
HAILUFENG = [
    "441521", "441581", "441523", "441502", "441621", "445224", "445222", "445281",
    "440513", "440514", "441323",
]  # fmt: skip


def test_version_is_a_string() -> None:
    assert re.fullmatch(r"\d{4}\.\d+", reference.reference_version())


def test_regions() -> None:
    assert [(r.key, r.name) for r in reference.regions()] == [
        ("prd", "珠三角"),
        ("east", "粤东"),
        ("west", "粤西"),
        ("north", "粤北"),
    ]
    assert PRD_REGION_KEY == "prd"


def test_twenty_one_cities_nine_in_prd_first() -> None:
    cities = reference.cities()
    assert len(cities) == 21
    assert len({c.code for c in cities}) == 21
    prd = [c for c in cities if c.region.key == PRD_REGION_KEY]
    assert len(prd) == 9
    assert cities[:9] == prd
    assert [c.short_name for c in prd] == [
        "广州",
        "深圳",
        "珠海",
        "佛山",
        "江门",
        "肇庆",
        "惠州",
        "东莞",
        "中山",
    ]


def test_city_regions_match_the_spec() -> None:
    by_region: dict[str, list[str]] = {}
    for c in reference.cities():
        by_region.setdefault(c.region.name, []).append(c.code)
    assert by_region["粤东"] == ["440500", "441500", "445100", "445200"]
    assert by_region["粤西"] == ["440800", "440900", "441700"]
    assert by_region["粤北"] == ["440200", "441400", "441600", "441800", "445300"]


def test_city_fields() -> None:
    gz = reference.city("440100")
    assert gz == City("440100", "广州市", "广州", "guangzhou", reference.regions()[0])
    for c in reference.cities():
        assert re.fullmatch(r"44\d{2}00", c.code)
        assert re.fullmatch(r"[a-z]+", c.slug)
        assert c.name == c.short_name + "市"
    assert len({c.slug for c in reference.cities()}) == 21


def test_city_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError):
        reference.city("449900")


def test_city_choices() -> None:
    choices = reference.city_choices()
    assert choices[0] == ("440100", "广州市")
    assert len(choices) == 21


def test_every_city_has_a_county() -> None:
    for c in reference.cities():
        assert reference.counties(c.code), c.name


def test_county_codes_belong_to_their_city() -> None:
    for c in reference.counties():
        assert re.fullmatch(r"44\d{4}", c.code)
        if c.city_code in NO_DISTRICT_CITIES:
            assert c.code == c.city_code
            assert c.name == reference.city(c.city_code).name
        else:
            assert c.code[:4] == c.city_code[:4]
            assert c.code != c.city_code


def test_county_totals() -> None:
    # 122 county-level divisions (65 districts, 20 county-level cities, 34 counties, 3 autonomous
    # counties) plus the single entries for 东莞 and 中山.
    all_counties = reference.counties()
    assert len(all_counties) == 124
    assert len({c.code for c in all_counties}) == 124
    assert sum(c.name.endswith("区") for c in all_counties) == 65
    assert sum(c.name.endswith("自治县") for c in all_counties) == 3
    assert sum(c.name.endswith("县") and not c.name.endswith("自治县") for c in all_counties) == 34


def test_known_counties() -> None:
    assert county("440118").name == "增城区"
    assert county("440309").name == "龙华区"
    assert county("440311").name == "光明区"
    assert county("441403").name == "梅县区"
    assert county("440507").name == "龙湖区"
    with pytest.raises(KeyError):
        county("441421")  # former 梅县: not a current division


def test_county_choices() -> None:
    assert county_choices("440100")[0] == ("440103", "荔湾区")
    assert county_choices("441900") == [("441900", "东莞市")]
    everything = dict(county_choices())
    assert everything["441502"] == "汕尾市城区"
    assert everything["442000"] == "中山市"
    assert reference.counties("999999") == []


@pytest.mark.parametrize("code", CENTRAL_SOVIET)
def test_central_soviet(code: str) -> None:
    county(code)  # exists
    assert soviet_area_of(code) == "central_soviet"


@pytest.mark.parametrize("code", HAILUFENG)
def test_hailufeng(code: str) -> None:
    county(code)  # exists
    assert soviet_area_of(code) == "hailufeng"


def test_soviet_area_other_and_choices() -> None:
    assert len(set(CENTRAL_SOVIET) | set(HAILUFENG)) == 22
    assert soviet_area_of("440103") == "none"
    assert soviet_area_of("unknown") == "none"
    assert SOVIET_AREA_CHOICES == [
        ("central_soviet", "原中央苏区县"),
        ("hailufeng", "海陆丰革命老区重点县"),
        ("other_old_area", "其他老区"),
        ("none", "否"),
    ]
    keys = {k for k, _ in SOVIET_AREA_CHOICES}
    assert {soviet_area_of(c.code) for c in reference.counties()} <= keys


def test_manufacturing_divisions() -> None:
    divisions = reference.industries(manufacturing_only=True)
    assert [i.code for i in divisions] == [str(n) for n in range(13, 44)]
    assert len(divisions) == 31
    assert all(i.manufacturing for i in divisions)
    assert reference.industry("13").name == "农副食品加工业"
    assert reference.industry("39").name == "计算机、通信和其他电子设备制造业"
    assert reference.industry("43").name == "金属制品、机械和设备修理业"


def test_all_industries() -> None:
    everything = reference.industries()
    letters = [i.code for i in everything if not i.manufacturing]
    # The 20 sections except C, which appears as its divisions.
    assert letters == list("ABDEFGHIJKLMNOPQRST")
    assert len(everything) == 19 + 31
    assert reference.industry("I").name == "信息传输、软件和信息技术服务业"
    assert reference.industry("I").manufacturing is False


def test_is_manufacturing() -> None:
    assert all(reference.is_manufacturing(str(n)) for n in range(13, 44))
    for code in ["12", "44", "06", "A", "C", "I", "", "130"]:
        assert not reference.is_manufacturing(code)


def test_industry_choices() -> None:
    assert reference.industry_choices(manufacturing_only=True)[0] == ("13", "13 农副食品加工业")
    assert len(reference.industry_choices()) == 50


def test_registration_types_tree() -> None:
    types = reference.registration_types()
    codes = [t.code for t in types]
    assert len(codes) == len(set(codes)) == 30
    position = {t.code: i for i, t in enumerate(types)}
    for t in types:
        if t.parent_code is not None:
            assert position[t.parent_code] < position[t.code]
            assert t.code.startswith(t.parent_code.rstrip("0"))
    children = {t.code: t.parent_code for t in types if t.parent_code}
    assert set(children) == {
        "141", "142", "143", "149", "151", "159", "171", "172", "173", "174",
        "210", "220", "230", "240", "290", "310", "320", "330", "340", "390",
    }  # fmt: skip
    assert {t.code for t in types if t.parent_code is None} == {
        "110", "120", "130", "140", "150", "160", "170", "190", "200", "300",
    }  # fmt: skip


def test_registration_type_choices() -> None:
    choices = dict(reference.registration_type_choices())
    assert choices["173"] == "173 私营有限责任公司"
    assert choices["210"] == "210 合资经营企业（港或澳、台资）"
    assert choices["390"] == "390 其他外商投资企业"


def test_values_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        reference.city("440100").name = "x"  # type: ignore[misc]


def test_returned_lists_are_copies() -> None:
    reference.cities().clear()
    assert len(reference.cities()) == 21
