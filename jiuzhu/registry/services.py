"""Writes to the registry: one transaction and one audit record each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.errors import DomainError
from jiuzhu.core.scoping import within_jurisdiction
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry import tally
from jiuzhu.registry.choices import STATUS_CATEGORIES, Category, PersonStatus, PhaseOutReason
from jiuzhu.registry.models import CategoryEnrollment, Household, Membership, Person
from jiuzhu.registry.validation import FieldProblem, check_disability, check_person_identity

# A person's recorded facts, likewise (the person forms have a field for each).
PERSON_FIELDS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "hukou_type",
    "hukou_region_code",
    "phone",
    "disability_type",
    "disability_grade",
    "self_care",
    "labour_capacity",
    "health",
    "student",
    "care_setting",
    "special_status",
)
# A household's recorded facts: what an edit may change (the edit form has a field for each) and audit records show.
HOUSEHOLD_FIELDS = ("address", "urban_rural", "phone", "financial_assets", "house_count", "vehicle_count", "status")


class RegistryValidationError(DomainError):
    """Field problems found before writing; nothing was written."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("registry_invalid", "；".join(str(p) for p in problems))
        self.problems = problems


# Found by the check before writing, or by the unique index when two writers race past it.
_ALREADY_REGISTERED = FieldProblem("id_number", "身份证号", "已登记在另一户，同一人不能重复在册")


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for field in fields:
        value = getattr(obj, field)
        if field == "id_number":
            value = id_numbers.mask(value)  # audit rows never hold a full ID number
        values[field] = value if value is None or isinstance(value, (str, int, bool)) else str(value)
    return values


def _require_region(actor: User, region: Region) -> None:
    if region.level != RegionLevel.VILLAGE:
        raise DomainError("region_not_village", f"家庭应归属到村(社区)，“{region.name}”不是村(社区)。")
    if not within_jurisdiction(actor, region.code):
        raise DomainError("region_outside_jurisdiction", f"“{region.name}”不在您的管辖范围内。")


def _require_valid_person(data: dict[str, Any], *, exclude_person_id: int | None) -> None:
    """Raise ``RegistryValidationError`` with every problem of ``data`` (identity, disability, a second active
    registration of the same ID number, ``exclude_person_id`` being the person edited)."""
    problems = check_person_identity(
        id_number=data["id_number"], birth_date=data.get("birth_date"), sex=data.get("sex")
    )
    problems += check_disability(
        disability_type=data.get("disability_type"), disability_grade=data.get("disability_grade")
    )
    if not problems:
        duplicate = Person.objects.filter(id_number=id_numbers.normalize(data["id_number"]), status=PersonStatus.ACTIVE)
        if exclude_person_id is not None:
            duplicate = duplicate.exclude(pk=exclude_person_id)
        if duplicate.exists():
            problems.append(_ALREADY_REGISTERED)
    if problems:
        raise RegistryValidationError(problems)


def _identity_from_number(id_number: str) -> dict[str, Any]:
    """The normalised ID number with the birth date and sex it encodes (typed ones were checked to agree; left
    blank, they follow from the number)."""
    facts = id_numbers.parse(id_number)
    return {"id_number": facts.id_number, "birth_date": facts.birth_date, "sex": facts.sex}


def _audit_update(
    *,
    actor: User,
    tag: AuditTag,
    subject_type: str,
    subject: Household | Person,
    before: dict[str, Any],
    after: dict[str, Any],
    channel: str,
) -> None:
    """Record an edit of a household or person, old and new values; an edit that changed nothing leaves no record."""
    if before != after:
        audit_record(
            actor=actor,
            tag=tag,
            subject_type=subject_type,
            subject_id=subject.pk,
            region_code=subject.region_id,
            before=before,
            after=after,
            channel=channel,
        )


def next_household_number(region: Region) -> str:
    """户编号: the village code plus a 5-digit sequence."""
    # A range of the unique index, not LIKE (which would need an index of its own); digit strings order the
    # same in every collation.
    following = f"{int(region.code) + 1:0{len(region.code)}d}" if region.code.isdigit() else region.code + "\uffff"
    last = (
        Household.objects.filter(household_number__gte=region.code, household_number__lt=following)
        .order_by("-household_number")
        .values_list("household_number", flat=True)
        .first()
    )
    sequence = int(last[12:]) + 1 if last and last[12:].isdigit() else 1
    return f"{region.code}{sequence:05d}"


@transaction.atomic
def household_create(
    *,
    actor: User,
    region: Region,
    head: dict[str, Any],
    urban_rural: str,
    address: str = "",
    phone: str = "",
    household_number: str = "",
    valid_from: dt.date | None = None,
    channel: str = "web",
) -> Household:
    """New household with its head (户主)."""
    require(actor, Permission.REGISTRY_EDIT)
    _require_region(actor, region)
    _require_valid_person(head, exclude_person_id=None)
    with tally.households_changing() as change:
        household = Household.objects.create(
            household_number=household_number or next_household_number(region),
            region=region,
            urban_rural=urban_rural,
            address=address,
            phone=phone,
        )
        change.add_household(household.pk)
    audit_record(
        actor=actor,
        tag=AuditTag.HOUSEHOLD_CREATE,
        subject_type="household",
        subject_id=household.pk,
        region_code=region.code,
        after=_snapshot(household, HOUSEHOLD_FIELDS),
        channel=channel,
    )
    person_add_to_household(
        actor=actor, household=household, person_data=head, relation="head", valid_from=valid_from, channel=channel
    )
    return household


@transaction.atomic
def household_update(*, actor: User, household: Household, changes: dict[str, Any], channel: str = "web") -> Household:
    require(actor, Permission.REGISTRY_EDIT)
    with tally.households_changing([household.pk]):  # the status counts in the village tally
        household = Household.objects.select_for_update().get(pk=household.pk)
        before = _snapshot(household, HOUSEHOLD_FIELDS)
        for field, value in changes.items():
            if field not in HOUSEHOLD_FIELDS:
                raise ValueError(f"not a household field: {field}")
            setattr(household, field, value)
        household.save()
    _audit_update(
        actor=actor,
        tag=AuditTag.HOUSEHOLD_UPDATE,
        subject_type="household",
        subject=household,
        before=before,
        after=_snapshot(household, HOUSEHOLD_FIELDS),
        channel=channel,
    )
    return household


@transaction.atomic
def person_add_to_household(
    *,
    actor: User,
    household: Household,
    person_data: dict[str, Any],
    relation: str,
    in_household: bool = True,
    valid_from: dt.date | None = None,
    channel: str = "web",
) -> Person:
    """Register a new person and make them a member from ``valid_from`` (default today)."""
    require(actor, Permission.REGISTRY_EDIT)
    _require_valid_person(person_data, exclude_person_id=None)
    if relation == "head" and Membership.objects.current().filter(household=household, relation="head").exists():
        raise RegistryValidationError([FieldProblem("relation", "与户主关系", "该户已有户主")])
    values = {k: v for k, v in person_data.items() if k in PERSON_FIELDS}
    values.update(_identity_from_number(person_data["id_number"]))
    try:
        with transaction.atomic():
            person = Person.objects.create(region_id=household.region_id, **values)
    except IntegrityError:
        raise RegistryValidationError([_ALREADY_REGISTERED]) from None
    Membership.objects.create(
        person=person,
        household=household,
        relation=relation,
        in_household=in_household,
        valid_from=valid_from or timezone.localdate(),
    )
    audit_record(
        actor=actor,
        tag=AuditTag.PERSON_CREATE,
        subject_type="person",
        subject_id=person.pk,
        region_code=household.region_id,
        after={**_snapshot(person, PERSON_FIELDS), "relation": relation},
        channel=channel,
    )
    return person


@transaction.atomic
def person_update(
    *, actor: User, person: Person, changes: dict[str, Any], relation: str | None = None, channel: str = "web"
) -> Person:
    """Change a person's recorded facts (and their relation to the head); the old values go to the audit log."""
    require(actor, Permission.REGISTRY_EDIT)
    person = Person.objects.select_for_update().get(pk=person.pk)
    merged = {field: getattr(person, field) for field in PERSON_FIELDS} | changes
    _require_valid_person(merged, exclude_person_id=person.pk)
    before = _snapshot(person, PERSON_FIELDS)
    merged.update(_identity_from_number(merged["id_number"]))
    for field in PERSON_FIELDS:
        setattr(person, field, merged[field])
    person.save()
    after = _snapshot(person, PERSON_FIELDS)
    if relation is not None:
        membership = Membership.objects.current().filter(person=person).first()
        if (
            membership is not None
            and relation == "head"
            and membership.relation != "head"
            and Membership.objects.current().filter(household_id=membership.household_id, relation="head").exists()
        ):
            raise RegistryValidationError(
                [FieldProblem("relation", "与户主关系", "该户已有户主，请先把原户主改为其他关系")]
            )
        if membership is not None and membership.relation != relation:
            before["relation"], after["relation"] = membership.relation, relation
            membership.relation = relation
            membership.save(update_fields=["relation"])
    _audit_update(
        actor=actor,
        tag=AuditTag.PERSON_UPDATE,
        subject_type="person",
        subject=person,
        before=before,
        after=after,
        channel=channel,
    )
    return person


@transaction.atomic
def membership_end(
    *, actor: User, membership: Membership, on: dt.date, status: str, reason: str, channel: str = "web"
) -> Membership:
    """A member leaves (moves out, dies): the membership ends on ``on``; history stays."""
    require(actor, Permission.REGISTRY_EDIT)
    if status not in (PersonStatus.MOVED_OUT, PersonStatus.DECEASED):
        raise DomainError("membership_end_status", "成员离开家庭的情形只能是“迁出”或“死亡”。")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.valid_to is not None:
        raise DomainError("membership_ended", "该成员关系已经终止。")
    if on < membership.valid_from:
        raise DomainError("membership_before_start", "终止日期不能早于起始日期。")
    membership.valid_to = on
    membership.save(update_fields=["valid_to"])
    person = membership.person
    person.status = status
    if status == PersonStatus.DECEASED:
        person.deceased_on = on
    person.save(update_fields=["status", "deceased_on"])
    audit_record(
        actor=actor,
        tag=AuditTag.MEMBERSHIP_END,
        subject_type="person",
        subject_id=person.pk,
        region_code=membership.household.region_id,
        after={"valid_to": str(on), "status": status},
        reason=reason,
        channel=channel,
    )
    return membership


@transaction.atomic
def enrollment_start(
    *,
    actor: User,
    household: Household,
    category: str,
    valid_from: dt.date,
    person: Person | None = None,
    amount_month: Decimal | None = None,
    decision_number: str = "",
    note: str = "",
    channel: str = "web",
) -> CategoryEnrollment:
    """Enter a household (or one member) in a category. Statuses exclude one another (特困 > 低保 > 边缘 > 刚性)."""
    require(actor, Permission.REGISTRY_EDIT)
    change = tally.change_begin([household.pk])  # locks the household; the village tally counts categories
    current = CategoryEnrollment.objects.current().filter(household=household)
    if category in STATUS_CATEGORIES:
        clash = current.filter(category__in=STATUS_CATEGORIES, person=person).exclude(category=category).first()
        if clash is not None:
            raise DomainError(
                "status_exclusive",
                f"该{'人员' if person else '家庭'}已是“{Category(clash.category).label}”，"
                f"请先办理退出再纳入“{Category(category).label}”。",
            )
    if current.filter(category=category, person=person).exists():
        raise DomainError("already_enrolled", f"已在“{Category(category).label}”中。")
    # History must stay unambiguous: a new period may not begin before an earlier one of the same
    # category (or, for statuses, of another status) of the same household or person ended.
    clashing = [category, *STATUS_CATEGORIES] if category in STATUS_CATEGORIES else [category]
    earlier = (
        CategoryEnrollment.objects.filter(
            household=household, person=person, category__in=clashing, valid_to__gte=valid_from
        )
        .order_by("-valid_to")
        .first()
    )
    if earlier is not None:
        raise DomainError(
            "enrollment_overlap",
            f"纳入日期{valid_from:%Y-%m-%d}早于此前“{Category(earlier.category).label}”认定的终止日期"
            f"{earlier.valid_to:%Y-%m-%d}，时间段不能重叠。",
        )
    enrollment = CategoryEnrollment.objects.create(
        household=household,
        person=person,
        category=category,
        valid_from=valid_from,
        amount_month=amount_month,
        decision_number=decision_number,
        note=note,
    )
    change.finish()
    audit_record(
        actor=actor,
        tag=AuditTag.ENROLLMENT_START,
        subject_type="household",
        subject_id=household.pk,
        region_code=household.region_id,
        after={
            "category": category,
            "valid_from": str(valid_from),
            "person_id": person.pk if person else None,
            "amount_month": None if amount_month is None else str(amount_month),
        },
        channel=channel,
    )
    return enrollment


@transaction.atomic
def enrollment_end(
    *, actor: User, enrollment: CategoryEnrollment, on: dt.date, reason: str, channel: str = "web"
) -> CategoryEnrollment:
    require(actor, Permission.REGISTRY_EDIT)
    change = tally.change_begin([enrollment.household_id])  # locks the household, then the enrollment
    enrollment = CategoryEnrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.valid_to is not None:
        raise DomainError("enrollment_ended", "该认定已经终止。")
    if on < enrollment.valid_from:
        raise DomainError("enrollment_before_start", "退出日期不能早于纳入日期。")
    if enrollment.phase_out_start is not None and on < enrollment.phase_out_start:
        raise DomainError(
            "enrollment_before_phase_out", f"退出日期不能早于渐退开始日期{enrollment.phase_out_start:%Y-%m-%d}。"
        )
    enrollment.valid_to, enrollment.end_reason = on, reason
    enrollment.save(update_fields=["valid_to", "end_reason"])
    change.finish()
    audit_record(
        actor=actor,
        tag=AuditTag.ENROLLMENT_END,
        subject_type="household",
        subject_id=enrollment.household_id,
        region_code=enrollment.household.region_id,
        after={"category": enrollment.category, "valid_to": str(on)},
        reason=reason,
        channel=channel,
    )
    return enrollment


def _phase_out_enrollment(actor: User, enrollment: CategoryEnrollment) -> CategoryEnrollment:
    """The enrollment, locked and read again, once it is one a 渐退 may be recorded on or cancelled from: inside
    the actor's jurisdiction, a whole household's 低保 (the rules read 渐退 from the household's enrollment,
    case-format.md ``dibao_enrollment``), and not ended."""
    enrollment = CategoryEnrollment.objects.select_for_update().get(pk=enrollment.pk)
    if not within_jurisdiction(actor, enrollment.household.region_id):
        raise DomainError("enrollment_outside_jurisdiction", "该认定不在您的管辖范围内。")
    if enrollment.category != Category.DIBAO:
        raise DomainError("phase_out_not_dibao", f"渐退只适用于低保，该认定是“{Category(enrollment.category).label}”。")
    if enrollment.person_id is not None:
        raise DomainError("phase_out_not_household", "渐退按整户低保登记，个人认定（单人保）不适用。")
    if enrollment.valid_to is not None:
        raise DomainError("enrollment_ended", f"该低保已于{enrollment.valid_to:%Y-%m-%d}终止，不能再办理渐退。")
    return enrollment


def _phase_out_facts(enrollment: CategoryEnrollment) -> dict[str, Any]:
    return {
        "category": enrollment.category,
        "phase_out_reason": enrollment.phase_out_reason,
        "phase_out_start": None if enrollment.phase_out_start is None else str(enrollment.phase_out_start),
    }


def _write_phase_out(
    actor: User, enrollment: CategoryEnrollment, reason: str, start: dt.date | None, tag: AuditTag, channel: str
) -> CategoryEnrollment:
    """Save the enrollment's 渐退 (reason and start, or none) and audit it on the household."""
    before = _phase_out_facts(enrollment)
    enrollment.phase_out_reason, enrollment.phase_out_start = reason, start
    enrollment.save(update_fields=["phase_out_reason", "phase_out_start"])
    _audit_update(
        actor=actor,
        tag=tag,
        subject_type="household",
        subject=enrollment.household,
        before=before,
        after=_phase_out_facts(enrollment),
        channel=channel,
    )
    return enrollment


@transaction.atomic
def enrollment_phase_out_start(
    *, actor: User, enrollment: CategoryEnrollment, reason: str, start: dt.date, channel: str = "web"
) -> CategoryEnrollment:
    """Record that a household's current 低保 is in 渐退 from ``start`` for ``reason`` (就业增收 or 主动申报退出).
    The enrollment stays current: the rules keep paying its ``amount_month`` for the pack's months while the
    income is above the standard; the case worker ends it (``enrollment_end``) when the 渐退期 is over."""
    require(actor, Permission.REGISTRY_EDIT)
    enrollment = _phase_out_enrollment(actor, enrollment)
    if reason not in PhaseOutReason.values:
        raise DomainError("phase_out_reason", "渐退原因只能是“就业增收”或“主动申报退出”。")
    if enrollment.phase_out_start is not None:
        raise DomainError(
            "phase_out_recorded",
            f"该低保已登记渐退（{enrollment.get_phase_out_reason_display()}，"
            f"自{enrollment.phase_out_start:%Y-%m-%d}起）；如需更改，请先撤销渐退。",
        )
    if start < enrollment.valid_from:
        raise DomainError(
            "phase_out_before_start", f"渐退开始日期不能早于纳入低保的日期{enrollment.valid_from:%Y-%m-%d}。"
        )
    return _write_phase_out(actor, enrollment, reason, start, AuditTag.ENROLLMENT_PHASE_OUT_START, channel)


@transaction.atomic
def enrollment_phase_out_cancel(
    *, actor: User, enrollment: CategoryEnrollment, channel: str = "web"
) -> CategoryEnrollment:
    """Take back a 渐退 recorded on a current 低保 (entered by mistake, or the household stays in 低保): the
    enrollment is paid as before; the audit record keeps the reason and start that were recorded."""
    require(actor, Permission.REGISTRY_EDIT)
    enrollment = _phase_out_enrollment(actor, enrollment)
    if enrollment.phase_out_start is None:
        raise DomainError("phase_out_not_recorded", "该低保没有登记渐退，无需撤销。")
    return _write_phase_out(actor, enrollment, "", None, AuditTag.ENROLLMENT_PHASE_OUT_CANCEL, channel)


@transaction.atomic
def id_number_reveal(
    *, actor: User, person: Person, reason: str, channel: str = "web", ip_address: str | None = None
) -> str:
    """The full ID number, for a user with the right, recorded with the reason given."""
    require(actor, Permission.ID_NUMBER_REVEAL)
    if not reason.strip():
        raise DomainError("reveal_reason_required", "请填写查看完整身份证号的事由。")
    audit_record(
        actor=actor,
        tag=AuditTag.ID_NUMBER_REVEAL,
        subject_type="person",
        subject_id=person.pk,
        region_code=person.region_id,
        reason=reason.strip(),
        channel=channel,
        ip_address=ip_address,
    )
    return person.id_number
