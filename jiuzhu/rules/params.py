"""Policy packs: dated, cited parameter values per region, validated strictly and resolved once.

A pack is a folder ``packs/<6-digit region code>/`` holding ``pack.yaml`` (what the pack is) and
parameter files mapping a catalogued name to its dated values. ``000000`` is the national pack.
Resolution for a region walks county → city → province → national (case-format.md, "Region")
and takes, for each name, the most specific value in force on the as-of date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from jiuzhu.rules import units
from jiuzhu.rules.errors import PackError, ParameterError

PACKS_DIR = Path(__file__).resolve().parent / "packs"
CATALOG_FILE = PACKS_DIR / "parameters.yaml"
NATIONAL = "000000"
EXAMPLE_MARK = "示例值"
DRAFT_STATUS = "征求意见稿"
PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71, 81, 82]
)

Value = Decimal | str | tuple[str, ...] | bool


@dataclass(frozen=True)
class CatalogEntry:
    """A parameter name the engine knows: its label, kind, allowed units and choices."""

    name: str
    label: str
    kind: str  # amount | number | integer | rule | set | flag
    units: tuple[str, ...]
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatedValue:
    value: Value
    unit: str
    effective: dt.date
    end: dt.date | None
    source: str
    article: str = ""
    note: str = ""

    @property
    def is_example(self) -> bool:
        return self.source.startswith(EXAMPLE_MARK)


@dataclass(frozen=True)
class Pack:
    region: str  # 6 digits; 000000 national
    name: str
    level: str
    status: str
    effective: dt.date | None
    documents: tuple[Mapping[str, str], ...]
    parameters: Mapping[str, tuple[DatedValue, ...]]
    folder: Path

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT_STATUS


@dataclass(frozen=True)
class ResolvedParameter:
    """One parameter as a rule sees it, with where its value came from."""

    name: str
    label: str
    value: Value
    unit: str
    region: str
    region_name: str
    effective: dt.date | None
    end: dt.date | None
    source: str
    overlaid: bool = False
    example: bool = False
    draft: bool = False

    def as_trace(self) -> dict[str, Any]:
        """The parameter as the trace and the API show it (case-format.md, Output)."""
        return {
            "name": self.name,
            "label": self.label,
            "value": format_value(self.value),
            "unit": self.unit,
            "region": self.region,
            "region_name": self.region_name,
            "effective": self.effective.isoformat() if self.effective else None,
            "end": self.end.isoformat() if self.end else None,
            "source": self.source,
            "overlaid": self.overlaid,
            "example": self.example,
            "draft": self.draft,
        }


def format_value(value: Value) -> str | list[str] | bool:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


# ----------------------------------------------------------------------------- loading


def _fail(path: Path, key: str, problem: str) -> PackError:
    return PackError(
        f"{path.relative_to(PACKS_DIR.parent) if path.is_relative_to(PACKS_DIR.parent) else path}"
        f"：{'“' + key + '”' if key else ''}{problem}"
    )


class _PackLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text until ``_date`` reads them, so an impossible
    date (2024-13-01) is reported with its key instead of failing inside the YAML parser."""


_PackLoader.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_PackLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        raise _fail(path, "", f"不是有效的 YAML：{error}") from None


def _date(path: Path, key: str, raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise _fail(path, key, "应为日期（YYYY-MM-DD），不能带时间")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
        try:
            dt.datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            raise _fail(path, key, f"应为日期（YYYY-MM-DD），不能带时间：“{raw}”")
    raise _fail(path, key, f"应为日期（YYYY-MM-DD），实为“{raw}”")


def load_catalog(path: Path = CATALOG_FILE) -> dict[str, CatalogEntry]:
    """The parameter names the engine knows (``packs/parameters.yaml``)."""
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise _fail(path, "", "应为“参数名: 定义”的映射")
    catalog = {}
    allowed = {"label", "kind", "units", "choices", "description"}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise _fail(path, name, "定义应为映射")
        unknown = set(spec) - allowed
        if unknown:
            raise _fail(path, f"{name}.{sorted(unknown)[0]}", "未知的键")
        for unit_symbol in spec.get("units", []):
            if unit_symbol not in units.UNITS:
                raise _fail(path, f"{name}.units", f"未知的单位“{unit_symbol}”")
        if spec.get("kind") not in {"amount", "number", "integer", "rule", "set", "flag"}:
            raise _fail(path, f"{name}.kind", f"未知的类型“{spec.get('kind')}”")
        catalog[name] = CatalogEntry(
            name=name,
            label=str(spec["label"]),
            kind=spec["kind"],
            units=tuple(spec.get("units", [])),
            choices=tuple(spec.get("choices", [])),
        )
    return catalog


def _value(path: Path, key: str, entry: CatalogEntry, raw: object) -> Value:
    if entry.kind in {"amount", "number", "integer"}:
        if isinstance(raw, (bool, float)) or not isinstance(raw, (int, str)):
            raise _fail(path, key, "数值应写成带引号的字符串或整数（YAML 浮点数会失去精度）")
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise _fail(path, key, f"不是有效的数值：“{raw}”") from None
        if not number.is_finite() or number < 0:
            raise _fail(path, key, f"数值不能为负数或非数：“{raw}”")
        if entry.kind == "integer" and number != number.to_integral_value():
            raise _fail(path, key, f"应为整数：“{raw}”")
        return number
    if entry.kind == "rule":
        if raw not in entry.choices:
            raise _fail(path, key, f"应为 {'、'.join(entry.choices)} 之一，实为“{raw}”")
        return str(raw)
    if entry.kind == "set":
        if not isinstance(raw, list) or any(item not in entry.choices for item in raw):
            raise _fail(path, key, f"应为列表，元素取自 {'、'.join(entry.choices)}")
        return tuple(sorted(set(raw)))
    if not isinstance(raw, bool):
        raise _fail(path, key, f"应为 true 或 false，实为“{raw}”")
    return raw


def _dated_values(path: Path, name: str, entry: CatalogEntry, spec: object) -> tuple[DatedValue, ...]:
    if not isinstance(spec, dict):
        raise _fail(path, name, "应为映射，含 values 列表")
    unknown = set(spec) - {"values", "note", "label"}
    if unknown:
        raise _fail(path, f"{name}.{sorted(unknown)[0]}", "未知的键")
    raw_values = spec.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        raise _fail(path, f"{name}.values", "应为非空列表")
    values = []
    for index, item in enumerate(raw_values):
        key = f"{name}.values[{index}]"
        if not isinstance(item, dict):
            raise _fail(path, key, "应为映射")
        unknown = set(item) - {"value", "unit", "effective", "end", "source", "article", "note"}
        if unknown:
            raise _fail(path, f"{key}.{sorted(unknown)[0]}", "未知的键")
        for required in ("value", "unit", "effective", "source"):
            if required not in item:
                raise _fail(path, f"{key}.{required}", "缺少必填项")
        if item["unit"] not in entry.units:
            raise _fail(path, f"{key}.unit", f"单位“{item['unit']}”不适用于该参数（可用：{'、'.join(entry.units)}）")
        effective = _date(path, f"{key}.effective", item["effective"])
        end = _date(path, f"{key}.end", item["end"]) if item.get("end") is not None else None
        if end is not None and end < effective:
            raise _fail(path, f"{key}.end", "终止日期早于生效日期")
        if not str(item["source"]).strip():
            raise _fail(path, f"{key}.source", "来源（文号或文件名）不能为空")
        values.append(
            DatedValue(
                value=_value(path, f"{key}.value", entry, item["value"]),
                unit=str(item["unit"]),
                effective=effective,
                end=end,
                source=str(item["source"]).strip(),
                article=str(item.get("article", "")),
                note=str(item.get("note", "")),
            )
        )
    values.sort(key=lambda v: v.effective)
    for earlier, later in pairwise(values):
        if earlier.effective == later.effective or (earlier.end is not None and earlier.end >= later.effective):
            raise _fail(path, name, f"有效期重叠：{earlier.effective} 起与 {later.effective} 起的两个值")
    return tuple(values)


def load_pack(folder: Path, catalog: Mapping[str, CatalogEntry]) -> Pack:
    """Read and validate one pack folder."""
    meta_path = folder / "pack.yaml"
    if not meta_path.exists():
        raise _fail(folder, "", "缺少 pack.yaml")
    meta = _read_yaml(meta_path)
    if not isinstance(meta, dict):
        raise _fail(meta_path, "", "应为映射")
    unknown = set(meta) - {"region", "name", "level", "status", "effective", "documents", "note"}
    if unknown:
        raise _fail(meta_path, sorted(unknown)[0], "未知的键")
    region = str(meta.get("region", ""))
    if region != folder.name or not region.isdigit() or len(region) != 6:
        raise _fail(meta_path, "region", f"应为6位区划代码且与文件夹名“{folder.name}”一致")
    status = str(meta.get("status", "正式"))
    if status not in {"正式", DRAFT_STATUS}:
        raise _fail(meta_path, "status", f"应为“正式”或“{DRAFT_STATUS}”")
    effective = _date(meta_path, "effective", meta["effective"]) if meta.get("effective") else None
    if status == DRAFT_STATUS and effective is None:
        raise _fail(meta_path, "effective", "征求意见稿须写明自何日起加载")
    parameters: dict[str, tuple[DatedValue, ...]] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "pack.yaml":
            continue
        raw = _read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise _fail(path, "", "应为“参数名: 定义”的映射")
        for name, spec in raw.items():
            if name not in catalog:
                raise _fail(path, str(name), "未知的参数名（参数目录 packs/parameters.yaml 中没有）")
            if name in parameters:
                raise _fail(path, str(name), "在本包中重复定义")
            parameters[name] = _dated_values(path, name, catalog[name], spec)
    documents = tuple(dict(d) for d in meta.get("documents", []) or [])
    return Pack(
        region=region,
        name=str(meta.get("name", region)),
        level=str(meta.get("level", "")),
        status=status,
        effective=effective,
        documents=documents,
        parameters=parameters,
        folder=folder,
    )


@dataclass(frozen=True, eq=False)  # hashed by identity: resolution is cached per library
class Library:
    """Every pack and the catalog, loaded once."""

    catalog: Mapping[str, CatalogEntry]
    packs: Mapping[str, Pack]
    extra: Mapping[str, Mapping[str, tuple[DatedValue, ...]]] = field(default_factory=dict)

    def chain(self, region: str) -> list[Pack]:
        """Packs that apply to a 6-digit region, most specific first, national last."""
        codes = [region, region[:4] + "00", region[:2] + "0000", NATIONAL]
        seen: list[str] = []
        for code in codes:
            if code not in seen and code in self.packs:
                seen.append(code)
        return [self.packs[code] for code in seen]

    def with_records(self, records: Mapping[str, Mapping[str, Iterable[DatedValue]]]) -> Library:
        """Layer values entered by administrators (per region and name) over the YAML values."""
        merged: dict[str, dict[str, tuple[DatedValue, ...]]] = {}
        for region, by_name in records.items():
            merged[region] = {
                name: tuple(sorted(values, key=lambda v: v.effective)) for name, values in by_name.items()
            }
        return replace(self, extra=merged)


def load_library(packs_dir: Path = PACKS_DIR, extra_dirs: Iterable[Path] = ()) -> Library:
    """Load the catalog and every pack under ``packs_dir`` (and extra pack folders, e.g. a benchmark's)."""
    catalog = load_catalog(packs_dir / "parameters.yaml" if (packs_dir / "parameters.yaml").exists() else CATALOG_FILE)
    packs: dict[str, Pack] = {}
    folders = [p for p in sorted(packs_dir.iterdir()) if p.is_dir() and (p / "pack.yaml").exists()]
    for extra in extra_dirs:
        folders += [p for p in sorted(extra.iterdir()) if p.is_dir() and (p / "pack.yaml").exists()]
    for folder in folders:
        pack = load_pack(folder, catalog)
        packs[pack.region] = pack
    if NATIONAL not in packs:
        raise PackError(f"{packs_dir}：缺少全国默认参数包 {NATIONAL}")
    return Library(catalog=catalog, packs=packs)


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The packs shipped with the package (cached for the process)."""
    return load_library()


# ----------------------------------------------------------------------------- resolution


def normalise_region(code: str) -> str:
    """A 6-digit county code from a 6- or 12-digit code; ``ValueError`` with a Chinese message otherwise."""
    if not isinstance(code, str) or not code.isdigit() or len(code) not in (6, 12):
        raise ValueError("应为6位县级区划代码（GB/T 2260）或12位统计用区划代码")
    if int(code[:2]) not in PROVINCE_CODES:
        raise ValueError(f"前两位“{code[:2]}”不是有效的省级代码")
    return code[:6]


def _in_force(values: tuple[DatedValue, ...], on: dt.date) -> DatedValue | None:
    found = None
    for value in values:
        if value.effective <= on and (value.end is None or on <= value.end):
            found = value
    return found


@dataclass(frozen=True, eq=False)  # identity: built programmes are cached per parameter set
class ParameterSet:
    """The parameters in force for one region on one date, with any overlay applied."""

    region: str
    as_of: dt.date
    values: Mapping[str, ResolvedParameter]
    catalog: Mapping[str, CatalogEntry]

    def get(self, name: str) -> ResolvedParameter | None:
        return self.values.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.values

    @property
    def fingerprint(self) -> str:
        """sha256 over every value, unit, region and date: same fingerprint, same parameters."""
        payload = [
            [
                p.name,
                format_value(p.value),
                p.unit,
                p.region,
                p.effective.isoformat() if p.effective else None,
                p.overlaid,
            ]
            for p in sorted(self.values.values(), key=lambda p: p.name)
        ]
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        return f"sha256:{digest}"

    def overlaid(self, name: str) -> bool:
        parameter = self.values.get(name)
        return parameter is not None and parameter.overlaid


def resolve(
    library: Library, region: str, as_of: dt.date, overlay: Mapping[str, tuple[Value, str]] | None = None
) -> ParameterSet:
    """Parameters for ``region`` (6 or 12 digits) on ``as_of``; ``overlay`` maps name → (value, unit)."""
    county = normalise_region(region)
    base = _resolve_cached(library, county, as_of)
    if not overlay:
        return base
    values = dict(base.values)
    for name, (value, unit_symbol) in overlay.items():
        entry = library.catalog.get(name)
        if entry is None:
            raise ParameterError(f"“parameters.{name}”：未知的参数（参数目录 packs/parameters.yaml 中没有）")
        usable = "、".join(entry.units)
        if unit_symbol not in units.UNITS:
            raise ParameterError(f"“parameters.{name}.unit”：未知的单位“{unit_symbol}”（可用：{usable}）")
        if not any(units.convertible(unit_symbol, allowed) for allowed in entry.units):
            raise ParameterError(
                f"“parameters.{name}.unit”：单位“{unit_symbol}”不能换算为本参数的单位（可用：{usable}）"
            )
        values[name] = ResolvedParameter(
            name=name,
            label=entry.label,
            value=_overlay_value(name, entry, value),
            unit=unit_symbol,
            region=county,
            region_name="本案覆盖",
            effective=None,
            end=None,
            source="案件参数覆盖（parameters）",
            overlaid=True,
        )
    return ParameterSet(region=county, as_of=as_of, values=values, catalog=library.catalog)


def _overlay_value(name: str, entry: CatalogEntry, value: Value) -> Value:
    """A case's overlay value checked against the catalog, as ``_value`` checks a pack's."""
    key = f"“parameters.{name}.value”"
    shown = "、".join(value) if isinstance(value, tuple) else json.dumps(value) if isinstance(value, bool) else value
    if entry.kind in {"amount", "number", "integer"}:
        if not isinstance(value, Decimal):
            raise ParameterError(f"{key}：应为数值（字符串或数字），实为“{shown}”")
        if entry.kind == "integer" and value != value.to_integral_value():
            raise ParameterError(f"{key}：应为整数，实为 {value}")
        return value
    if entry.kind == "rule":
        if not isinstance(value, str) or value not in entry.choices:
            raise ParameterError(f"{key}：应为 {'、'.join(entry.choices)} 之一，实为“{shown}”")
        return value
    if entry.kind == "set":
        if not isinstance(value, tuple) or any(item not in entry.choices for item in value):
            raise ParameterError(f"{key}：应为列表，元素取自 {'、'.join(entry.choices)}，实为“{shown}”")
        return tuple(sorted(set(value)))
    if not isinstance(value, bool):
        raise ParameterError(f"{key}：应为 true 或 false，实为“{shown}”")
    return value


@lru_cache(maxsize=4096)
def _resolve_cached(library: Library, county: str, as_of: dt.date) -> ParameterSet:
    values: dict[str, ResolvedParameter] = {}
    for pack in reversed(library.chain(county)):  # national first, so lower levels override
        if pack.is_draft and pack.effective is not None and as_of < pack.effective:
            continue
        layers = [pack.parameters, library.extra.get(pack.region, {})]
        for layer in layers:
            for name, dated in layer.items():
                value = _in_force(dated, as_of)
                if value is None:
                    continue
                entry = library.catalog[name]
                values[name] = ResolvedParameter(
                    name=name,
                    label=entry.label,
                    value=value.value,
                    unit=value.unit,
                    region=pack.region,
                    region_name=pack.name,
                    effective=value.effective,
                    end=value.end,
                    source=value.source + (f" {value.article}" if value.article else ""),
                    example=value.is_example,
                    draft=pack.is_draft,
                )
    return ParameterSet(region=county, as_of=as_of, values=values, catalog=library.catalog)


def pack_status_flags(library: Library, region: str, as_of: dt.date) -> list[str]:
    """Chinese notes about the packs applied (draft, example values), for traces and the UI."""
    notes = []
    for pack in library.chain(normalise_region(region)):
        if pack.is_draft and (pack.effective is None or pack.effective <= as_of):
            notes.append(f"{pack.name}参数包为{DRAFT_STATUS}，自{pack.effective}起加载，正式文件发布后须核对")
    return notes
