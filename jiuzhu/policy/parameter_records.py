"""Parameter records entered by administrators: validated against the catalog as strictly as YAML is,
audited, and layered over the shipped packs for every computation (CLI, API, batch, pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.utils import DatabaseError

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.policy.models import ParameterRecord
from jiuzhu.rules import params
from jiuzhu.rules.errors import RulesError

_cache: dict[tuple[int, int], params.Library] = {}


def _checked(name: str, value: Any, unit: str, effective: dt.date, end: dt.date | None) -> params.DatedValue:
    library = params.default_library()
    entry = library.catalog.get(name)
    if entry is None:
        raise DomainError("unknown_parameter", f"“{name}”不是参数目录中的参数名")
    if unit not in entry.units:
        raise DomainError("bad_unit", f"“{name}”的单位应为 {'、'.join(entry.units)} 之一，实为“{unit}”")
    if end is not None and end < effective:
        raise DomainError("bad_dates", "截止日期不能早于生效日期")
    try:
        checked = params._value(Path("管理员录入"), name, entry, value)
    except RulesError as error:
        raise DomainError("bad_value", error.message) from None
    return params.DatedValue(value=checked, unit=unit, effective=effective, end=end, source="")


def parameter_record_create(
    *,
    actor: User,
    region_code: str,
    name: str,
    value: Any,
    unit: str,
    effective: dt.date,
    source: str,
    end: dt.date | None = None,
    article: str = "",
    note: str = "",
) -> ParameterRecord:
    """Record a dated parameter value for a region in the administrator's jurisdiction (audited)."""
    require(actor, Permission.PARAMETER_EDIT)
    prefix = actor.jurisdiction_prefix()
    if prefix is None or not region_code.startswith(prefix[:6]) or len(region_code) != 6:
        raise DomainError("outside_jurisdiction", f"区划 {region_code} 不在您的管辖范围内")
    if not source.strip():
        raise DomainError("no_source", "请填写文号或来源（参数的依据）")
    _checked(name, value, unit, effective, end)
    with transaction.atomic():
        record = ParameterRecord.objects.create(
            region_code=region_code,
            name=name,
            value=value,
            unit=unit,
            effective=effective,
            end=end,
            source=source.strip(),
            article=article,
            note=note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            tag=AuditTag.PARAMETER_RECORD,
            subject_type="parameter_record",
            subject_id=record.pk,
            region_code=region_code,
            after={"name": name, "value": value, "unit": unit, "effective": effective.isoformat(), "source": source},
        )
    _cache.clear()
    return record


def layered_library(base: params.Library) -> params.Library:
    """``base`` with the database's parameter records layered over it (cached until a record is added)."""
    try:
        ids = list(ParameterRecord.objects.order_by("-id").values_list("id", flat=True)[:1])
        key = (ParameterRecord.objects.count(), ids[0] if ids else 0)
    except DatabaseError:  # not migrated yet: the YAML alone
        return base
    if key == (0, 0):
        return base
    cached = _cache.get(key)
    if cached is not None:
        return cached
    records: dict[str, dict[str, list[params.DatedValue]]] = {}
    for record in ParameterRecord.objects.order_by("effective", "id"):
        checked = _checked(record.name, record.value, record.unit, record.effective, record.end)
        records.setdefault(record.region_code, {}).setdefault(record.name, []).append(
            replace(checked, source=record.source, article=record.article, note=record.note)
        )
    packs = dict(base.packs)
    for code in records:
        if code not in packs:  # a region with records but no YAML pack of its own
            packs[code] = params.Pack(
                region=code,
                name=f"{code}（管理员录入）",
                level="county" if not code.endswith("00") else "city",
                status="正式",
                effective=None,
                documents=(),
                parameters={},
                folder=Path(),
            )
    library = replace(base, packs=packs).with_records(records)
    _cache.clear()
    _cache[key] = library
    return library
