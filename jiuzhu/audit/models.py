"""AuditEvent: append-only record of who did what, when, to what and why."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from jiuzhu.audit.tags import AUDIT_TAG_LABELS, AuditTag


class AppendOnlyError(RuntimeError):
    """Audit records are never changed or deleted."""


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人名称", max_length=100)
    channel = models.CharField("渠道", max_length=20, default="web")  # web / api / 命令行
    tag = models.CharField("事项", max_length=40, db_index=True)
    subject_type = models.CharField("对象类型", max_length=40, blank=True)
    subject_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    region_code = models.CharField("所属区划", max_length=12, blank=True, db_index=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("事由", blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)

    region_field = "region_code"

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.tag_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("审计记录只能新增，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计记录不能删除")

    @property
    def tag_label(self) -> str:
        try:
            return AUDIT_TAG_LABELS[AuditTag(self.tag)]
        except ValueError:
            return self.tag
