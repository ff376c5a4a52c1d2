"""Load the real 统计用区划代码 subset shipped in jiuzhu/regions/data/regions.csv.

Copied logic (not imported) so the migration keeps working when the service changes.
Later editions of the file are applied by ``regions_load_fixture`` (run by ``jiuzhu demo``).
"""

import csv
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "regions.csv"


def load(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(Region.objects.values_list("code", flat=True))
    Region.objects.bulk_create(
        [
            Region(code=r["code"], name=r["name"], level=r["level"], parent_id=r["parent_code"] or None,
                   urban_rural_code=r["urban_rural_code"], source=r["source"])
            for r in rows
            if r["code"] not in existing
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
