"""Home page per role, and the audit log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiuzhu.accounts.permissions import Permission, has_permission, require
from jiuzhu.audit import selectors as audit_selectors
from jiuzhu.registry import selectors as registry_selectors
from jiuzhu.registry.choices import Category


def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    counts = registry_selectors.household_counts_by_category(user=user, on=today)  # type: ignore[arg-type]
    cards = [("在册家庭", counts["households"])] + [
        (Category(c).label, counts[c])
        for c in ("dibao", "tekun", "marginal", "rigid_expense", "other_hardship", "relapse_watch")
    ]
    can_audit = has_permission(user, Permission.AUDIT_VIEW)  # type: ignore[arg-type]
    recent = audit_selectors.audit_recent_for(user=user, limit=8) if can_audit else []  # type: ignore[arg-type]
    return render(request, "accounts/home.html", {"cards": cards, "today": today, "recent": recent})


def audit_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, Permission.AUDIT_VIEW)  # type: ignore[arg-type]
    events = audit_selectors.audit_list_for(user=request.user, tag=request.GET.get("tag", ""))  # type: ignore[arg-type]
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_list.html",
        {"page": page, "tags": audit_selectors.AUDIT_TAG_CHOICES, "tag": request.GET.get("tag", "")},
    )
