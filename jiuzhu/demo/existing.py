"""What the database already holds that a new demo run must continue: ID sequences, household numbers."""

from __future__ import annotations

import numpy as np
from django.db import connection
from django.db.models import F, Max, Q, QuerySet
from django.db.models.functions import Substr

from jiuzhu.demo import idgen
from jiuzhu.demo.geography import Village
from jiuzhu.registry.models import Household, Person

# The byte-wise comparisons (~>=~, ~<~, ~>~) of the id_number index's varchar_pattern_ops (registry.models).
LATEST_PER_PREFIX_SQL = """
SELECT male.id_number, female.id_number
FROM unnest(%s::varchar[], %s::varchar[]) AS k(low, high)
LEFT JOIN LATERAL (
    SELECT id_number FROM {table} WHERE id_number ~>=~ k.low AND id_number ~<~ k.high
      AND substr(id_number, 17, 1) IN ('1', '3', '5', '7', '9') ORDER BY id_number USING ~>~ LIMIT 1
) AS male ON true
LEFT JOIN LATERAL (
    SELECT id_number FROM {table} WHERE id_number ~>=~ k.low AND id_number ~<~ k.high
      AND substr(id_number, 17, 1) IN ('0', '2', '4', '6', '8') ORDER BY id_number USING ~>~ LIMIT 1
) AS female ON true
"""
# Up to this many distinct (place, birth date) prefixes, existing ID sequences are looked up by index
# range; more, and the batch's places are scanned once.
RANGE_LOOKUPS_UP_TO = 20_000
RANGES_PER_QUERY = 500


def id_sequences(prefixes: np.ndarray) -> dict[int, int]:
    """Highest ID sequence step already in the database per (place + birth date, sex), for 14-digit prefixes.

    Up to ``RANGE_LOOKUPS_UP_TO`` prefixes are looked up in the id_number index; a larger batch scans
    its places once.
    """
    if not len(prefixes) or not Person.objects.exists():
        return {}
    if len(prefixes) > RANGE_LOOKUPS_UP_TO:
        places = Q()
        for place in sorted(set((prefixes // 100_000_000).tolist())):
            places |= Q(id_number__startswith=f"{place:06d}")
        return idgen.existing_steps(_sequence_tops(Person.objects.filter(places)).iterator(chunk_size=20_000))
    found: dict[int, int] = {}
    for start in range(0, len(prefixes), RANGES_PER_QUERY):
        chunk = prefixes[start : start + RANGES_PER_QUERY].tolist()
        low, high = [f"{p:014d}" for p in chunk], [f"{p + 1:014d}" for p in chunk]
        found.update(idgen.existing_steps(_latest_in_ranges(low, high)))
    return found


def _latest_in_ranges(low: list[str], high: list[str]) -> list[tuple[str, str]]:
    """``(prefix, highest sequence)`` rows for ID numbers in each ``[low, high)`` range, per sex."""
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Per prefix and sex, the highest number is one backward step in the id_number index.
            cursor.execute(LATEST_PER_PREFIX_SQL.format(table=table), [low, high])
            return [(n[:14], n[14:17]) for pair in cursor.fetchall() for n in pair if n is not None]
        # SQLite's nested loop scans the index range for each VALUES row.
        values = ", ".join(["(%s, %s)"] * len(low))
        cursor.execute(
            "SELECT substr(p.id_number, 1, 14), max(substr(p.id_number, 15, 3)) "  # noqa: S608 - model name
            f"FROM (VALUES {values}) AS k JOIN {table} p ON p.id_number >= k.column1 AND p.id_number < k.column2 "
            "GROUP BY substr(p.id_number, 1, 14), substr(p.id_number, 17, 1)",
            [text for pair in zip(low, high, strict=True) for text in pair],
        )
        return list(cursor.fetchall())


def _sequence_tops(people: QuerySet[Person]) -> QuerySet[Person, tuple[str, str]]:
    return (
        people.annotate(prefix=Substr("id_number", 1, 14), parity=Substr("id_number", 17, 1))
        .values("prefix", "parity")
        .annotate(top=Max(Substr("id_number", 15, 3)))
        .values_list("prefix", "top")
    )


def household_numbers(villages: list[Village], village_index: np.ndarray) -> np.ndarray:
    """户编号 = village code + a 5-digit sequence continuing the village's highest one."""
    codes = [v.code for v in villages]
    tops = dict(
        Household.objects.filter(region_id__in=codes)
        .annotate(prefix=Substr("household_number", 1, 12))
        .filter(prefix=F("region_id"))
        .values("region_id")
        .annotate(top=Max("household_number"))
        .values_list("region_id", "top")
    )
    start = np.array([int(tops[c][12:]) if c in tops and tops[c][12:].isdigit() else 0 for c in codes], dtype=np.int64)
    first = np.searchsorted(village_index, village_index, side="left")  # households are sorted by village
    sequence = start[village_index] + np.arange(len(village_index)) - first + 1
    return np.char.add(np.array(codes)[village_index], np.char.zfill(sequence.astype(str), 5))
