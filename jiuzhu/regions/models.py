"""行政区划: the five-level tree keyed by the 12-digit 统计用区划代码."""

from __future__ import annotations

from django.db import models


class RegionLevel(models.TextChoices):
    NATIONAL = "national", "全国"
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县(区)"
    TOWNSHIP = "township", "乡镇(街道)"
    VILLAGE = "village", "村(社区)"


# How many leading digits of the 12-digit code identify a region of each level; a
# jurisdiction is the set of codes starting with that prefix.
PREFIX_LENGTH = {
    RegionLevel.NATIONAL: 0,
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


class Region(models.Model):
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    urban_rural_code = models.CharField("城乡分类代码", max_length=3, blank=True)
    is_synthetic = models.BooleanField("演示生成", default=False, help_text="演示数据生成的虚构村(社区)，不是真实区划")
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """Leading digits shared by this region and everything under it."""
        return self.code[: PREFIX_LENGTH[RegionLevel(self.level)]]

    @property
    def county_code(self) -> str:
        """The 6-digit GB/T 2260 code of the county containing this region."""
        return self.code[:6]
