"""Reads of the region tree."""

from __future__ import annotations

from django.db.models import QuerySet

from jiuzhu.regions.models import Region, RegionLevel


def region_path(*, region: Region) -> list[Region]:
    """Regions from the province down to ``region`` (inclusive), for breadcrumbs and full names."""
    codes = {
        region.code[:2].ljust(12, "0"),
        region.code[:4].ljust(12, "0"),
        region.code[:6].ljust(12, "0"),
        region.code[:9].ljust(12, "0"),
        region.code,
    }
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    path = [by_code[c] for c in sorted(codes) if c in by_code]
    return [r for r in path if r.level != RegionLevel.NATIONAL]


def region_full_name(*, region: Region) -> str:
    """省市县乡村 names joined, e.g. 山西省晋中市榆次区北关街道某社区."""
    return "".join(r.name for r in region_path(region=region))


def regions_within(*, prefix: str, level: RegionLevel) -> QuerySet[Region]:
    """Regions of ``level`` whose code starts with ``prefix``."""
    return Region.objects.filter(code__startswith=prefix, level=level).order_by("code")
