"""Users, their role and their jurisdiction (a region), and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from jiuzhu.regions.models import PREFIX_LENGTH, RegionLevel


class Role(models.TextChoices):
    VILLAGE_INFO_WORKER = "village_info_worker", "村级信息员"
    TOWNSHIP_OFFICER = "township_officer", "乡镇经办"
    TOWNSHIP_REVIEWER = "township_reviewer", "乡镇审核"
    COUNTY_MANAGER = "county_manager", "县级管理"
    DEPARTMENT_USER = "department_user", "部门用户"
    SUPERVISOR = "supervisor", "监督只读"
    SYSTEM_ADMIN = "system_admin", "系统管理员"


class Department(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", "民政"
    MEDICAL_INSURANCE = "medical_insurance", "医保"
    EDUCATION = "education", "教育"
    HOUSING = "housing", "住建"
    HUMAN_RESOURCES = "human_resources", "人社"
    HEALTH = "health", "卫健"
    DISABLED_FEDERATION = "disabled_federation", "残联"
    PUBLIC_SECURITY = "public_security", "公安"
    AGRICULTURE = "agriculture", "农业农村"
    EMERGENCY = "emergency", "应急"
    WATER = "water", "水务"


class User(AbstractUser):
    """A person who signs in. Everything they see is limited to ``region``'s subtree."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="管辖区域", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    department = models.CharField(
        "所属部门", max_length=30, choices=Department.choices, default=Department.CIVIL_AFFAIRS
    )
    is_system = models.BooleanField("系统账户", default=False, help_text="命令行等非人工操作的记账账户，不能登录")

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    def jurisdiction_prefix(self) -> str | None:
        """Leading code digits of everything this user may see; ``None`` means nothing."""
        if self.region is None or not self.is_active:
            return None
        level = RegionLevel(self.region.level)
        return self.region.code[: PREFIX_LENGTH[level]]


class ApiToken(models.Model):
    """A bearer token for ``/api/v1/``; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.user} 的接口令牌（{self.expires_at:%Y-%m-%d %H:%M} 到期）"
