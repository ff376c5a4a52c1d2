"""Compare a checked file with the database and decide what to write (inside the import's transaction).

New households and persons are handled as whole columns (no Python per row); rows that match
existing records are compared one by one, which costs only for re-imports. Problems that need
the database (village outside the jurisdiction, ID already in another household, a household
without a 户主, a category starting before the current one) are added here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Max

from jiuzhu.accounts.models import User
from jiuzhu.exchange import db
from jiuzhu.exchange.columns import BY_KEY, INCOME_KEYS, income_type_of
from jiuzhu.exchange.parsing import COLUMN_ORDER, Distinct, Rows, digit_matrix
from jiuzhu.exchange.problems import Problems
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry import bulk
from jiuzhu.registry.choices import STATUS_CATEGORIES, Category, HouseholdStatus, Period, PersonStatus
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

HOUSEHOLD_FIELDS = ("urban_rural", "address", "phone", "financial_assets", "house_count", "vehicle_count")
TEXT_NOT_NULL = frozenset({"address", "phone"})  # blank=True, stored as "" rather than NULL
PERSON_FIELDS = (
    "name",
    "hukou_type",
    "disability_type",
    "disability_grade",
    "self_care",
    "labour_capacity",
    "health",
    "student",
    "special_status",
    "care_setting",
)
PERSON_ROW = ("id", "id_number", "region_id", *PERSON_FIELDS)
PERSON_INDEX = {name: index for index, name in enumerate(PERSON_ROW)}
COMPARE_CHUNK = 100_000
STREAM = 50_000  # rows fetched at a time (a server-side cursor on PostgreSQL): a million never sit in libpq at once
CENT = Decimal("0.01")
MONTHS_PER_YEAR = Decimal(12)


def monthly_equivalent(amount: Decimal, period: str) -> Decimal:
    """A recorded income as 元/月, the unit of the file's income columns (yearly amounts shown per month)."""
    if period == Period.YEAR:
        return (amount / MONTHS_PER_YEAR).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount


@dataclass
class Enrollment:
    id: int
    category: str
    valid_from: dt.date
    amount_month: Decimal | None


@dataclass
class Plan:
    today: dt.date
    household_ids: np.ndarray  # per household of the file: its database id (existing or allocated)
    new_households: np.ndarray  # household indices to insert
    new_person_rows: np.ndarray  # rows whose person is inserted
    new_person_ids: np.ndarray
    person_id_of_row: np.ndarray  # every valid row's person id (existing or allocated)
    household_updates: list[tuple[Any, ...]] = field(default_factory=list)  # HOUSEHOLD columns + id
    household_update_columns: list[str] = field(default_factory=list)
    moved_households: list[tuple[str, int]] = field(default_factory=list)  # (village code, household id)
    person_updates: list[tuple[Any, ...]] = field(default_factory=list)
    person_update_columns: list[str] = field(default_factory=list)
    membership_updates: list[tuple[Any, ...]] = field(default_factory=list)  # relation, in_household, id
    membership_rows: list[int] = field(default_factory=list)  # existing persons joining their household
    enrollment_ends: list[tuple[Any, ...]] = field(default_factory=list)  # valid_to, end_reason, id
    enrollment_fixes: list[tuple[Any, ...]] = field(default_factory=list)  # valid_from, amount_month, id
    enrollment_new: list[tuple[int, int | None, str, dt.date, Decimal | None]] = field(default_factory=list)
    income_ends: list[tuple[Any, ...]] = field(default_factory=list)  # valid_to, id
    income_fixes: list[tuple[Any, ...]] = field(default_factory=list)  # amount, period, id
    income_new: list[tuple[int, int, str, Decimal]] = field(default_factory=list)  # household, person, type
    households_updated: int = 0
    persons_updated: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)  # sample of changed persons for the audit

    @property
    def households_created(self) -> int:
        return len(self.new_households)

    @property
    def persons_created(self) -> int:
        return len(self.new_person_rows)


@dataclass
class Existing:
    """The database's records for a file's keys (all empty for an empty registry)."""

    households: dict[str, dict[str, Any]] = field(default_factory=dict)  # 户编号 → household values
    persons: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # ID number → PERSON_ROW
    memberships: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # person id → current membership
    heads: dict[int, int] = field(default_factory=dict)  # household id → its 户主's person id
    household_enrollments: dict[int, list[Enrollment]] = field(default_factory=dict)
    person_enrollments: dict[int, list[Enrollment]] = field(default_factory=dict)
    ended: dict[tuple[int, int | None], dt.date] = field(default_factory=dict)
    incomes: dict[tuple[int, str], list[tuple[int, Decimal, str, dt.date]]] = field(default_factory=dict)


def registry_holds_rows() -> bool:
    """Whether any household or person is registered (deceased or moved out included). Called under the
    registry's lock (``bulk.lock_registry_tables``): an empty registry stays empty until the import commits, and
    a file for it is planned without reading the database (every household and person is new)."""
    return Household.objects.exists() or Person.objects.exists()


def id_number_order(numbers: pa.Array) -> np.ndarray:
    """The order that sorts ``numbers`` byte-wise, as the ID number indexes do (varchar_pattern_ops).

    New persons are given their ids in this order and written in it: PostgreSQL then builds the primary key
    and both ID number indexes of a large import from presorted rows (measured on a million persons: about 3 s
    less server CPU than for rows in file order). Valid numbers are 17 digits and a digit or X, so the order is
    that of one integer per number (a tenth of the time of sorting the strings).
    """
    if not len(numbers):
        return np.zeros(0, dtype=np.int64)
    if pc.min_max(pc.utf8_length(numbers)).as_py() != {"min": 18, "max": 18} or numbers.null_count:
        return np.asarray(pc.sort_indices(numbers), dtype=np.int64)
    matrix = digit_matrix(numbers, 18)
    digits = matrix[:, :17].astype(np.int64) - 48
    key = digits @ (10 ** np.arange(16, -1, -1, dtype=np.int64))
    last = matrix[:, 17].astype(np.int64)  # '0'–'9' below 'X', as in the bytes
    return np.lexsort((last, key))


class Planner:
    """Reads what the database holds for the file's keys and plans the writes."""

    def __init__(self, *, actor: User, rows: Rows, problems: Problems, today: dt.date, note: str) -> None:
        self.actor = actor
        self.rows = rows
        self.problems = problems
        self.today = today
        self.note = note[:200]
        self.households = rows.households
        self.prefix = actor.jurisdiction_prefix() or ""
        self.valid = self._valid_rows()
        self.ended: dict[tuple[int, int | None], dt.date] = {}

    # -- problems ---------------------------------------------------------------------------------

    def problem(self, row: int, key: str, text: str) -> None:
        self.problems.add(
            sheet=int(self.rows.raw.sheet_index[row]),
            row=int(self.rows.raw.row_number[row]),
            column=BY_KEY[key].header,
            column_order=COLUMN_ORDER[key],
            problem=text,
        )

    def _valid_rows(self) -> np.ndarray:
        """Rows whose keys (户编号, 身份证号) are usable for matching."""
        rows = self.rows
        return (
            (self.households.code >= 0)
            & rows.ok("id_number")
            & rows.ok("household_number")
            & np.asarray(rows.birth_date.is_valid(), dtype=bool)
        )

    # -- the plan ---------------------------------------------------------------------------------

    def plan(self) -> Plan:
        self._check_regions()
        found = self._existing() if registry_holds_rows() else Existing()
        self.ended = found.ended
        persons, memberships = found.persons, found.memberships
        household_ids, new_households = self._household_ids(found.households)
        person_of_row, new_rows = self._match_persons(persons, memberships, household_ids)
        self._check_heads(found.heads, household_ids, person_of_row)
        new_rows = new_rows[id_number_order(self.rows.values["id_number"].take(pa.array(new_rows, pa.int64())))]
        new_ids = np.fromiter(bulk.allocate_ids(Person, len(new_rows)), dtype=np.int64, count=len(new_rows))
        person_of_row[new_rows] = new_ids
        plan = Plan(self.today, household_ids, new_households, new_rows, new_ids, person_of_row)
        self._plan_households(plan, found.households, found.household_enrollments)
        self._plan_persons(plan, persons, memberships, found.person_enrollments, found.incomes)
        return plan

    def _existing(self) -> Existing:
        """What the database holds for the file's households and persons (joined through temporary key tables)."""
        numbers = pa.array(self.households.numbers, type=pa.string())
        with (
            db.key_table(numbers) as household_keys,
            db.key_table(self.rows.values["id_number"].filter(pa.array(self.valid))) as person_keys,
        ):
            persons, memberships = self._existing_persons(person_keys)
            self._check_deceased(person_keys, persons)
            return Existing(
                households=self._existing_households(household_keys),
                persons=persons,
                memberships=memberships,
                heads=dict(
                    Membership.objects.current()
                    .filter(relation="head", household__household_number__in=household_keys)
                    .values_list("household_id", "person_id")
                ),
                household_enrollments=self._household_enrollments(household_keys),
                person_enrollments=self._person_enrollments(person_keys),
                ended=self._latest_ends(household_keys, person_keys),
                incomes=self._incomes(person_keys) if any(self.rows.has(k) for k in INCOME_KEYS) else {},
            )

    # -- regions ----------------------------------------------------------------------------------

    def _check_regions(self) -> None:
        """Each distinct village code once: known, a village, inside the jurisdiction."""
        households = self.households
        if "region_code" not in households.values:
            return
        distinct = Distinct(households.values["region_code"])
        codes = distinct.values.to_pylist()
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        source = households.source_row["region_code"]
        for position, code in enumerate(codes):
            region = found.get(code)
            if region is None:
                text = f"“{code}”不是系统中的区划代码，请核对"
            elif region.level != RegionLevel.VILLAGE:
                text = f"“{code}”是{region.name}（{region.get_level_display()}），请填写村(社区)一级的12位代码"
            elif not code.startswith(self.prefix):
                text = f"“{code}”{region.name}不在您的管辖范围内"
            else:
                continue
            for index in np.flatnonzero(distinct.index == position).tolist():
                self.problem(int(source[index]), "region_code", text)

    # -- reading the database ---------------------------------------------------------------------

    def _existing_households(self, keys: Any) -> dict[str, dict[str, Any]]:
        fields = ("id", "household_number", "region_id", "status", *HOUSEHOLD_FIELDS)
        return {
            row["household_number"]: row
            for row in Household.objects.filter(household_number__in=keys).values(*fields).iterator(STREAM)
        }

    def _existing_persons(self, keys: Any) -> tuple[dict[str, tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
        """ID number → (id, id_number, region, *PERSON_FIELDS): tuples, a million of them fit in memory."""
        persons = {
            row[1]: row
            for row in Person.objects.filter(id_number__in=keys, status=PersonStatus.ACTIVE)
            .values_list(*PERSON_ROW)
            .iterator(STREAM)
        }
        memberships = {
            row[1]: row
            for row in Membership.objects.current()
            .filter(person__id_number__in=keys, person__status=PersonStatus.ACTIVE)
            .values_list("id", "person_id", "household_id", "relation", "in_household", "valid_from")
            .iterator(STREAM)
        }
        return persons, memberships

    def _check_deceased(self, keys: Any, persons: dict[str, tuple[Any, ...]]) -> None:
        deceased = set(
            Person.objects.filter(id_number__in=keys, status=PersonStatus.DECEASED).values_list("id_number", flat=True)
        ) - set(persons)
        if not deceased:
            return
        numbers = self.rows.values["id_number"]
        for row in np.flatnonzero(self.valid & np.asarray(pc.is_in(numbers, pa.array(list(deceased))))).tolist():
            self.problem(row, "id_number", "该身份证号的人员已登记为死亡，不能再导入")

    def _household_enrollments(self, keys: Any) -> dict[int, list[Enrollment]]:
        found: dict[int, list[Enrollment]] = defaultdict(list)
        for pk, household_id, category, valid_from, amount in (
            CategoryEnrollment.objects.current()
            .filter(person__isnull=True, category__in=STATUS_CATEGORIES, household__household_number__in=keys)
            .order_by("valid_from", "id")
            .values_list("id", "household_id", "category", "valid_from", "amount_month")
            .iterator(STREAM)
        ):
            found[household_id].append(Enrollment(pk, category, valid_from, amount))
        return found

    def _person_enrollments(self, keys: Any) -> dict[int, list[Enrollment]]:
        found: dict[int, list[Enrollment]] = defaultdict(list)
        for pk, person_id, category, valid_from, amount in (
            CategoryEnrollment.objects.current()
            .filter(person__id_number__in=keys, person__status=PersonStatus.ACTIVE, category__in=STATUS_CATEGORIES)
            .order_by("valid_from", "id")
            .values_list("id", "person_id", "category", "valid_from", "amount_month")
            .iterator(STREAM)
        ):
            found[person_id].append(Enrollment(pk, category, valid_from, amount))
        return found

    def _latest_ends(self, household_keys: Any, person_keys: Any) -> dict[tuple[int, int | None], dt.date]:
        """(household, person or None) → the last day of its latest ended status: a new one must start after it."""
        ended = CategoryEnrollment.objects.filter(valid_to__isnull=False, category__in=STATUS_CATEGORIES)
        found: dict[tuple[int, int | None], dt.date] = {}
        for household_id, last in (
            ended.filter(person__isnull=True, household__household_number__in=household_keys)
            .values("household_id")
            .annotate(last=Max("valid_to"))
            .values_list("household_id", "last")
        ):
            found[(household_id, None)] = last
        for household_id, person_id, last in (
            ended.filter(person__id_number__in=person_keys, person__status=PersonStatus.ACTIVE)
            .values("household_id", "person_id")
            .annotate(last=Max("valid_to"))
            .values_list("household_id", "person_id", "last")
        ):
            key = (household_id, person_id)
            found[key] = max(last, found.get(key, last))
        return found

    def _incomes(self, keys: Any) -> dict[tuple[int, str], list[tuple[int, Decimal, str, dt.date]]]:
        types = [income_type_of(k) for k in INCOME_KEYS]
        found: dict[tuple[int, str], list[tuple[int, Decimal, str, dt.date]]] = defaultdict(list)
        for pk, person_id, kind, amount, period, valid_from in (
            Income.objects.current()
            .filter(person__id_number__in=keys, person__status=PersonStatus.ACTIVE, type__in=types)
            .values_list("id", "person_id", "type", "amount", "period", "valid_from")
            .iterator(STREAM)
        ):
            found[(person_id, kind)].append((pk, amount, period, valid_from))
        return found

    # -- households -------------------------------------------------------------------------------

    def _household_ids(self, existing: dict[str, dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        households = self.households
        ids = np.zeros(households.size, dtype=np.int64)
        new: list[int] = []
        for index, number in enumerate(households.numbers):
            row = existing.get(number)
            if row is None:
                new.append(index)
                continue
            ids[index] = row["id"]
            first = int(households.first_row[index])
            if not row["region_id"].startswith(self.prefix):
                self.problem(first, "household_number", "已被您管辖范围以外的家庭使用，请核对户编号")
            elif row["status"] != HouseholdStatus.ACTIVE:
                self.problem(first, "household_number", "对应的家庭已注销，不能通过导入修改")
        new_array = np.asarray(new, dtype=np.int64)
        ids[new_array] = np.fromiter(bulk.allocate_ids(Household, len(new)), dtype=np.int64, count=len(new))
        return ids, new_array

    def _household_value(self, key: str, index: int) -> Any:
        value = self.households.values[key][index].as_py()
        if value is None and key in TEXT_NOT_NULL:
            return ""
        return value

    def _plan_households(
        self, plan: Plan, existing: dict[str, dict[str, Any]], enrollments: dict[int, list[Enrollment]]
    ) -> None:
        households = self.households
        columns = [k for k in HOUSEHOLD_FIELDS if k in households.values]
        plan.household_update_columns = [*columns, "updated_at"]
        now = bulk.now()
        new = np.zeros(households.size, dtype=bool)
        new[plan.new_households] = True
        for index in np.flatnonzero(~new).tolist():
            row = existing[households.numbers[index]]
            changed = False
            new_values = [self._household_value(k, index) for k in columns]
            if any(new != row[k] for k, new in zip(columns, new_values, strict=True)):
                plan.household_updates.append((*new_values, now, row["id"]))
                changed = True
            region = self._household_value("region_code", index)
            if region is not None and region != row["region_id"]:
                plan.moved_households.append((region, row["id"]))
                changed = True
            if "category" in households.values:
                changed |= self._plan_category(plan, index, None, row["id"], None, enrollments.get(row["id"], []))
            plan.households_updated += changed

    def _check_heads(self, heads: dict[int, int], household_ids: np.ndarray, person_of_row: np.ndarray) -> None:
        """Every household ends with exactly one 户主, counting one already in the database but not in the file.

        Called before new persons get ids: ``person_of_row`` then holds existing persons only.
        """
        if not self.rows.has("relation"):
            return
        households = self.households
        code = households.code
        is_head = np.asarray(pc.fill_null(pc.equal(self.rows.values["relation"], "head"), False), dtype=bool)
        in_file = np.bincount(code[is_head & (code >= 0)], minlength=households.size)
        kept = np.zeros(households.size, dtype=bool)
        if heads:
            listed = {(int(code[row]), int(person_of_row[row])) for row in np.flatnonzero(person_of_row > 0).tolist()}
            for index in np.flatnonzero(np.isin(household_ids, np.fromiter(heads, dtype=np.int64))).tolist():
                kept[index] = (index, heads[int(household_ids[index])]) not in listed
        for index in np.flatnonzero((in_file == 0) & ~kept).tolist():
            self.problem(
                int(households.first_row[index]),
                "relation",
                f"户编号 {households.numbers[index]} 的各行中没有“户主”，每户须有一名户主",
            )
        for index in np.flatnonzero((in_file >= 1) & kept).tolist():
            head_row = int(np.flatnonzero(is_head & (code == index))[0])
            self.problem(
                head_row,
                "relation",
                "本户在系统中已有户主，且未列在本文件中；如需更换户主，请把原户主也列入文件并改填与新户主的关系",
            )

    # -- persons ----------------------------------------------------------------------------------

    def _match_persons(
        self, persons: dict[str, tuple[Any, ...]], memberships: dict[int, tuple[Any, ...]], household_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each valid row's existing person id (0 when new); an ID active in another household is a problem."""
        rows = self.rows
        person_of_row = np.zeros(rows.size, dtype=np.int64)
        if not persons:
            return person_of_row, np.flatnonzero(self.valid)
        numbers = rows.values["id_number"]
        known = self.valid & np.asarray(pc.fill_null(pc.is_in(numbers, pa.array(list(persons))), False), dtype=bool)
        elsewhere: dict[int, list[int]] = defaultdict(list)
        known_rows = np.flatnonzero(known)
        for row, number in zip(known_rows.tolist(), numbers.take(pa.array(known_rows)).to_pylist(), strict=True):
            person_id = persons[number][0]
            person_of_row[row] = person_id
            membership = memberships.get(person_id)
            target = int(household_ids[self.households.code[row]])
            if membership is not None and membership[2] != target:
                elsewhere[membership[2]].append(row)
        if elsewhere:
            other = dict(Household.objects.filter(id__in=list(elsewhere)).values_list("id", "household_number"))
            region = dict(Household.objects.filter(id__in=list(elsewhere)).values_list("id", "region_id"))
            for household_id, problem_rows in elsewhere.items():
                for row in problem_rows:
                    if region[household_id].startswith(self.prefix):
                        text = f"已在另一户（户编号 {other[household_id]}）在册；如需迁入本户，请先在系统中办理迁出"
                    else:
                        text = "已在您管辖范围以外的另一户在册，同一人不能重复在册"
                    self.problem(row, "id_number", text)
        return person_of_row, np.flatnonzero(self.valid & ~known)

    def _row_values(self, keys: list[str], rows: np.ndarray) -> dict[str, list[Any]]:
        selector = pa.array(rows, type=pa.int64())
        return {k: self.rows.values[k].take(selector).to_pylist() for k in keys}

    def _plan_persons(
        self,
        plan: Plan,
        persons: dict[str, tuple[Any, ...]],
        memberships: dict[int, tuple[Any, ...]],
        enrollments: dict[int, list[Enrollment]],
        incomes: dict[tuple[int, str], list[tuple[int, Decimal, str, dt.date]]],
    ) -> None:
        existing_rows = np.flatnonzero(
            self.valid & (plan.person_id_of_row > 0) & ~np.isin(np.arange(self.rows.size), plan.new_person_rows)
        )
        if not len(existing_rows):
            return
        rows = self.rows
        person_columns = [k for k in PERSON_FIELDS if rows.has(k)]
        income_columns = [k for k in INCOME_KEYS if rows.has(k)]
        category_columns = [
            k for k in ("person_category", "person_category_from", "person_category_amount") if rows.has(k)
        ]
        membership_columns = [k for k in ("relation", "in_household") if rows.has(k)]
        plan.person_update_columns = [*person_columns, "updated_at"]
        now = bulk.now()
        columns = [*person_columns, *income_columns, *category_columns, *membership_columns, "id_number"]
        for start in range(0, len(existing_rows), COMPARE_CHUNK):  # Python values for a chunk at a time
            chunk = existing_rows[start : start + COMPARE_CHUNK]
            self._compare_persons(
                plan,
                chunk,
                self._row_values(columns, chunk),
                persons,
                memberships,
                enrollments,
                incomes,
                now=now,
                person_columns=person_columns,
                income_columns=income_columns,
                category_columns=category_columns,
                membership_columns=membership_columns,
            )

    def _compare_persons(
        self,
        plan: Plan,
        chunk: np.ndarray,
        values: dict[str, list[Any]],
        persons: dict[str, tuple[Any, ...]],
        memberships: dict[int, tuple[Any, ...]],
        enrollments: dict[int, list[Enrollment]],
        incomes: dict[tuple[int, str], list[tuple[int, Decimal, str, dt.date]]],
        *,
        now: dt.datetime,
        person_columns: list[str],
        income_columns: list[str],
        category_columns: list[str],
        membership_columns: list[str],
    ) -> None:
        if "disability_grade" in values:
            values["disability_grade"] = [None if g is None else int(g) for g in values["disability_grade"]]
        if "in_household" in values:
            values["in_household"] = [v != "false" for v in values["in_household"]]
        for position, row in enumerate(chunk.tolist()):
            person = persons[values["id_number"][position]]
            person_id = person[0]
            household_id = int(plan.household_ids[self.households.code[row]])
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            new_values = [values[k][position] for k in person_columns]
            for key, new in zip(person_columns, new_values, strict=True):
                old = person[PERSON_INDEX[key]]
                if new != old:
                    before[key], after[key] = old, new
            if after:
                plan.person_updates.append((*new_values, now, person_id))
            membership = memberships.get(person_id)
            if membership is None:
                plan.membership_rows.append(row)
                after["household"] = self.households.numbers[self.households.code[row]]
            elif membership_columns:
                relation = values["relation"][position] if "relation" in values else membership[3]
                in_household = values["in_household"][position] if "in_household" in values else membership[4]
                if (relation, in_household) != (membership[3], membership[4]):
                    plan.membership_updates.append((relation, in_household, membership[0]))
                    before["relation"], after["relation"] = membership[3], relation
            for key in income_columns:
                kind = income_type_of(key)
                if self._plan_income(
                    plan, household_id, person_id, kind, values[key][position], incomes.get((person_id, kind), [])
                ):
                    after[key] = str(values[key][position])
            if category_columns and self._plan_category(
                plan,
                None,
                row,
                household_id,
                person_id,
                enrollments.get(person_id, []),
                values=(
                    values["person_category"][position],
                    values["person_category_from"][position],
                    values["person_category_amount"][position] if "person_category_amount" in values else _KEEP,
                ),
            ):
                after["person_category"] = values["person_category"][position]
            if after:
                plan.persons_updated += 1
                if len(plan.changes) < AUDIT_CHANGES_LIMIT:
                    plan.changes.append(
                        {"person_id": person_id, "before": _jsonable(before), "after": _jsonable(after)}
                    )

    def _plan_income(
        self,
        plan: Plan,
        household_id: int,
        person_id: int,
        kind: str,
        amount: Decimal | None,
        current: list[tuple[int, Decimal, str, dt.date]],
    ) -> bool:
        """A changed monthly income: the current records end yesterday and a new one starts today.

        A record that started today (an earlier import the same day) is corrected instead, so that
        no record ends before it began.
        """
        if not current and amount is None:
            return False
        if (
            current
            and amount is not None
            and sum((monthly_equivalent(a, p) for _, a, p, _ in current), Decimal(0)) == amount
        ):
            return False
        corrected = next((c[0] for c in current if c[3] >= plan.today), None) if amount is not None else None
        for pk, _, _, valid_from in current:
            if pk == corrected:
                plan.income_fixes.append((amount, Period.MONTH, pk))
            else:
                plan.income_ends.append((max(plan.today - dt.timedelta(days=1), valid_from), pk))
        if amount is not None and corrected is None:
            plan.income_new.append((household_id, person_id, kind, amount))
        return True

    # -- categories -------------------------------------------------------------------------------

    def _plan_category(
        self,
        plan: Plan,
        household_index: int | None,
        row: int | None,
        household_id: int,
        person_id: int | None,
        current: list[Enrollment],
        values: tuple[Any, Any, Any] | None = None,
    ) -> bool:
        """Same category: correct its start or amount; another: end the current one the day before."""
        if values is None:
            assert household_index is not None
            amount = (
                self.households.values["category_amount"][household_index].as_py()
                if "category_amount" in self.households.values
                else _KEEP
            )
            values = (
                self.households.values["category"][household_index].as_py(),
                self.households.values["category_from"][household_index].as_py(),
                amount,
            )
            source_row = int(self.households.source_row["category_from"][household_index])
            date_key = "category_from"
        else:
            assert row is not None
            source_row = row
            date_key = "person_category_from"
        category, valid_from, amount = values
        if category is None or valid_from is None:
            return False
        last_end = self.ended.get((household_id, person_id))
        if last_end is not None and valid_from <= last_end:
            self.problem(source_row, date_key, f"应晚于此前救助类别的终止日期{last_end:%Y-%m-%d}：认定的时间段不能重叠")
            return False
        if current and current[0].category == category:
            enrollment = current[0]
            new_amount = enrollment.amount_month if amount is _KEEP else amount
            if (enrollment.valid_from, enrollment.amount_month) == (valid_from, new_amount):
                return False
            plan.enrollment_fixes.append((valid_from, new_amount, enrollment.id))
            return True
        for enrollment in current:
            if valid_from <= enrollment.valid_from:
                self.problem(
                    source_row,
                    date_key,
                    f"应晚于现有类别“{Category(enrollment.category).label}”的起始日期"
                    f"{enrollment.valid_from:%Y-%m-%d}：原类别将在新类别起始日期前一天终止",
                )
                return False
            plan.enrollment_ends.append(
                (
                    valid_from - dt.timedelta(days=1),
                    f"导入变更为“{Category(category).label}”（{self.note}）"[:200],
                    enrollment.id,
                )
            )
        plan.enrollment_new.append((household_id, person_id, category, valid_from, None if amount is _KEEP else amount))
        return True


AUDIT_CHANGES_LIMIT = 1000
_KEEP: Any = object()  # the amount column is absent: keep what the database has


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v if v is None or isinstance(v, str | int | bool) else str(v) for k, v in values.items()}
