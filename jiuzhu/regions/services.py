"""Writes to the region tree: loading the real-code fixture."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from jiuzhu.regions.models import Region

FIXTURE = Path(__file__).resolve().parent / "data" / "regions.csv"


@transaction.atomic
def regions_load_fixture(*, path: Path = FIXTURE) -> int:
    """Insert or update the real regions shipped in ``data/regions.csv``; returns how many rows it holds.

    Parents come before children because the file is sorted by code.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = {r.code: r for r in Region.objects.filter(is_synthetic=False)}
    to_create, to_update = [], []
    fields = ("name", "level", "parent_id", "urban_rural_code", "source")
    for row in rows:
        region = Region(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            parent_id=row["parent_code"] or None,
            urban_rural_code=row["urban_rural_code"],
            source=row["source"],
            is_synthetic=False,
        )
        current = existing.get(region.code)
        if current is None:
            to_create.append(region)
        elif any(getattr(current, f) != getattr(region, f) for f in fields):
            to_update.append(region)
    Region.objects.bulk_create(to_create, batch_size=1000)
    Region.objects.bulk_update(to_update, ["name", "level", "parent", "urban_rural_code", "source"], batch_size=500)
    return len(rows)
