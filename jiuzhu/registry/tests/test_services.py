"""Registry writes: each checks rights and data, writes once, and leaves one audit record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.core.testing import factories
from jiuzhu.registry import services
from jiuzhu.registry.models import CategoryEnrollment, Household, Membership, Person

pytestmark = pytest.mark.django_db


def head_data(**extra: object) -> dict[str, object]:
    return {"name": "赵建国", "id_number": factories.id_number(birth=dt.date(1958, 2, 3)), **extra}


def new_household(actor: User, village: str = factories.VILLAGE_A1, **head: object) -> Household:
    return services.household_create(
        actor=actor,
        region=factories.region(village),
        head=head_data(**head),
        urban_rural="rural",
        address="羊毫街1号",
        valid_from=dt.date(2024, 1, 1),
    )


def member(household: Household, relation: str = "head") -> Membership:
    return Membership.objects.select_related("person").get(
        household=household, relation=relation, valid_to__isnull=True
    )


# ---------------------------------------------------------------- households and persons


def test_household_create_registers_head_from_the_id_number(village_worker: User) -> None:
    household = new_household(village_worker)
    head = member(household).person
    assert head.birth_date == dt.date(1958, 2, 3)
    assert head.sex == "male"
    assert head.region_id == factories.VILLAGE_A1
    assert household.household_number == f"{factories.VILLAGE_A1}00001"
    tags = list(AuditEvent.objects.order_by("id").values_list("tag", flat=True))
    assert tags == [AuditTag.HOUSEHOLD_CREATE, AuditTag.PERSON_CREATE]
    created = AuditEvent.objects.get(tag=AuditTag.PERSON_CREATE).after or {}
    assert created["id_number"] == id_numbers.mask(head.id_number)


def test_household_create_outside_the_jurisdiction_is_refused(village_worker: User) -> None:
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        new_household(village_worker, village=factories.VILLAGE_A2)
    assert not Household.objects.exists()


def test_household_create_with_a_bad_id_writes_nothing(village_worker: User) -> None:
    good = factories.id_number()
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    with pytest.raises(services.RegistryValidationError) as refused:
        services.household_create(
            actor=village_worker,
            region=factories.region(factories.VILLAGE_A1),
            head={"name": "错号", "id_number": bad},
            urban_rural="rural",
        )
    assert [(p.field, p.label) for p in refused.value.problems] == [("id_number", "身份证号")]
    assert refused.value.problems[0].message.startswith("校验位错误：第18位应为")
    assert not Household.objects.exists()
    assert not AuditEvent.objects.exists()


def test_person_update_keeps_old_values_in_the_audit_with_masked_ids(village_worker: User) -> None:
    # given a head registered with one number
    household = new_household(village_worker, labour_capacity="full")
    head = member(household).person
    old_number = head.id_number
    corrected = factories.id_number(birth=dt.date(1958, 2, 3))
    # when the number and labour capacity are corrected
    services.person_update(
        actor=village_worker,
        person=head,
        changes={"id_number": corrected, "labour_capacity": "partial", "birth_date": None},
    )
    # then the person holds the new values, and the audit the old and new ones, numbers masked
    head.refresh_from_db()
    assert head.id_number == corrected
    assert head.labour_capacity == "partial"
    event = AuditEvent.objects.get(tag=AuditTag.PERSON_UPDATE)
    before, after = event.before or {}, event.after or {}
    assert before["id_number"] == id_numbers.mask(old_number)
    assert after["id_number"] == id_numbers.mask(corrected)
    assert before["labour_capacity"] == "full"
    assert after["labour_capacity"] == "partial"
    assert old_number not in str(before)
    assert corrected not in str(after)


def test_person_update_without_change_writes_no_audit(village_worker: User) -> None:
    head = member(new_household(village_worker)).person
    services.person_update(actor=village_worker, person=head, changes={"name": head.name})
    assert not AuditEvent.objects.filter(tag=AuditTag.PERSON_UPDATE).exists()


def test_person_update_refuses_a_second_head(village_worker: User) -> None:
    household = new_household(village_worker)
    spouse = services.person_add_to_household(
        actor=village_worker,
        household=household,
        relation="spouse",
        person_data={"name": "钱秀英", "id_number": factories.id_number(birth=dt.date(1960, 1, 1), sex="female")},
    )
    with pytest.raises(services.RegistryValidationError, match="该户已有户主"):
        services.person_update(actor=village_worker, person=spouse, changes={}, relation="head")
    assert member(household, "spouse").person == spouse


def test_person_add_refuses_an_id_already_active_elsewhere(village_worker: User) -> None:
    first = new_household(village_worker)
    taken = member(first).person.id_number
    second = factories.make_household(factories.VILLAGE_A1)
    with pytest.raises(services.RegistryValidationError, match="已登记在另一户"):
        services.person_add_to_household(
            actor=village_worker, household=second, relation="son", person_data={"name": "重复", "id_number": taken}
        )


@pytest.mark.parametrize("role", [Role.TOWNSHIP_REVIEWER, Role.DEPARTMENT_USER, Role.SUPERVISOR, Role.SYSTEM_ADMIN])
def test_roles_without_edit_right_cannot_write(role: Role) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    user = factories.make_user(role)
    with pytest.raises(PermissionRefused):
        services.household_update(actor=user, household=household, changes={"address": "改"})
    with pytest.raises(PermissionRefused):
        services.enrollment_start(actor=user, household=household, category="dibao", valid_from=dt.date(2025, 1, 1))
    assert not AuditEvent.objects.exists()


# ---------------------------------------------------------------- memberships


def test_membership_end_keeps_the_row_and_marks_the_person(village_worker: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2, valid_from=dt.date(2024, 1, 1))
    spouse = member(household, "spouse")
    services.membership_end(
        actor=village_worker, membership=spouse, on=dt.date(2025, 6, 3), status="deceased", reason="病故"
    )
    spouse.refresh_from_db()
    person = Person.objects.get(pk=spouse.person_id)
    assert spouse.valid_to == dt.date(2025, 6, 3)
    assert person.status == "deceased"
    assert person.deceased_on == dt.date(2025, 6, 3)
    assert Membership.objects.filter(household=household).count() == 2  # history kept
    event = AuditEvent.objects.get(tag=AuditTag.MEMBERSHIP_END)
    assert event.reason == "病故"
    assert event.after == {"valid_to": "2025-06-03", "status": "deceased"}


def test_membership_end_twice_or_before_start_is_refused(village_worker: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2, valid_from=dt.date(2024, 1, 1))
    spouse = member(household, "spouse")
    with pytest.raises(DomainError, match="不能早于起始日期"):
        services.membership_end(
            actor=village_worker, membership=spouse, on=dt.date(2023, 12, 31), status="moved_out", reason="迁出"
        )
    with pytest.raises(DomainError, match="只能是“迁出”或“死亡”"):
        services.membership_end(
            actor=village_worker, membership=spouse, on=dt.date(2025, 1, 1), status="active", reason="?"
        )
    services.membership_end(
        actor=village_worker, membership=spouse, on=dt.date(2025, 1, 1), status="moved_out", reason="迁出"
    )
    with pytest.raises(DomainError, match="已经终止"):
        services.membership_end(
            actor=village_worker, membership=spouse, on=dt.date(2025, 2, 1), status="moved_out", reason="迁出"
        )
    assert AuditEvent.objects.filter(tag=AuditTag.MEMBERSHIP_END).count() == 1


# ---------------------------------------------------------------- categories


def test_enrollment_statuses_exclude_one_another_but_tags_do_not(township_officer: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    services.enrollment_start(
        actor=township_officer,
        household=household,
        category="dibao",
        valid_from=dt.date(2024, 1, 1),
        amount_month=Decimal("500.00"),
    )
    with pytest.raises(DomainError, match="该家庭已是“低保”，请先办理退出再纳入“特困”"):
        services.enrollment_start(
            actor=township_officer, household=household, category="tekun", valid_from=dt.date(2025, 1, 1)
        )
    with pytest.raises(DomainError, match="已在“低保”中"):
        services.enrollment_start(
            actor=township_officer, household=household, category="dibao", valid_from=dt.date(2025, 1, 1)
        )
    services.enrollment_start(
        actor=township_officer, household=household, category="relapse_watch", valid_from=dt.date(2025, 1, 1)
    )
    assert sorted(CategoryEnrollment.objects.values_list("category", flat=True)) == ["dibao", "relapse_watch"]


def test_enrollment_after_exit_may_start_the_next_day_but_not_overlap(township_officer: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    dibao = services.enrollment_start(
        actor=township_officer, household=household, category="dibao", valid_from=dt.date(2024, 1, 1)
    )
    services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2025, 3, 31), reason="渐退期满")
    # a backdated start inside the ended period would make the history say two things at once
    with pytest.raises(DomainError, match="早于此前“低保”认定的终止日期2025-03-31"):
        services.enrollment_start(
            actor=township_officer, household=household, category="marginal", valid_from=dt.date(2025, 3, 1)
        )
    marginal = services.enrollment_start(
        actor=township_officer, household=household, category="marginal", valid_from=dt.date(2025, 4, 1)
    )
    assert marginal.valid_from == dt.date(2025, 4, 1)


def test_an_individual_status_is_separate_from_the_household_one(township_officer: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    spouse = member(household, "spouse").person
    services.enrollment_start(
        actor=township_officer, household=household, category="dibao", valid_from=dt.date(2024, 1, 1)
    )
    tekun = services.enrollment_start(
        actor=township_officer, household=household, category="tekun", person=spouse, valid_from=dt.date(2024, 6, 1)
    )
    assert tekun.person == spouse
    with pytest.raises(DomainError, match="该人员已是“特困”"):
        services.enrollment_start(
            actor=township_officer,
            household=household,
            category="marginal",
            person=spouse,
            valid_from=dt.date(2025, 1, 1),
        )


def test_enrollment_end_records_reason_and_refuses_a_date_before_start(township_officer: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    dibao = services.enrollment_start(
        actor=township_officer, household=household, category="dibao", valid_from=dt.date(2024, 1, 1)
    )
    with pytest.raises(DomainError, match="退出日期不能早于纳入日期"):
        services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2023, 1, 1), reason="x")
    services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2025, 1, 31), reason="收入超标")
    dibao.refresh_from_db()
    assert (dibao.valid_to, dibao.end_reason) == (dt.date(2025, 1, 31), "收入超标")
    with pytest.raises(DomainError, match="已经终止"):
        services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2025, 2, 1), reason="again")


# ---------------------------------------------------------------- 渐退 (phase-out) of 低保


def _dibao(actor: User, village: str = factories.VILLAGE_A1) -> CategoryEnrollment:
    """A whole household's 低保 since 2023-04-01 at 620.00 a month."""
    household = factories.make_household(village, members=2)
    return services.enrollment_start(
        actor=actor, household=household, category="dibao", valid_from=dt.date(2023, 4, 1), amount_month=Decimal("620")
    )


def test_phase_out_is_recorded_and_cancelled_on_the_enrollment_with_audit(township_officer: User) -> None:
    dibao = _dibao(township_officer)
    recorded = services.enrollment_phase_out_start(
        actor=township_officer, enrollment=dibao, reason="employment", start=dt.date(2025, 5, 10)
    )
    dibao.refresh_from_db()
    assert (dibao.phase_out_reason, dibao.phase_out_start) == ("employment", dt.date(2025, 5, 10))
    assert recorded.get_phase_out_reason_display() == "就业增收"
    assert dibao.valid_to is None  # still enrolled: 渐退 keeps paying until the case worker ends it
    started = AuditEvent.objects.get(tag=AuditTag.ENROLLMENT_PHASE_OUT_START)
    assert started.actor == township_officer
    assert (started.subject_type, started.subject_id, started.region_code) == (
        "household",
        str(dibao.household_id),
        factories.VILLAGE_A1,
    )
    assert started.before == {"category": "dibao", "phase_out_reason": "", "phase_out_start": None}
    assert started.after == {"category": "dibao", "phase_out_reason": "employment", "phase_out_start": "2025-05-10"}
    assert started.tag_label == "登记渐退"

    services.enrollment_phase_out_cancel(actor=township_officer, enrollment=dibao)
    dibao.refresh_from_db()
    assert (dibao.phase_out_reason, dibao.phase_out_start) == ("", None)
    cancelled = AuditEvent.objects.get(tag=AuditTag.ENROLLMENT_PHASE_OUT_CANCEL)
    assert cancelled.before == started.after  # what was taken back stays in the log
    assert cancelled.after == started.before
    # once cancelled, another 渐退 may be recorded (e.g. 主动申报退出 instead)
    services.enrollment_phase_out_start(
        actor=township_officer, enrollment=dibao, reason="voluntary", start=dt.date(2025, 6, 1)
    )
    dibao.refresh_from_db()
    assert dibao.phase_out_reason == "voluntary"


def test_phase_out_refusals_are_chinese_and_write_nothing(township_officer: User) -> None:
    dibao = _dibao(township_officer)
    marginal_household = factories.make_household(factories.VILLAGE_A1)
    marginal = services.enrollment_start(
        actor=township_officer, household=marginal_household, category="marginal", valid_from=dt.date(2024, 1, 1)
    )
    single_household = factories.make_household(factories.VILLAGE_A1, members=2)
    single = services.enrollment_start(  # 单人保: one member's 低保
        actor=township_officer,
        household=single_household,
        category="dibao",
        person=member(single_household, "spouse").person,
        valid_from=dt.date(2024, 1, 1),
    )
    ended = _dibao(township_officer)
    services.enrollment_end(actor=township_officer, enrollment=ended, on=dt.date(2025, 3, 31), reason="收入超标")
    start = dt.date(2025, 5, 1)
    refusals = [
        (marginal, "employment", start, "渐退只适用于低保，该认定是“低保边缘”"),
        (single, "employment", start, "渐退按整户低保登记"),
        (ended, "employment", start, "该低保已于2025-03-31终止，不能再办理渐退"),
        (dibao, "employment", dt.date(2023, 3, 31), "渐退开始日期不能早于纳入低保的日期2023-04-01"),
        (dibao, "moved_away", start, "渐退原因只能是“就业增收”或“主动申报退出”"),
    ]
    before = AuditEvent.objects.count()
    for enrollment, reason, day, message in refusals:
        with pytest.raises(DomainError, match=message):
            services.enrollment_phase_out_start(actor=township_officer, enrollment=enrollment, reason=reason, start=day)
    with pytest.raises(DomainError, match="该低保没有登记渐退，无需撤销"):
        services.enrollment_phase_out_cancel(actor=township_officer, enrollment=dibao)
    assert AuditEvent.objects.count() == before
    assert not CategoryEnrollment.objects.exclude(phase_out_reason="").exists()

    services.enrollment_phase_out_start(actor=township_officer, enrollment=dibao, reason="employment", start=start)
    with pytest.raises(DomainError, match="已登记渐退（就业增收，自2025-05-01起）；如需更改，请先撤销渐退"):
        services.enrollment_phase_out_start(
            actor=township_officer, enrollment=dibao, reason="voluntary", start=dt.date(2025, 6, 1)
        )
    # leaving 低保 cannot be dated before the 渐退 began
    with pytest.raises(DomainError, match="退出日期不能早于渐退开始日期2025-05-01"):
        services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2025, 4, 30), reason="x")
    services.enrollment_end(actor=township_officer, enrollment=dibao, on=dt.date(2025, 10, 31), reason="渐退期满")
    with pytest.raises(DomainError, match="该低保已于2025-10-31终止"):
        services.enrollment_phase_out_cancel(actor=township_officer, enrollment=dibao)
    dibao.refresh_from_db()
    assert dibao.phase_out_reason == "employment"  # the ended enrollment keeps its 渐退 as history


def test_phase_out_needs_the_edit_right_and_the_jurisdiction(township_officer: User, village_worker: User) -> None:
    inside = _dibao(township_officer, factories.VILLAGE_A1)
    elsewhere = _dibao(township_officer, factories.VILLAGE_A2)  # 北关, but not the village worker's 羊毫街
    reviewer = factories.make_user(Role.TOWNSHIP_REVIEWER)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionRefused, match="新增、修改家庭和成员"):
        services.enrollment_phase_out_start(
            actor=reviewer, enrollment=inside, reason="employment", start=dt.date(2025, 5, 1)
        )
    with pytest.raises(DomainError, match="该认定不在您的管辖范围内"):
        services.enrollment_phase_out_start(
            actor=village_worker, enrollment=elsewhere, reason="employment", start=dt.date(2025, 5, 1)
        )
    assert AuditEvent.objects.count() == before
    # the village worker keeps the data of their own village, 渐退 included (the same right as any enrollment)
    services.enrollment_phase_out_start(
        actor=village_worker, enrollment=inside, reason="employment", start=dt.date(2025, 5, 1)
    )
    with pytest.raises(PermissionRefused):
        services.enrollment_phase_out_cancel(actor=reviewer, enrollment=inside)


def test_the_database_keeps_a_phase_out_whole_and_after_the_enrollment_began(township_officer: User) -> None:
    dibao = _dibao(township_officer)
    for reason, start in [("employment", None), ("", dt.date(2025, 5, 1)), ("employment", dt.date(2023, 1, 1))]:
        with pytest.raises(IntegrityError), transaction.atomic():
            CategoryEnrollment.objects.filter(pk=dibao.pk).update(phase_out_reason=reason, phase_out_start=start)


# ---------------------------------------------------------------- ID number reveal


def test_id_number_reveal_needs_the_right_and_a_reason(township_officer: User, village_worker: User) -> None:
    person = member(factories.make_household(factories.VILLAGE_A1)).person
    with pytest.raises(PermissionRefused, match="查看完整身份证号"):
        services.id_number_reveal(actor=village_worker, person=person, reason="看看")
    with pytest.raises(DomainError, match="请填写查看完整身份证号的事由"):
        services.id_number_reveal(actor=township_officer, person=person, reason="  ")
    assert not AuditEvent.objects.exists()
    number = services.id_number_reveal(
        actor=township_officer, person=person, reason=" 入户核查 ", ip_address="10.1.2.3"
    )
    assert number == person.id_number
    event = AuditEvent.objects.get()
    assert (event.tag, event.reason, event.ip_address) == (AuditTag.ID_NUMBER_REVEAL, "入户核查", "10.1.2.3")
