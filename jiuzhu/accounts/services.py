"""Account writes: API tokens, demo and system accounts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from axes.helpers import get_client_ip_address
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from jiuzhu.accounts.models import ApiToken, Department, Role, User
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.regions.models import Region

SYSTEM_USERNAME = "system"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, request: HttpRequest, username: str, password: str) -> str:
    """Check the password (django-axes counts failures and locks out) and return a new bearer token."""
    # axes needs the request to count failures per address (DESIGN.md §5b). It records a failure in the
    # database as it happens, so authenticate() stays outside the transaction: raising the refusal below
    # inside one would roll the failure back and the lockout would never trigger.
    user = authenticate(request, username=username, password=password)
    if user is None or not isinstance(user, User) or user.is_system:
        raise DomainError("bad_credentials", "用户名或密码错误，或账户已被锁定。")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user,
            digest=token_digest(token),
            expires_at=timezone.now() + dt.timedelta(hours=settings.JIUZHU_API_TOKEN_HOURS),
        )
        audit_record(
            actor=user,
            tag=AuditTag.TOKEN_ISSUE,
            subject_type="user",
            subject_id=user.pk,
            channel="api",
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        # A successful sign-in: clear this user's failures from this address as login() would
        # (AXES_RESET_ON_SUCCESS), without the session axes' login hook would create.
        update_last_login(type(user), user)
        if settings.AXES_RESET_ON_SUCCESS:
            axes_reset(ip=get_client_ip_address(request), username=user.get_username())
    return token


def api_token_user(token: str) -> User | None:
    """The active user a bearer token belongs to, or ``None`` when unknown or expired."""
    row = (
        ApiToken.objects.select_related("user", "user__region")
        .filter(digest=token_digest(token), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def system_user() -> User:
    """The bookkeeping account command-line actions are recorded under (audited as 命令行)."""
    national = Region.objects.filter(level="national").first()
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "命令行", "role": Role.COUNTY_MANAGER, "is_system": True, "region": national},
    )
    if user.region_id is None and national is not None:
        user.region = national
        user.save(update_fields=["region"])
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def user_create(
    *,
    username: str,
    password: str,
    role: Role,
    region: Region,
    display_name: str = "",
    department: Department = Department.CIVIL_AFFAIRS,
) -> User:
    """Create (or reset) an account; passwords are hashed with Argon2."""
    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "region": region})
    user.role, user.region, user.display_name, user.department = role, region, display_name, department
    user.is_active = True
    user.set_password(password)
    user.save()
    return user
