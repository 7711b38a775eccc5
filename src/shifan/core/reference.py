"""Reference data: regions, cities, counties, 苏区/老区, industries and registration types.

Everything comes from `data/reference.yaml` (versioned, with its sources), read once per process.
No Django models: the lists are facts about the world, replaced with the file rather than edited
record by record, and they are needed by forms, exports and checks that must not touch the database.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_PATH = Path(__file__).resolve().parent / "data" / "reference.yaml"

PRD_REGION_KEY = "prd"

CENTRAL_SOVIET = "central_soviet"
HAILUFENG = "hailufeng"
OTHER_OLD_AREA = "other_old_area"
NOT_OLD_AREA = "none"

SOVIET_AREA_CHOICES: list[tuple[str, str]] = [
    (CENTRAL_SOVIET, "原中央苏区县"),
    (HAILUFENG, "海陆丰革命老区重点县"),
    (OTHER_OLD_AREA, "其他老区"),
    (NOT_OLD_AREA, "否"),
]


@dataclass(frozen=True)
class Region:
    key: str
    name: str


@dataclass(frozen=True)
class City:
    code: str
    name: str
    short_name: str
    slug: str
    region: Region


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    manufacturing: bool


@dataclass(frozen=True)
class RegistrationType:
    code: str
    name: str
    parent_code: str | None


@dataclass(frozen=True)
class _Data:
    version: str
    regions: tuple[Region, ...]
    cities: tuple[City, ...]
    counties: tuple[County, ...]
    soviet_areas: Mapping[str, str]  # county code -> CENTRAL_SOVIET / HAILUFENG
    industries: tuple[Industry, ...]  # sections in order, section C expanded into its divisions
    registration_types: tuple[RegistrationType, ...]


def _unique(kind: str, codes: Iterable[str]) -> None:
    """Raise ValueError if a code repeats, since every lookup here is by code."""
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"reference.yaml: duplicate {kind} code {code!r}")
        seen.add(code)


def _str(value: Any) -> str:
    """Return a YAML scalar as a string, refusing non-strings so an unquoted code fails loudly."""
    if not isinstance(value, str):
        raise TypeError(f"reference.yaml: expected a quoted string, got {value!r}")
    return value


def _parse(raw: Mapping[str, Any]) -> _Data:
    """Build the typed data from the parsed YAML, checking the cross-references."""
    regions = tuple(Region(key=_str(r["key"]), name=_str(r["name"])) for r in raw["regions"])
    _unique("region", (r.key for r in regions))
    region_by_key = {r.key: r for r in regions}

    cities = tuple(
        City(
            code=_str(c["code"]),
            name=_str(c["name"]),
            short_name=_str(c["short_name"]),
            slug=_str(c["slug"]),
            region=region_by_key[_str(c["region"])],
        )
        for c in raw["cities"]
    )
    _unique("city", (c.code for c in cities))
    city_codes = {c.code for c in cities}

    counties = tuple(
        County(code=_str(c["code"]), name=_str(c["name"]), city_code=_str(c["city"])) for c in raw["counties"]
    )
    _unique("county", (c.code for c in counties))
    for c in counties:
        if c.city_code not in city_codes:
            raise ValueError(f"reference.yaml: county {c.code} names unknown city {c.city_code}")
    county_codes = {c.code for c in counties}

    soviet_areas: dict[str, str] = {}
    for key in (CENTRAL_SOVIET, HAILUFENG):
        for entry in raw["soviet_areas"][key]:
            code = _str(entry["code"])
            if code not in county_codes:
                raise ValueError(f"reference.yaml: {key} county {code} is not in counties")
            if code in soviet_areas:
                raise ValueError(f"reference.yaml: county {code} is in two soviet-area lists")
            soviet_areas[code] = key

    raw_industries = raw["industries"]
    manufacturing_section = _str(raw_industries["manufacturing_section"])
    divisions = [
        Industry(code=_str(d["code"]), name=_str(d["name"]), manufacturing=True)
        for d in raw_industries["manufacturing_divisions"]
    ]
    industries: list[Industry] = []
    for s in raw_industries["sections"]:
        code = _str(s["code"])
        if code == manufacturing_section:
            # The section itself is not a choice: a manufacturer must name its division.
            industries.extend(divisions)
        else:
            industries.append(Industry(code=code, name=_str(s["name"]), manufacturing=False))
    _unique("industry", (i.code for i in industries))

    registration_types: list[RegistrationType] = []
    for parent in raw["registration_types"]:
        parent_code = _str(parent["code"])
        registration_types.append(RegistrationType(parent_code, _str(parent["name"]), None))
        for child in parent.get("children") or ():
            registration_types.append(RegistrationType(_str(child["code"]), _str(child["name"]), parent_code))
    _unique("registration type", (t.code for t in registration_types))

    return _Data(
        version=_str(raw["version"]),
        regions=regions,
        cities=cities,
        counties=counties,
        soviet_areas=soviet_areas,
        industries=tuple(industries),
        registration_types=tuple(registration_types),
    )


@functools.cache
def _data() -> _Data:
    """Return the parsed reference data, reading the YAML file on first use only."""
    with DATA_PATH.open(encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


@functools.cache
def _city_index() -> dict[str, City]:
    return {c.code: c for c in _data().cities}


@functools.cache
def _county_index() -> dict[str, County]:
    return {c.code: c for c in _data().counties}


@functools.cache
def _industry_index() -> dict[str, Industry]:
    return {i.code: i for i in _data().industries}


def reference_version() -> str:
    """Return the version of the reference data file, e.g. "2024.1"."""
    return _data().version


def regions() -> list[Region]:
    """Return the four regions, 珠三角 first."""
    return list(_data().regions)


def cities() -> list[City]:
    """Return the 21 prefecture-level cities in the table's order (珠三角 first)."""
    return list(_data().cities)


def city(code: str) -> City:
    """Return the city with this GB/T 2260 code; raise KeyError if unknown."""
    return _city_index()[code]


def city_choices() -> list[tuple[str, str]]:
    """Return (code, full name) pairs, e.g. ("440100", "广州市"), for Django form choices."""
    return [(c.code, c.name) for c in _data().cities]


def counties(city_code: str | None = None) -> list[County]:
    """Return the county-level divisions, all of them or those of one city.

    An unknown city code gives an empty list rather than an error, so a form re-rendered with a
    tampered city value simply offers no counties.
    """
    return [c for c in _data().counties if city_code is None or c.city_code == city_code]


def county(code: str) -> County:
    """Return the county-level division with this GB/T 2260 code; raise KeyError if unknown."""
    return _county_index()[code]


def county_choices(city_code: str | None = None) -> list[tuple[str, str]]:
    """Return (code, name) pairs for Django form choices.

    Within one city the label is the county name ("荔湾区"). Across all cities it is prefixed
    with the city name ("广州市荔湾区"), because bare names such as 城区 are ambiguous there;
    东莞市 and 中山市, whose single entry is the city itself, keep their plain name.
    """
    if city_code is not None:
        return [(c.code, c.name) for c in counties(city_code)]
    result: list[tuple[str, str]] = []
    for c in _data().counties:
        city_name = city(c.city_code).name
        result.append((c.code, c.name if c.name == city_name else f"{city_name}{c.name}"))
    return result


def soviet_area_of(county_code: str) -> str:
    """Return the pre-filled 苏区/老区 choice for a county: "central_soviet", "hailufeng" or "none".

    "other_old_area" is never returned: 其他老区 is designated village by village, so only the
    applicant can declare it.
    """
    return _data().soviet_areas.get(county_code, NOT_OLD_AREA)


def industries(manufacturing_only: bool = False) -> list[Industry]:
    """Return industries in GB/T 4754-2017 order.

    The full list is the 20 sections with section C replaced by its divisions 13–43; with
    `manufacturing_only` it is just those divisions.
    """
    return [i for i in _data().industries if i.manufacturing or not manufacturing_only]


def industry(code: str) -> Industry:
    """Return the industry (section letter or manufacturing division) with this code; KeyError if unknown."""
    return _industry_index()[code]


def industry_choices(manufacturing_only: bool = False) -> list[tuple[str, str]]:
    """Return (code, "code name") pairs, e.g. ("13", "13 农副食品加工业"), for Django form choices."""
    return [(i.code, f"{i.code} {i.name}") for i in industries(manufacturing_only)]


def is_manufacturing(code: str) -> bool:
    """Return True if the code is a manufacturing division (GB/T 4754-2017 "13" to "43")."""
    found = _industry_index().get(code)
    return found is not None and found.manufacturing


def registration_types() -> list[RegistrationType]:
    """Return the registration types flattened, each parent directly before its children."""
    return list(_data().registration_types)


def registration_type_choices() -> list[tuple[str, str]]:
    """Return (code, "code name") pairs, e.g. ("173", "173 私营有限责任公司"), parents included.

    The list is flat so that every stored code, parent or child, has a label; the code prefix shows
    the hierarchy (171–174 under 170).
    """
    return [(t.code, f"{t.code} {t.name}") for t in _data().registration_types]
