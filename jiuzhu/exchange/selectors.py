"""Reads for the exchange pages: the regions a user may import into or export."""

from __future__ import annotations

from django.db.models import QuerySet

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError
from jiuzhu.regions.models import PREFIX_LENGTH, Region, RegionLevel

REGION_CHOICE_LIMIT = 3000


def _regions_in_jurisdiction(user: User) -> QuerySet[Region]:
    prefix = user.jurisdiction_prefix()
    if prefix is None:
        return Region.objects.none()
    return Region.objects.filter(code__startswith=prefix)


def villages_for(*, user: User) -> list[tuple[str, str]]:
    """(code, "乡镇 村(社区)") of every village in the user's jurisdiction, for the template's code list."""
    regions = _regions_in_jurisdiction(user)
    townships = dict(regions.filter(level=RegionLevel.TOWNSHIP).values_list("code", "name"))
    return [
        (code, f"{townships.get(code[:9] + '000', '')} {name}".strip())
        for code, name in regions.filter(level=RegionLevel.VILLAGE).order_by("code").values_list("code", "name")
    ]


def export_region_choices_for(*, user: User) -> list[tuple[str, str]]:
    """(code, label) of the user's own region, its townships and villages (indented), for the export form."""
    region = user.region
    if region is None or user.jurisdiction_prefix() is None:
        return []
    choices = [("", f"全部（{region.name}）")]
    regions = _regions_in_jurisdiction(user).filter(level__in=[RegionLevel.TOWNSHIP, RegionLevel.VILLAGE])
    if regions.count() > REGION_CHOICE_LIMIT:
        regions = regions.filter(level=RegionLevel.TOWNSHIP)
    for code, name, level in regions.exclude(code=region.code).order_by("code").values_list("code", "name", "level"):
        choices.append((code, f"{name}" if level == RegionLevel.TOWNSHIP else f"　　{name}"))
    return choices


def export_region_for(*, user: User, code: str) -> Region:
    """The region an export is limited to: ``code`` (2 to 12 digits) inside the jurisdiction, else the user's own."""
    code = code.strip()
    if not code:
        if user.region is None or user.jurisdiction_prefix() is None:
            raise DomainError("no_jurisdiction", "您的账户没有管辖区域，不能导出。")
        return user.region
    if not code.isdigit() or len(code) not in set(PREFIX_LENGTH.values()) - {0}:
        raise DomainError("export_region", f"区划代码“{code}”应为2、4、6、9或12位数字。")
    region = Region.objects.filter(code=code.ljust(12, "0")).first()
    prefix = user.jurisdiction_prefix()
    if region is None or prefix is None or not region.code.startswith(prefix):
        raise DomainError("export_region", f"区划代码“{code}”不存在或不在您的管辖范围内。")
    return region
