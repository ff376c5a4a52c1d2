"""Import households and members from an xlsx, csv or parquet file: all or nothing, idempotent.

``households_import`` reads and checks the whole file first (outside any transaction), then,
in one transaction holding the registry lock, compares it with the database and writes the
differences with set-based statements. Any problem anywhere: nothing is written.

What a row means:
- 户编号 and 身份证号 are the keys: a known household or person is updated, an unknown one created.
- A member missing from a re-import of their household stays as is; removals are done in the UI.
- An empty cell in a column the file has means "empty / unknown" (never zero); a column the file
  does not have leaves that field alone. 特殊情形 and 共同生活家庭成员 default to 无 and 是.
- A category that differs from the current one ends the old enrollment the day before the new
  start; an empty category changes nothing (exits are decided in the UI, with a reason).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.exchange import db
from jiuzhu.exchange.columns import INCOME_KEYS, income_type_of
from jiuzhu.exchange.parsing import MONEY_TYPE, Rows, check_rows
from jiuzhu.exchange.planning import Plan, Planner
from jiuzhu.exchange.problems import ImportRejected, Problems
from jiuzhu.exchange.reading import read_table
from jiuzhu.registry import bulk, tally
from jiuzhu.registry.choices import HouseholdStatus, Period, PersonStatus, SpecialStatus
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

Progress = Callable[[str], None]
TEXT = pa.string()
ANALYZE_AFTER_ROWS = 5000
REGISTRY_MODELS = (Household, Person, Membership, CategoryEnrollment, Income)


@dataclass(frozen=True)
class ImportResult:
    file: str
    rows: int
    households_created: int
    households_updated: int
    households_unchanged: int
    persons_created: int
    persons_updated: int
    persons_unchanged: int
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.households_created or self.households_updated or self.persons_created or self.persons_updated)

    def summary(self) -> str:
        head = "校验通过（仅校验，未写入）" if self.dry_run else "导入完成"
        return (
            f"{head}：共 {self.rows} 行。家庭：新增 {self.households_created} 户，"
            f"更新 {self.households_updated} 户，未变 {self.households_unchanged} 户；"
            f"人员：新增 {self.persons_created} 人，"
            f"更新 {self.persons_updated} 人，未变 {self.persons_unchanged} 人。"
        )


def households_import(
    *,
    actor: User,
    path: Path,
    name: str = "",
    channel: str = "web",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import ``path`` (shown as ``name``) for ``actor``; raises ``ImportRejected`` listing every problem."""
    require(actor, Permission.REGISTRY_IMPORT)
    if actor.jurisdiction_prefix() is None:
        raise DomainError("no_jurisdiction", "您的账户没有管辖区域，不能导入。")
    name = name or path.name
    say = progress or (lambda _message: None)
    say(f"读取文件 {name} …")
    # The audit record names the file by its digest: computed meanwhile on another thread (hashlib releases the
    # GIL), not after the write (half a second for a million-row CSV).
    digest = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    file_digest = digest.submit(_sha256, path)
    digest.shutdown(wait=False)
    problems = Problems(file=name)
    raw = read_table(path, name=name, problems=problems)
    if not raw.size:
        raise DomainError("import_empty", f"“{name}”中没有数据行。")
    say(f"已读取 {raw.size} 行，正在校验 …")
    today = timezone.localdate()
    rows = check_rows(raw, problems=problems, today=today)
    with transaction.atomic():
        bulk.lock_registry_tables()
        db.analyze_if_never(REGISTRY_MODELS)
        say("正在与数据库比对 …")
        plan = Planner(actor=actor, rows=rows, problems=problems, today=today, note=f"批量导入 {name}").plan()
        if problems:
            raise ImportRejected(problems)
        households_total = rows.households.size
        persons_total = int(np.count_nonzero(plan.person_id_of_row))
        result = ImportResult(
            file=name,
            rows=raw.size,
            dry_run=dry_run,
            households_created=plan.households_created,
            households_updated=plan.households_updated,
            households_unchanged=households_total - plan.households_created - plan.households_updated,
            persons_created=plan.persons_created,
            persons_updated=plan.persons_updated,
            persons_unchanged=persons_total - plan.persons_created - plan.persons_updated,
        )
        if dry_run:
            transaction.set_rollback(True)
            return result
        say("校验通过，正在写入数据库 …")
        _write(plan, rows, note=f"批量导入 {name}"[:200], say=say)
        audit_record(
            actor=actor,
            tag=AuditTag.REGISTRY_IMPORT,
            subject_type="file",
            subject_id=file_digest.result(),
            region_code=actor.region_id or "",
            channel=channel,
            after={"file": name, "rows": raw.size, **_counts(result), "changes": plan.changes},
        )
    say("写入完成。")
    return result


def _counts(result: ImportResult) -> dict[str, int]:
    return {
        k: getattr(result, k)
        for k in (
            "households_created",
            "households_updated",
            "households_unchanged",
            "persons_created",
            "persons_updated",
            "persons_unchanged",
        )
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- writing ---------------------------------------------------------------------------------------


def _constant(value: Any, size: int, kind: pa.DataType | None = None) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind), size) if value is not None else pa.nulls(size, kind or pa.string())


def _take(rows: Rows, key: str, selector: pa.Array, *, default: Any = None, kind: pa.DataType = TEXT) -> pa.Array:
    """Values of ``key`` at ``selector``; ``default`` where the column is absent or the cell empty."""
    if key not in rows.values:
        return _constant(default, len(selector), kind)
    taken = rows.values[key].take(selector)
    return pc.fill_null(taken, pa.scalar(default, taken.type)) if default is not None else taken


def _timestamp(now: dt.datetime) -> str:
    """``now`` as the text the database stores: formatting a million timestamps costs seconds, one string none."""
    if connection.vendor == "postgresql":
        return now.isoformat(sep=" ")
    return str(connection.ops.adapt_datetimefield_value(now))


TALLY_ALL_FROM = 20_000  # households in a file from which the whole village tally is re-derived


def _villages_touched(plan: Plan, rows: Rows) -> list[str] | None:
    """Villages whose tally the import can change (those named in the file and those its known households are in
    now, before a move); ``None`` (all) for a large file."""
    households = rows.households
    if households.size >= TALLY_ALL_FROM:
        return None
    codes = set()
    if "region_code" in households.values:
        codes = {code for code in households.values["region_code"].to_pylist() if code}
    known = np.ones(households.size, dtype=bool)
    known[plan.new_households] = False
    existing = plan.household_ids[known].tolist()
    codes.update(Household.objects.filter(id__in=existing).values_list("region_id", flat=True).distinct())
    return sorted(codes)


def _write(plan: Plan, rows: Rows, *, note: str, say: Progress) -> None:
    now = bulk.now()
    stamp = _timestamp(now)
    villages = _villages_touched(plan, rows)
    rebuild = db.should_rebuild_indexes(Person, plan.persons_created)
    with bulk.indexes_rebuilt_after([m._meta.db_table for m in REGISTRY_MODELS], rebuild=rebuild) as load:
        _insert_households(plan, rows, stamp, load)
        say(f"已写入家庭 {plan.households_created} 户，正在写入人员 …")
        _insert_persons(plan, rows, stamp, load)
        _insert_memberships(plan, rows, load)
        say(f"已写入人员 {plan.persons_created} 人，正在写入类别和收入 …")
        _insert_enrollments(plan, rows, stamp, note, load)
        _insert_incomes(plan, rows, load)
        if rebuild:
            say("正在重建索引和外键 …")
    db.update_rows(Household, plan.household_update_columns, plan.household_updates)
    db.update_rows(Household, ["region_id", "updated_at"], [(code, now, pk) for code, pk in plan.moved_households])
    for code, household_id in plan.moved_households:
        Person.objects.filter(memberships__household_id=household_id, memberships__valid_to__isnull=True).update(
            region_id=code, updated_at=now
        )
    if plan.membership_rows:  # persons already registered joining a household: their region is its village
        joined = plan.person_id_of_row[np.asarray(plan.membership_rows, dtype=np.int64)].tolist()
        village = Membership.objects.current().filter(person_id=OuterRef("pk")).values("household__region_id")[:1]
        for start in range(0, len(joined), 10_000):
            Person.objects.filter(id__in=joined[start : start + 10_000]).update(
                region_id=Subquery(village), updated_at=now
            )
    db.update_rows(Person, plan.person_update_columns, plan.person_updates)
    db.update_rows(Membership, ["relation", "in_household"], plan.membership_updates)
    db.update_rows(CategoryEnrollment, ["valid_to", "end_reason"], plan.enrollment_ends)
    db.update_rows(CategoryEnrollment, ["valid_from", "amount_month"], plan.enrollment_fixes)
    db.update_rows(Income, ["valid_to"], plan.income_ends)
    db.update_rows(Income, ["amount", "period"], plan.income_fixes)
    bulk.reset_sequences()
    if not rebuild and plan.persons_created + plan.persons_updated + plan.households_created >= ANALYZE_AFTER_ROWS:
        db.analyze(REGISTRY_MODELS)  # a rebuild has analysed the tables already
    tally.rebuild(villages=villages)


def _insert_households(plan: Plan, rows: Rows, stamp: str, load: bulk.BulkLoad) -> None:
    households = rows.households
    count = len(plan.new_households)
    if not count:
        return
    selector = pa.array(plan.new_households, type=pa.int64())

    def value(key: str, default: Any = None, kind: pa.DataType = TEXT) -> pa.Array:
        if key not in households.values:
            return _constant(default, count, kind)
        taken = households.values[key].take(selector)
        return pc.fill_null(taken, pa.scalar(default, taken.type)) if default is not None else taken

    db.insert_table(
        Household,
        pa.table(
            {
                "id": plan.household_ids[plan.new_households],
                "household_number": pa.array(households.numbers, type=pa.string()).take(selector),
                "region_id": value("region_code"),
                "address": value("address", ""),
                "urban_rural": value("urban_rural"),
                "phone": value("phone", ""),
                "financial_assets": value("financial_assets", kind=MONEY_TYPE),
                "house_count": value("house_count", kind=pa.int32()),
                "vehicle_count": value("vehicle_count", kind=pa.int32()),
            }
        ),
        constants={"status": HouseholdStatus.ACTIVE.value, "created_at": stamp, "updated_at": stamp},
        load=load,
    )


def _insert_persons(plan: Plan, rows: Rows, stamp: str, load: bulk.BulkLoad) -> None:
    count = len(plan.new_person_rows)
    if not count:
        return
    selector = pa.array(plan.new_person_rows, type=pa.int64())
    household_index = pa.array(rows.households.code[plan.new_person_rows], type=pa.int64())
    grade = _take(rows, "disability_grade", selector)
    db.insert_table(
        Person,
        pa.table(
            {
                "id": plan.new_person_ids,
                "id_number": _take(rows, "id_number", selector),
                "name": _take(rows, "name", selector),
                "sex": rows.sex.take(selector),
                "birth_date": rows.birth_date.take(selector),
                "region_id": rows.households.values["region_code"].take(household_index),
                "hukou_type": _take(rows, "hukou_type", selector),
                "disability_type": _take(rows, "disability_type", selector),
                "disability_grade": pc.cast(grade, pa.int16()),
                "self_care": _take(rows, "self_care", selector),
                "labour_capacity": _take(rows, "labour_capacity", selector),
                "health": _take(rows, "health", selector),
                "student": _take(rows, "student", selector),
                "care_setting": _take(rows, "care_setting", selector),
                "special_status": _take(rows, "special_status", selector, default=SpecialStatus.NONE.value),
            }
        ),
        constants={
            "hukou_region_code": "",
            "phone": "",
            "status": PersonStatus.ACTIVE.value,
            "deceased_on": None,
            "created_at": stamp,
            "updated_at": stamp,
        },
        load=load,
    )


def _insert_memberships(plan: Plan, rows: Rows, load: bulk.BulkLoad) -> None:
    member_rows = np.concatenate([plan.new_person_rows, np.asarray(plan.membership_rows, dtype=np.int64)])
    count = len(member_rows)
    if not count:
        return
    selector = pa.array(member_rows, type=pa.int64())
    in_household = pc.equal(_take(rows, "in_household", selector, default="true"), "true")
    db.insert_table(
        Membership,
        pa.table(
            {
                "id": np.fromiter(bulk.allocate_ids(Membership, count), dtype=np.int64, count=count),
                "person_id": plan.person_id_of_row[member_rows],
                "household_id": plan.household_ids[rows.households.code[member_rows]],
                "relation": _take(rows, "relation", selector),
                "in_household": in_household,
            }
        ),
        constants={"valid_from": plan.today, "valid_to": None},
        load=load,
    )


def _insert_enrollments(plan: Plan, rows: Rows, stamp: str, note: str, load: bulk.BulkLoad) -> None:
    parts: list[pa.Table] = []
    if plan.enrollment_new:
        household_ids, person_ids, categories, starts, amounts = zip(*plan.enrollment_new, strict=True)
        parts.append(
            pa.table(
                {
                    "household_id": pa.array(household_ids, pa.int64()),
                    "person_id": pa.array(person_ids, pa.int64()),
                    "category": pa.array(categories, pa.string()),
                    "valid_from": pa.array(starts, pa.date32()),
                    "amount_month": pa.array(amounts, MONEY_TYPE),
                }
            )
        )
    households = rows.households
    if "category" in households.values and len(plan.new_households):
        chosen = plan.new_households[
            np.asarray(
                households.values["category"].take(pa.array(plan.new_households, type=pa.int64())).is_valid(),
                dtype=bool,
            )
        ]
        if len(chosen):
            selector = pa.array(chosen, type=pa.int64())
            amount = households.values.get("category_amount")
            parts.append(
                pa.table(
                    {
                        "household_id": pa.array(plan.household_ids[chosen], pa.int64()),
                        "person_id": pa.nulls(len(chosen), pa.int64()),
                        "category": households.values["category"].take(selector),
                        "valid_from": households.values["category_from"].take(selector),
                        "amount_month": amount.take(selector)
                        if amount is not None
                        else pa.nulls(len(chosen), MONEY_TYPE),
                    }
                )
            )
    if "person_category" in rows.values and len(plan.new_person_rows):
        new_rows = plan.new_person_rows
        enrolled = new_rows[np.asarray(rows.values["person_category"].take(pa.array(new_rows)).is_valid(), bool)]
        if len(enrolled):
            selector = pa.array(enrolled, type=pa.int64())
            parts.append(
                pa.table(
                    {
                        "household_id": pa.array(plan.household_ids[rows.households.code[enrolled]], pa.int64()),
                        "person_id": pa.array(plan.person_id_of_row[enrolled], pa.int64()),
                        "category": rows.values["person_category"].take(selector),
                        "valid_from": rows.values["person_category_from"].take(selector),
                        "amount_month": _take(rows, "person_category_amount", selector, kind=MONEY_TYPE),
                    }
                )
            )
    if not parts:
        return
    table = pa.concat_tables(parts)
    count = table.num_rows
    db.insert_table(
        CategoryEnrollment,
        table.append_column(
            "id", pa.array(np.fromiter(bulk.allocate_ids(CategoryEnrollment, count), np.int64, count=count))
        ),
        constants={"valid_to": None, "decision_number": "", "note": note, "end_reason": "", "created_at": stamp},
        load=load,
    )


def _insert_incomes(plan: Plan, rows: Rows, load: bulk.BulkLoad) -> None:
    parts: list[pa.Table] = []
    new_rows = plan.new_person_rows
    for key in INCOME_KEYS:
        if key not in rows.values or not len(new_rows):
            continue
        amounts = rows.values[key].take(pa.array(new_rows, type=pa.int64()))
        known = np.asarray(amounts.is_valid(), dtype=bool)
        if not known.any():
            continue
        chosen = new_rows[known]
        parts.append(
            pa.table(
                {
                    "household_id": pa.array(plan.household_ids[rows.households.code[chosen]], pa.int64()),
                    "person_id": pa.array(plan.person_id_of_row[chosen], pa.int64()),
                    "type": _constant(income_type_of(key), len(chosen)),
                    "amount": amounts.filter(pa.array(known)),
                }
            )
        )
    if plan.income_new:
        household_ids, person_ids, kinds, amounts_new = zip(*plan.income_new, strict=True)
        parts.append(
            pa.table(
                {
                    "household_id": pa.array(household_ids, pa.int64()),
                    "person_id": pa.array(person_ids, pa.int64()),
                    "type": pa.array(kinds, pa.string()),
                    "amount": pa.array(amounts_new, MONEY_TYPE),
                }
            )
        )
    if not parts:
        return
    table = pa.concat_tables(parts)
    count = table.num_rows
    db.insert_table(
        Income,
        table.append_column("id", pa.array(np.fromiter(bulk.allocate_ids(Income, count), np.int64, count=count))),
        constants={"period": Period.MONTH.value, "valid_from": plan.today, "valid_to": None},
        load=load,
    )
