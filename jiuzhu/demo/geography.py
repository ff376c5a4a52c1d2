"""The demo county's real townships and villages, and synthetic villages where the fixture has none.

The region fixture has villages only under 榆次区, 印台区, 长丰县 and 泾县. Elsewhere a township
that receives demo households gets made-up villages: ``is_synthetic=True``, names built from
common place-name parts, and village codes 901–999. NBS village codes run 001–199 (居委会) and
200–399 (村委会), so a synthetic code cannot collide with a real one. The set made for a
township depends only on its code, so every run (any seed) reuses the same villages.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from jiuzhu.core.errors import DomainError
from jiuzhu.demo.names import draw_surnames, place_name_parts
from jiuzhu.regions.models import Region, RegionLevel

SYNTHETIC_VILLAGE_FIRST = 901
SYNTHETIC_SOURCE = "jiuzhu演示数据生成（虚构，非真实区划）"
COMMUNITY_SUFFIX = "社区居民委员会"
VILLAGE_SUFFIX = "村委会"
# Official names end in the committee's title; addresses use the short form.
SHORT_NAME_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
)


class DemoErrorCode(StrEnum):
    REGION_FORMAT = "demo_region_format"
    REGION_UNKNOWN = "demo_region_unknown"
    REGION_NOT_COUNTY = "demo_region_not_county"
    COUNTY_WITHOUT_TOWNSHIPS = "demo_county_without_townships"
    HOUSEHOLDS_OUT_OF_RANGE = "demo_households_out_of_range"
    ACCOUNTS_REFUSED = "demo_accounts_refused"


class TownshipKind(StrEnum):
    STREET = "street"  # 街道 (codes 001–099)
    TOWN = "town"  # 镇 (100–199)
    RURAL = "rural"  # 乡 (200–399)
    OTHER = "other"  # 类似乡级单位: development zones, farms (400–)


@dataclass(frozen=True)
class Village:
    code: str
    short_name: str  # 桥西社区, 下庄村
    is_community: bool  # 居委会/社区 rather than 村委会


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    kind: TownshipKind


def county_resolve(region_code: str) -> Region:
    """The county a 6- or 12-digit code names, or a Chinese refusal."""
    raw = (region_code or "").strip()
    if not re.fullmatch(r"\d{6}|\d{12}", raw):
        raise DomainError(
            DemoErrorCode.REGION_FORMAT, f"区划代码“{raw}”格式不对：应为6位或12位数字，如140702（榆次区）。"
        )
    code = raw.ljust(12, "0")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError(
            DemoErrorCode.REGION_UNKNOWN,
            f"区划表中没有代码“{raw}”。请填写本系统区划表中的县级代码，如140702（榆次区）。",
        )
    if region.level != RegionLevel.COUNTY:
        raise DomainError(
            DemoErrorCode.REGION_NOT_COUNTY,
            f"“{region.name}”（{raw}）是{RegionLevel(region.level).label}级区划，"
            "不是县级；请填写县、区或县级市的代码，如140702（榆次区）。",
        )
    return region


def township_kind(code: str) -> TownshipKind:
    part = int(code[6:9])
    if part < 100:
        return TownshipKind.STREET
    if part < 200:
        return TownshipKind.TOWN
    if part < 400:
        return TownshipKind.RURAL
    return TownshipKind.OTHER


def county_townships(county: Region) -> list[Township]:
    """The county's townships ordered by code; the first one is where the demo township users work."""
    rows = Region.objects.filter(parent=county, level=RegionLevel.TOWNSHIP).order_by("code")
    townships = [Township(code=r.code, name=r.name, kind=township_kind(r.code)) for r in rows]
    if not townships:
        raise DomainError(
            DemoErrorCode.COUNTY_WITHOUT_TOWNSHIPS, f"区划表中“{county.name}”下没有乡镇(街道)，无法生成演示数据。"
        )
    return townships


def short_name(name: str) -> str:
    """桥西社区居民委员会 → 桥西社区, 下庄村委会 → 下庄村, 寇村村委会 → 寇村 (the village is called 寇村)."""
    for suffix, short in SHORT_NAME_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(short) else stem + short
    return name


def township_villages(township: Township) -> list[Village]:
    """The township's villages: real ones if the fixture has any, else synthetic ones (created once)."""
    rows = list(Region.objects.filter(parent_id=township.code, level=RegionLevel.VILLAGE).order_by("code"))
    real = [r for r in rows if not r.is_synthetic]
    chosen = real or rows
    if not chosen:
        chosen = synthetic_villages_create(township)
    return [
        Village(
            code=r.code,
            short_name=short_name(r.name),
            is_community=(r.name.endswith(COMMUNITY_SUFFIX) if r.is_synthetic else int(r.code[9:]) < 200),
        )
        for r in chosen
    ]


def synthetic_villages_create(township: Township) -> list[Region]:
    """Made-up 村委会/社区 for a township the fixture has no villages for (codes 901–999)."""
    rng = np.random.default_rng(zlib.crc32(township.code.encode()))
    communities, villages = {
        TownshipKind.STREET: (int(rng.integers(6, 13)), int(rng.integers(0, 3))),
        TownshipKind.TOWN: (int(rng.integers(2, 4)), int(rng.integers(12, 26))),
        TownshipKind.RURAL: (0, int(rng.integers(10, 21))),
        TownshipKind.OTHER: (int(rng.integers(3, 7)), 0),
    }[township.kind]
    parts = place_name_parts()
    names: list[str] = []
    community_stems = list(rng.permutation(parts["community"]))
    names += [f"{stem}{COMMUNITY_SUFFIX}" for stem in community_stems[:communities]]
    seen = set(community_stems[:communities])
    while len(names) < communities + villages:
        stem = _village_stem(rng, parts)
        if stem not in seen:
            seen.add(stem)
            names.append(f"{stem}{VILLAGE_SUFFIX}")
    township_region = Region.objects.get(code=township.code)
    created = [
        Region(
            code=f"{township.code[:9]}{SYNTHETIC_VILLAGE_FIRST + index:03d}",
            name=name,
            level=RegionLevel.VILLAGE,
            parent=township_region,
            is_synthetic=True,
            source=SYNTHETIC_SOURCE,
        )
        for index, name in enumerate(names)
    ]
    Region.objects.bulk_create(created)
    return created


def _village_stem(rng: np.random.Generator, parts: dict[str, list[str]]) -> str:
    """王家庄, 东营, 石桥: three common shapes of northern village names."""
    pattern = rng.random()
    suffix = str(rng.choice(parts["rural_suffix"]))
    if pattern < 0.45:
        return f"{draw_surnames(rng, 1)[0]}家{suffix}"
    if pattern < 0.75:
        return f"{rng.choice(parts['rural_prefix'])}{suffix}"
    return str(rng.choice(parts["rural_descriptive"]))
