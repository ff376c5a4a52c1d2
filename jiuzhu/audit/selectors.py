"""Reads of the audit log, scoped like everything else."""

from __future__ import annotations

from django.db.models import QuerySet

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AUDIT_TAG_LABELS

AUDIT_TAG_CHOICES = [(tag.value, label) for tag, label in AUDIT_TAG_LABELS.items()]


def audit_list_for(*, user: User, tag: str = "") -> QuerySet[AuditEvent]:
    """Audit records about the user's jurisdiction (records with no region are visible county-wide and up)."""
    prefix = user.jurisdiction_prefix()
    if prefix is None:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(region_code__startswith=prefix) if prefix else AuditEvent.objects.all()
    if tag:
        events = events.filter(tag=tag)
    return events.select_related("actor")


def audit_recent_for(*, user: User, limit: int) -> list[AuditEvent]:
    return list(audit_list_for(user=user)[:limit])
