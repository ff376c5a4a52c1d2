"""Households per village, by status and by category in force: the totals of list pages and home figures.

Why a table and not counting on demand: ``COUNT(*)`` over half a million households, and the home page's
``COUNT(DISTINCT household)`` over 700,000 enrollments, cost 0.1–1 s each on PostgreSQL. Cached per
process they still ran on every cache miss, holding a gunicorn thread for seconds while everything else
queued behind it on two cores (p95 334 ms, maxima of 4.5 s). Here the totals are data: one row per
(village, household status, category) in ``VillageTally``, where category ``""`` counts every household
of that status and a category counts the households with at least one enrollment of it (whole household
or one member) in force on ``TallyDate.as_of``. A county's list total is a sum over about 3,000 rows.

How it stays exact (the tests compare it with direct counts after each kind of change):

- the registry services change it in the transaction of the change (``households_changing``): each
  touched household's (village, status, categories in force) is read before and after, under the
  household's row lock, and the difference is added;
- bulk loads (demo generator, imports) re-derive it at the end for the villages they wrote, or entirely
  (``rebuild``), inside their transaction;
- enrollments start and end on dates, so "in force" changes overnight without any write: the first
  reader of a new day rolls the tally forward (``roll_forward``), re-deriving only the households with an
  enrollment starting or ending in between;
- a question about another day than the tally's (history, a future date) gets ``None`` and counts directly.

Locking: every writer of the tally holds ``TallyDate``'s row (``FOR SHARE`` for the services, ``FOR
UPDATE`` for roll-overs and bulk loads), always before any other registry lock, so a roll-over never
interleaves with a change; SQLite's ``BEGIN IMMEDIATE`` transactions serialise writers anyway.
``jiuzhu manage registry_tally --check`` compares the table with direct counts, ``--rebuild`` re-derives it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from jiuzhu.registry.choices import Category, HouseholdStatus
from jiuzhu.registry.models import CategoryEnrollment, Household, TallyDate, VillageTally

ALL = ""  # the category of the rows counting every household of a status
ROLL_REBUILD_FROM = 20_000  # a roll-over touching more households than this re-derives everything
CHUNK = 5_000  # household ids per query

Key = tuple[str, str, str]  # (village code, household status, category or ALL)


class Signature(NamedTuple):
    """What one household contributes to the tally."""

    region_code: str
    status: str
    categories: frozenset[str]

    def keys(self) -> list[Key]:
        return [(self.region_code, self.status, ALL), *((self.region_code, self.status, c) for c in self.categories)]


# --- the day and its lock --------------------------------------------------------------------------------


def _locked_as_of(mode: str) -> dt.date:
    """Lock the tally's day (``share`` or ``update``) inside the caller's transaction and return it; a missing
    day (a fresh or flushed database) is created and the tally built for today."""
    if not connection.in_atomic_block:
        raise RuntimeError("the village tally is locked inside a transaction")
    table = TallyDate._meta.db_table
    with connection.cursor() as cursor:
        for _ in range(2):
            lock = f" FOR {mode.upper()}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"SELECT as_of FROM {table} WHERE id = 1{lock}")  # noqa: S608 - names from models
            row = cursor.fetchone()
            if row is not None:
                value = row[0]
                return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            today = timezone.localdate()
            cursor.execute(
                f"INSERT INTO {table} (id, as_of) VALUES (1, %s) ON CONFLICT (id) DO NOTHING",  # noqa: S608
                [today],
            )
            if cursor.rowcount == 1:
                _rebuild_rows(on=today, villages=None)
                return today
    raise RuntimeError("the village tally's day could not be read")


def lock_for_bulk_load() -> dt.date:
    """For bulk writers, before they lock the registry tables: hold the tally's day exclusively."""
    return _locked_as_of("update")


def as_of() -> dt.date | None:
    """The day the tally describes (``None`` before it was first built)."""
    return TallyDate.objects.filter(pk=1).values_list("as_of", flat=True).first()


# --- per-household changes (the services) -----------------------------------------------------------------


def signatures(household_ids: Iterable[int], on: dt.date, *, lock: bool = False) -> dict[int, Signature]:
    """Each household's contribution on ``on``; ``lock`` takes the households' row locks first (id order)."""
    ids = sorted(set(household_ids))
    found: dict[int, Signature] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        households = Household.objects.filter(id__in=part).order_by("id")
        if lock:
            households = households.select_for_update()
        places = {pk: (region, status) for pk, region, status in households.values_list("id", "region_id", "status")}
        categories: dict[int, set[str]] = {pk: set() for pk in places}
        enrolled = (
            CategoryEnrollment.objects.filter(household_id__in=part)
            .active_on(on)
            .order_by()
            .values_list("household_id", "category")
            .distinct()
        )
        for pk, category in enrolled:
            if pk in categories:
                categories[pk].add(category)
        for pk, (region, status) in places.items():
            found[pk] = Signature(region, status, frozenset(categories[pk]))
    return found


def difference(before: dict[int, Signature], after: dict[int, Signature]) -> Counter[Key]:
    """Tally increments turning ``before`` into ``after`` (a household missing from one side counts nothing)."""
    delta: Counter[Key] = Counter()
    for signature in after.values():
        delta.update(signature.keys())
    for signature in before.values():
        delta.subtract(signature.keys())
    return Counter({key: n for key, n in delta.items() if n})


def add(delta: Counter[Key]) -> None:
    """Add ``delta`` to the tally rows (created as needed), in one statement per 1,000 keys."""
    if not delta:
        return
    table = VillageTally._meta.db_table
    items = sorted(delta.items())  # a fixed order: concurrent writers lock rows in the same sequence
    with connection.cursor() as cursor:
        for start in range(0, len(items), 1000):
            part = items[start : start + 1000]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(part))
            params = [value for (region, status, category), n in part for value in (region, status, category, n)]
            cursor.execute(
                f"INSERT INTO {table} (region_code, status, category, households) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (region_code, status, category) "
                f"DO UPDATE SET households = {table}.households + excluded.households",
                params,
            )


class Change:
    """Households a service is changing: ``add_household`` registers one created inside the change."""

    def __init__(self, on: dt.date, household_ids: Iterable[int]) -> None:
        self.on = on
        self.ids = set(household_ids)
        self.before = signatures(self.ids, on, lock=True)

    def add_household(self, household_id: int) -> None:
        self.ids.add(household_id)

    def finish(self) -> None:
        add(difference(self.before, signatures(self.ids, self.on)))


def change_begin(household_ids: Iterable[int] = ()) -> Change:
    """Inside a service's transaction, before anything else: lock the tally's day (shared) and the households
    and note what they count; ``Change.finish`` after the change adds the difference to the tally."""
    return Change(_locked_as_of("share"), household_ids)


@contextmanager
def households_changing(household_ids: Iterable[int] = ()) -> Iterator[Change]:
    """``change_begin`` … ``finish`` around a block (an exception rolls the caller's transaction back anyway)."""
    change = change_begin(household_ids)
    yield change
    change.finish()


# --- bulk re-derivation -----------------------------------------------------------------------------------


def _rebuild_rows(*, on: dt.date, villages: Iterable[str] | None) -> None:
    """Replace the tally rows of ``villages`` (every village when ``None``) by counts taken on ``on``."""
    rows = VillageTally.objects.all()
    if villages is not None:
        villages = sorted(set(villages))
        if not villages:
            return
        rows = rows.filter(region_code__in=villages)
    counts = direct_counts(on=on, villages=villages)
    rows.delete()
    VillageTally.objects.bulk_create(
        [VillageTally(region_code=r, status=s, category=c, households=n) for (r, s, c), n in sorted(counts.items())],
        batch_size=1000,
    )
    if villages is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {VillageTally._meta.db_table}")  # planned as 5 rows, it sorted on every read


def rebuild(*, villages: Iterable[str] | None = None, on: dt.date | None = None) -> dt.date:
    """Re-derive the tally (of ``villages`` only, or all of it) inside the caller's transaction; returns its day.

    A full rebuild moves the day to ``on`` (default today); a partial one keeps the tally's day, so that the
    villages re-derived agree with the rest.
    """
    with transaction.atomic():
        current = _locked_as_of("update")
        if villages is None:
            day = on or timezone.localdate()
            _rebuild_rows(on=day, villages=None)
            TallyDate.objects.filter(pk=1).update(as_of=day)
            return day
        _rebuild_rows(on=current, villages=villages)
        return current


def roll_forward(on: dt.date) -> dt.date:
    """Move the tally to ``on`` (a later day): only households with an enrollment starting after the tally's
    day or ending before ``on`` can count differently. Returns the tally's day afterwards."""
    with transaction.atomic():
        current = _locked_as_of("update")
        if current >= on:
            return current  # another process rolled it meanwhile (or it is ahead: nothing to do)
        moved = (
            CategoryEnrollment.objects.filter(
                Q(valid_from__gt=current, valid_from__lte=on) | Q(valid_to__gte=current, valid_to__lt=on)
            )
            .order_by()
            .values_list("household_id", flat=True)
            .distinct()
        )
        ids = list(moved[: ROLL_REBUILD_FROM + 1])
        if len(ids) > ROLL_REBUILD_FROM:
            _rebuild_rows(on=on, villages=None)
        else:
            for start in range(0, len(ids), CHUNK):
                part = ids[start : start + CHUNK]
                add(difference(signatures(part, current), signatures(part, on)))
        TallyDate.objects.filter(pk=1).update(as_of=on)
        return on


# --- reading ----------------------------------------------------------------------------------------------


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _read(on: dt.date, sql: str, params: list[str]) -> list[tuple[object, ...]] | None:
    """Rows of ``sql`` (whose first column is the tally's day, joined from ``TallyDate``) when the tally describes
    ``on``, rolling it forward first when ``on`` is a later day up to today; ``None`` when it cannot describe it.
    One query when the tally is current."""
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        day = rows[0][0] if rows else None
        if day is not None and not isinstance(day, dt.date):
            day = dt.date.fromisoformat(str(day))
        if day == on:
            return rows
        if (day is not None and day > on) or on > timezone.localdate() or roll_forward(on) != on:
            return None
    return None


def household_total(*, prefix: str, on: dt.date, status: str = "", category: str = "") -> int | None:
    """Households in villages whose code starts with ``prefix``, of ``status`` (any when empty), with ``category``
    in force on ``on`` (any when empty); ``None`` when the tally does not describe ``on``."""
    conditions = ["t.category = %s", "t.region_code LIKE %s ESCAPE '\\'"]
    params = [category or ALL, _like_prefix(prefix)]
    if status:
        conditions.append("t.status = %s")
        params.append(status)
    rows = _read(
        on,
        f"SELECT d.as_of, COALESCE(SUM(t.households), 0) FROM {TallyDate._meta.db_table} d "  # noqa: S608
        f"LEFT JOIN {VillageTally._meta.db_table} t ON {' AND '.join(conditions)} WHERE d.id = 1 GROUP BY d.as_of",
        params,
    )
    return None if rows is None else int(rows[0][1])  # type: ignore[call-overload]


def household_figures(*, prefix: str, on: dt.date) -> dict[str, int] | None:
    """Home figures: ``households`` (active households) and, per category, the households (any status) with it
    in force on ``on``; ``None`` when the tally does not describe ``on``."""
    rows = _read(
        on,
        f"SELECT d.as_of, t.status, t.category, SUM(t.households) FROM {TallyDate._meta.db_table} d "  # noqa: S608
        f"LEFT JOIN {VillageTally._meta.db_table} t ON t.region_code LIKE %s ESCAPE '\\' "
        "WHERE d.id = 1 GROUP BY d.as_of, t.status, t.category",
        [_like_prefix(prefix)],
    )
    if rows is None:
        return None
    figures = {category.value: 0 for category in Category}
    figures["households"] = 0
    for _, status, category, total in rows:
        if status is None:
            continue  # the day's row alone: no village counted yet
        if category == ALL:
            if status == HouseholdStatus.ACTIVE:
                figures["households"] += int(total or 0)  # type: ignore[call-overload]
        else:
            figures[str(category)] = figures.get(str(category), 0) + int(total or 0)  # type: ignore[call-overload]
    return figures


def direct_counts(*, on: dt.date, villages: Iterable[str] | None = None) -> dict[Key, int]:
    """The tally as direct counts would give it (for ``--check`` and the tests); zero rows left out."""
    households = Household.objects.all()
    enrollments = CategoryEnrollment.objects.active_on(on)
    if villages is not None:
        codes = sorted(set(villages))
        households = households.filter(region_id__in=codes)
        enrollments = enrollments.filter(household__region_id__in=codes)
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            # The distinct count over a county's enrollments sorts on disk with the default 4 MB.
            cursor.execute("SET LOCAL work_mem = '64MB'")
    counts: dict[Key, int] = {}
    for region, status, n in households.order_by().values_list("region_id", "status").annotate(n=Count("id")):
        counts[(region, status, ALL)] = n
    by_category = (
        enrollments.order_by()
        .values_list("household__region_id", "household__status", "category")
        .annotate(n=Count("household_id", distinct=True))
    )
    for region, status, category, n in by_category:
        counts[(region, status, category)] = n
    return counts


def stored_counts(*, villages: Iterable[str] | None = None) -> dict[Key, int]:
    """The tally's rows with a non-zero count."""
    rows = VillageTally.objects.exclude(households=0)
    if villages is not None:
        rows = rows.filter(region_code__in=sorted(set(villages)))
    return {(r, s, c): n for r, s, c, n in rows.values_list("region_code", "status", "category", "households")}
