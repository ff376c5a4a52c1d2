"""Writing audit records: called by the service that performs the action, never by a signal."""

from __future__ import annotations

from typing import Any

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag


def audit_record(
    *,
    actor: User,
    tag: AuditTag,
    subject_type: str = "",
    subject_id: object = "",
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    channel: str = "web",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit record inside the caller's transaction."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=str(actor) if not actor.is_system else "命令行",
        channel=channel,
        tag=str(tag),
        subject_type=subject_type,
        subject_id=str(subject_id),
        region_code=region_code,
        before=before,
        after=after,
        reason=reason,
        ip_address=ip_address,
    )
