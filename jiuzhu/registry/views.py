"""Registry pages: the household list and page, and the forms that change households, members and
categories. Views parse, call one selector or service and render; records outside the user's
jurisdiction are 404 (the selectors), missing rights are 403 (``require``, rendered by the middleware).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.registry import selectors, services
from jiuzhu.registry.forms import (
    EnrollmentEndForm,
    EnrollmentStartForm,
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdFilterForm,
    MemberAddForm,
    MembershipEndForm,
    PersonEditForm,
    PersonForm,
    PhaseOutForm,
    RevealForm,
    add_problems,
)

T = TypeVar("T")

PAGE_SIZE = 20
# A one-character surname matches tens of thousands of households in a county of a million people; counting
# them all costs about a second on PostgreSQL, and nobody pages through them: name searches count this far.
NAME_SEARCH_CAP = 1000


def _user(request: HttpRequest) -> User:
    """The signed-in user (the middleware sends everyone else to the login page)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _is_partial(request: HttpRequest) -> bool:
    """An HTMX request that wants a fragment (a history restore after a cache miss wants the page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _show_domain_error(form: forms.Form, error: DomainError) -> None:
    """A refusal of the service shown on the form: field problems next to their fields, others on top."""
    if isinstance(error, PermissionRefused):
        raise error
    if isinstance(error, services.RegistryValidationError):
        add_problems(form, error.problems)
    else:
        form.add_error(None, error.message)


def _submitted(request: HttpRequest, form: forms.Form, save: Callable[[], T]) -> T | None:
    """What ``save`` (the view's one service call) returns when a valid form was posted; ``None`` for a GET, an
    invalid form or a refusal of the service (shown on the form), when the view renders the form again."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save()
    except DomainError as error:
        _show_domain_error(form, error)
        return None


def _back_to_household(request: HttpRequest, household_id: int, message: str) -> HttpResponse:
    """After a change: its confirmation, on the page of the household it concerns."""
    messages.success(request, message)
    return redirect("household_detail", household_id=household_id)


def household_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Permission.REGISTRY_VIEW)
    today = timezone.localdate()
    form = HouseholdFilterForm(request.GET or None, regions=selectors.region_options_for(user=user))
    form.is_valid()
    filters = form.to_filter()
    households = selectors.household_list_for(user=user, filters=filters, on=today)
    with selectors.serial_plans():
        paginator = CappedPaginator(
            households,
            PAGE_SIZE,
            cap=NAME_SEARCH_CAP if selectors.looks_like_name(filters.query) else None,
            total=selectors.household_list_total(user=user, filters=filters, on=today),
        )
        page = paginator.get_page(request.GET.get("page"))
        rows = selectors.household_page_rows(households=list(page.object_list), on=today)
    kept = {k: v for k, v in (form.cleaned_data if form.is_bound else {}).items() if v}
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "today": today,
        "filtered": bool(kept),
        "pager_query": urlencode(kept),
        "page_numbers": _page_numbers(page.number, page.paginator.num_pages),
    }
    if _is_partial(request):
        response = render(request, "registry/household_list.html#results", context)
        if selectors.looks_like_id_number(filters.query):
            response["HX-Push-Url"] = "false"  # a full ID number stays out of the address bar and history
    else:
        response = render(request, "registry/household_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


class CappedPaginator(Paginator):
    """The list's paginator: uses a ``total`` known beforehand (the village tally's); otherwise (a search) reads the
    matches once instead of counting them and then reading a page of them:

    - with a ``cap`` (name searches), the ids of the first ``cap + 1`` matches in list order, then one page of
      them by primary key (``truncated`` says whether more than ``cap`` exist);
    - without (an ID number or 户编号: a match or two), the first page and one more row: fewer than a page is
      the whole result, and nothing needs counting.
    """

    def __init__(self, queryset: QuerySet[Any], per_page: int, *, cap: int | None, total: int | None = None) -> None:
        super().__init__(queryset, per_page)
        self.queryset = queryset
        self.cap = cap
        self.total = total
        self.truncated = False
        self.first_rows: list[Any] | None = None
        self.capped_ids: list[int] | None = None

    @cached_property
    def count(self) -> int:
        if self.total is not None:
            return self.total
        if self.cap is not None:
            self.capped_ids = list(self.queryset.values_list("pk", flat=True)[: self.cap + 1])
            self.truncated = len(self.capped_ids) > self.cap
            del self.capped_ids[self.cap :]
            return len(self.capped_ids)
        rows = list(self.queryset[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.first_rows = rows
            return len(rows)
        return self.queryset.count()

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self.capped_ids is not None:
            bottom = (number - 1) * self.per_page
            return Page(
                selectors.households_in_order(ids=self.capped_ids[bottom : bottom + self.per_page]), number, self
            )
        if self.first_rows is not None:
            return Page(self.first_rows, number, self)
        return super().page(number)


def _page_numbers(current: int, last: int) -> list[int | None]:
    """Page links around the current page, first and last always; ``None`` marks a gap (…)."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def household_detail_view(request: HttpRequest, household_id: int) -> HttpResponse:
    user = _user(request)
    require(user, Permission.REGISTRY_VIEW)
    today = timezone.localdate()
    detail = selectors.household_detail_for(user=user, household_id=household_id, on=today)
    return render(request, "registry/household_detail.html", {"d": detail, "h": detail.household, "today": today})


@require_http_methods(["GET", "POST"])
def household_create_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Permission.REGISTRY_EDIT)
    villages = selectors.region_options_for(user=user, villages_only=True)
    form = HouseholdCreateForm(request.POST or None, villages=villages)
    head_form = PersonForm(request.POST or None, prefix="head")
    both_valid = all([form.is_valid(), head_form.is_valid()])  # both run, so every error shows at once
    if request.method == "POST" and both_valid:
        village = selectors.village_get_for(user=user, code=form.cleaned_data["village"])
        try:
            household = services.household_create(
                actor=user,
                region=village,
                head=head_form.person_data(),
                urban_rural=form.cleaned_data["urban_rural"],
                address=form.cleaned_data["address"],
                phone=form.cleaned_data["phone"],
                valid_from=form.cleaned_data["valid_from"],
            )
        except services.RegistryValidationError as error:
            add_problems(head_form, error.problems)
        except DomainError as error:
            _show_domain_error(form, error)
        else:
            return _back_to_household(request, household.pk, f"已新增家庭，户编号 {household.household_number}。")
    return render(request, "registry/household_form.html", {"form": form, "head_form": head_form, "creating": True})


@require_http_methods(["GET", "POST"])
def household_edit_view(request: HttpRequest, household_id: int) -> HttpResponse:
    user = _user(request)
    household = selectors.household_get_for(user=user, household_id=household_id)
    require(user, Permission.REGISTRY_EDIT)
    initial = {field: getattr(household, field) for field in services.HOUSEHOLD_FIELDS}
    form = HouseholdEditForm(request.POST or None, initial=initial)
    saved = _submitted(
        request,
        form,
        lambda: services.household_update(
            actor=user,
            household=household,
            changes={field: form.cleaned_data[field] for field in services.HOUSEHOLD_FIELDS},
        ),
    )
    if saved is not None:
        return _back_to_household(request, household.pk, "家庭信息已保存。")
    return render(request, "registry/household_form.html", {"form": form, "household": household})


@require_http_methods(["GET", "POST"])
def member_add_view(request: HttpRequest, household_id: int) -> HttpResponse:
    user = _user(request)
    household = selectors.household_get_for(user=user, household_id=household_id)
    require(user, Permission.REGISTRY_EDIT)
    form = MemberAddForm(request.POST or None)
    person = _submitted(
        request,
        form,
        lambda: services.person_add_to_household(
            actor=user,
            household=household,
            person_data=form.person_data(),
            relation=form.cleaned_data["relation"],
            in_household=form.cleaned_data["in_household"],
            valid_from=form.cleaned_data["valid_from"],
        ),
    )
    if person is not None:
        return _back_to_household(request, household.pk, f"已将{person.name}登记为家庭成员。")
    return render(request, "registry/person_form.html", {"form": form, "household": household})


@require_http_methods(["GET", "POST"])
def person_edit_view(request: HttpRequest, person_id: int) -> HttpResponse:
    user = _user(request)
    person = selectors.person_get_for(user=user, person_id=person_id)
    require(user, Permission.REGISTRY_EDIT)
    membership = selectors.person_latest_membership(person=person)
    is_current = membership is not None and membership.valid_to is None
    derived = ("id_number", "sex", "birth_date")  # the number never goes into the page; the others follow it
    initial: dict[str, Any] = {
        field: getattr(person, field) for field in PersonForm.person_fields if field not in derived
    }
    if membership is not None:
        initial["relation"] = membership.relation
    form = PersonEditForm(
        request.POST or None,
        initial=initial,
        has_household=is_current,
        current_id_number=person.id_number,
        current_sex=person.sex,
        current_birth_date=person.birth_date,
    )
    saved = _submitted(
        request,
        form,
        lambda: services.person_update(
            actor=user, person=person, changes=form.person_data(), relation=form.cleaned_data.get("relation")
        ),
    )
    if saved is not None:
        message = f"{form.cleaned_data['name']}的信息已保存，修改前的内容已记入审计日志。"
        if membership is not None:
            return _back_to_household(request, membership.household_id, message)
        messages.success(request, message)
        return redirect("household_list")
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "person": person, "household": membership.household if membership else None},
    )


@require_http_methods(["GET", "POST"])
def membership_end_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    user = _user(request)
    membership = selectors.membership_get_for(user=user, membership_id=membership_id)
    require(user, Permission.REGISTRY_EDIT)
    form = MembershipEndForm(request.POST or None, began_on=membership.valid_from)
    ended = _submitted(
        request,
        form,
        lambda: services.membership_end(
            actor=user,
            membership=membership,
            on=form.cleaned_data["on"],
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
        ),
    )
    if ended is not None:
        return _back_to_household(
            request, membership.household_id, f"{membership.person.name}的家庭成员关系已终止，历史记录保留。"
        )
    open_enrollments = selectors.person_current_enrollments(person=membership.person, on=timezone.localdate())
    return render(
        request,
        "registry/membership_end.html",
        {
            "form": form,
            "membership": membership,
            "household": membership.household,
            "open_enrollments": open_enrollments,
        },
    )


@require_http_methods(["GET", "POST"])
def enrollment_start_view(request: HttpRequest, household_id: int) -> HttpResponse:
    user = _user(request)
    household = selectors.household_get_for(user=user, household_id=household_id)
    require(user, Permission.REGISTRY_EDIT)
    members = selectors.household_members(household=household)
    form = EnrollmentStartForm(request.POST or None, members=[(m.person_id, m.person.name) for m in members])
    enrollment = _submitted(
        request,
        form,
        lambda: services.enrollment_start(
            actor=user,
            household=household,
            category=form.cleaned_data["category"],
            valid_from=form.cleaned_data["valid_from"],
            person=next((m.person for m in members if m.person_id == form.person_id()), None),
            amount_month=form.cleaned_data["amount_month"],
            decision_number=form.cleaned_data["decision_number"],
            note=form.cleaned_data["note"],
        ),
    )
    if enrollment is not None:
        return _back_to_household(request, household.pk, f"已纳入“{enrollment.get_category_display()}”。")
    active = selectors.household_enrollments_active_on(household=household, on=timezone.localdate())
    return render(
        request, "registry/enrollment_start.html", {"form": form, "household": household, "active_enrollments": active}
    )


@require_http_methods(["GET", "POST"])
def enrollment_end_view(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    user = _user(request)
    enrollment = selectors.enrollment_get_for(user=user, enrollment_id=enrollment_id)
    require(user, Permission.REGISTRY_EDIT)
    form = EnrollmentEndForm(request.POST or None, began_on=enrollment.valid_from)
    ended = _submitted(
        request,
        form,
        lambda: services.enrollment_end(
            actor=user, enrollment=enrollment, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"]
        ),
    )
    if ended is not None:
        return _back_to_household(
            request, enrollment.household_id, f"已办理退出“{enrollment.get_category_display()}”。"
        )
    return render(
        request,
        "registry/enrollment_end.html",
        {"form": form, "enrollment": enrollment, "household": enrollment.household},
    )


PHASE_OUT_PAGE = "registry/enrollment_phase_out.html"
# Sent with a changed 渐退 by HTMX: the household page computes its entitlement again.
PHASE_OUT_CHANGED = "phase-out-changed"


def _phase_out_changed(request: HttpRequest, enrollment: object, household_id: int, message: str) -> HttpResponse:
    """After a 渐退 was recorded or cancelled: by HTMX, the enrollment's 渐退 line again (and the event that
    refreshes the entitlement); without, the household page with the confirmation."""
    if _is_partial(request):
        response = render(request, f"{PHASE_OUT_PAGE}#status", {"enrollment": enrollment})
        response["HX-Trigger"] = PHASE_OUT_CHANGED
        return response
    return _back_to_household(request, household_id, message)


@require_http_methods(["GET", "POST"])
def enrollment_phase_out_view(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """登记渐退 on a 低保 enrollment. GET: the form (by HTMX, inline on the household page; with ``?cancel``, the
    enrollment's 渐退 line again); POST: records it."""
    user = _user(request)
    enrollment = selectors.enrollment_get_for(user=user, enrollment_id=enrollment_id)
    require(user, Permission.REGISTRY_EDIT)
    partial = _is_partial(request)
    if request.method == "GET" and "cancel" in request.GET and partial:
        return render(request, f"{PHASE_OUT_PAGE}#status", {"enrollment": enrollment})
    form = PhaseOutForm(request.POST or None, began_on=enrollment.valid_from, auto_id=f"id_phase_out{enrollment.pk}_%s")
    recorded = _submitted(
        request,
        form,
        lambda: services.enrollment_phase_out_start(
            actor=user, enrollment=enrollment, reason=form.cleaned_data["reason"], start=form.cleaned_data["start"]
        ),
    )
    if recorded is not None:
        start = form.cleaned_data["start"]
        message = f"已登记渐退：{recorded.get_phase_out_reason_display()}，自{start.year}年{start.month}月起。"
        return _phase_out_changed(request, recorded, recorded.household_id, message)
    context = {"form": form, "enrollment": enrollment, "household": enrollment.household}
    return render(request, f"{PHASE_OUT_PAGE}#phase_out_form" if partial else PHASE_OUT_PAGE, context)


@require_http_methods(["GET", "POST"])
def enrollment_phase_out_cancel_view(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """撤销渐退. GET: the confirmation page (the household page asks in the browser instead); POST: cancels it.
    A refusal (already cancelled, enrollment ended) is rendered by the middleware."""
    user = _user(request)
    enrollment = selectors.enrollment_get_for(user=user, enrollment_id=enrollment_id)
    require(user, Permission.REGISTRY_EDIT)
    if request.method == "POST":
        cancelled = services.enrollment_phase_out_cancel(actor=user, enrollment=enrollment)
        return _phase_out_changed(request, cancelled, cancelled.household_id, "已撤销渐退，救助待遇按未渐退测算。")
    return render(
        request, PHASE_OUT_PAGE, {"enrollment": enrollment, "household": enrollment.household, "cancelling": True}
    )


@require_http_methods(["GET", "POST"])
def person_reveal_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """GET: the reason form (or, with ``?cancel``, the masked number again); POST: the full number, audited."""
    user = _user(request)
    person = selectors.person_get_for(user=user, person_id=person_id)
    require(user, Permission.ID_NUMBER_REVEAL)
    partial = _is_partial(request)
    if request.method == "GET" and "cancel" in request.GET and partial:
        return render(request, "registry/person_reveal.html#masked", {"person": person})
    form = RevealForm(request.POST or None, auto_id=f"id_reveal{person.pk}_%s")  # unique per row
    context: dict[str, Any] = {
        "form": form,
        "person": person,
        "household": getattr(selectors.person_latest_membership(person=person), "household", None),
    }
    if request.method == "POST" and form.is_valid():
        context["revealed"] = services.id_number_reveal(
            actor=user, person=person, reason=form.cleaned_data["reason"], ip_address=request.META.get("REMOTE_ADDR")
        )
        template = "registry/person_reveal.html#revealed" if partial else "registry/person_reveal.html"
    else:
        template = "registry/person_reveal.html#reveal_form" if partial else "registry/person_reveal.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # a revealed number must not stay in a cache
    return response
