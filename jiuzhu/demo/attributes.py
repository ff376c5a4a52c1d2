"""Each person's recorded facts: hukou, disability, health, self-care, labour capacity, schooling.

The facts agree with one another and with age: a child under 16 has no labour capacity, a
grade-1 disability usually means care is needed, a 特困 adult living alone is severely disabled,
everyone aged 6–14 is at school. Rates are illustrative (disability ≈ 6–8 % of the low-income
population, more among the elderly; type shares from the 2006 second national disability sample
survey); ``None`` (unknown) is left on a few people whose household was never fully investigated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiuzhu.demo.generator import HEAD, NO_DATE, OTHER, RIGID, TEKUN, Households, People, age_on

DISABILITY_TYPES = np.array(["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"])
# 第二次全国残疾人抽样调查 (2006): 视力 14.86 %, 听力 24.16 %, 言语 1.53 %, 肢体 29.07 %, 智力 6.68 %,
# 精神 7.40 %, 多重 16.30 %.
DISABILITY_TYPE_SHARE = np.array([14.86, 24.16, 1.53, 29.07, 6.68, 7.40, 16.30])
CHILD_DISABILITY_TYPE_SHARE = np.array([5, 10, 10, 20, 35, 0, 20], dtype=float)
INTELLECTUAL, MENTAL = 4, 5
GRADE_SHARE = np.array([0.12, 0.25, 0.30, 0.33])  # grades 1–4 among certificate holders

SELF_CARE = np.array(["full", "partial", "none"])
CAPACITY = np.array(["full", "partial", "none"])
HEALTH = np.array(["healthy", "chronic", "serious_illness"])
STUDENT = np.array(["primary", "junior_secondary", "senior_secondary", "vocational", "college", "postgraduate"])
CARE_SETTING = np.array(["institutional", "home_based"])
SPECIAL = np.array(["none", "religious_apart", "in_prison", "missing", "conscript"])
FULL, PARTIAL, NONE = 0, 1, 2
HEALTHY, CHRONIC, SERIOUS = 0, 1, 2
PRIMARY, JUNIOR, SENIOR, VOCATIONAL, COLLEGE, POSTGRADUATE = range(6)
SPECIAL_NONE, RELIGIOUS_APART, IN_PRISON, MISSING, CONSCRIPT = range(5)
UNKNOWN = -1


@dataclass
class Facts:
    age: np.ndarray
    hukou_urban: np.ndarray
    hukou_region: np.ndarray  # index into layout.all_village_codes, or -1: the household's village
    disability_type: np.ndarray  # index into DISABILITY_TYPES or -1
    disability_grade: np.ndarray  # 1–4 or -1
    health: np.ndarray  # or -1 unknown
    self_care: np.ndarray  # or -1 unknown/not assessed (young children)
    labour: np.ndarray  # or -1 unknown
    student: np.ndarray  # or -1
    care_setting: np.ndarray  # or -1
    special: np.ndarray
    in_household: np.ndarray
    tekun_person: np.ndarray


def _by_age(age: np.ndarray, bands: tuple[int, ...], rates: tuple[float, ...]) -> np.ndarray:
    return np.array(rates)[np.searchsorted(np.array(bands), age, side="right")]


def person_facts(
    rng: np.random.Generator, people: People, households: Households, as_of: int, village_count: int
) -> Facts:
    n = len(people)
    h = people.household
    status = households.status[h]
    urban = households.urban[h]
    age = age_on(people.birth, as_of)
    living = people.deceased_on == NO_DATE
    r = rng.random

    hukou_urban = np.where(urban, r(n) < 0.88, r(n) < 0.03)
    moved = r(n) < 0.05  # 人户分离: hukou in another village of the county
    hukou_region = np.where(moved & (village_count > 0), rng.integers(0, max(village_count, 1), n), -1)

    tekun_person = (status == TEKUN) & living
    # Disability: by age, raised by household status and by structures that imply it.
    rate = _by_age(age, (18, 45, 60, 80), (0.01, 0.016, 0.026, 0.065, 0.11))
    rate = rate * np.array([1.6, 1.15, 0.9, 1.1, 0.7])[status]
    rate = np.where(people.vulnerable, 0.2, rate)
    disabled = r(n) < rate
    # A 特困 adult under 60 living alone has no labour capacity through severe disability.
    severe_forced = tekun_person & (age >= 18) & (age < 60)
    disabled |= severe_forced
    child = age < 18
    disability_type = np.where(
        child,
        rng.choice(7, size=n, p=CHILD_DISABILITY_TYPE_SHARE / CHILD_DISABILITY_TYPE_SHARE.sum()),
        rng.choice(7, size=n, p=DISABILITY_TYPE_SHARE / DISABILITY_TYPE_SHARE.sum()),
    )
    grade = rng.choice([1, 2, 3, 4], size=n, p=GRADE_SHARE)
    grade = np.where(
        severe_forced,
        np.where(
            np.isin(disability_type, (INTELLECTUAL, MENTAL)), rng.choice([1, 2, 3], size=n), rng.choice([1, 2], size=n)
        ),
        grade,
    )
    grade = np.where(people.vulnerable & disabled, np.minimum(grade, rng.choice([2, 3], size=n)), grade)
    disability_type = np.where(disabled, disability_type, UNKNOWN)
    grade = np.where(disabled, grade, UNKNOWN)
    severe = disabled & ((grade <= 2) | ((grade == 3) & np.isin(disability_type, (INTELLECTUAL, MENTAL))))

    # Health.
    chronic_rate = _by_age(age, (18, 45, 60, 75), (0.03, 0.10, 0.25, 0.40, 0.50))
    serious_rate = _by_age(age, (18, 45, 60, 75), (0.015, 0.03, 0.07, 0.09, 0.11))
    serious_rate = serious_rate * np.array([1.3, 1.2, 1.0, 1.0, 0.7])[status]
    draw = r(n)
    health = np.where(draw < serious_rate, SERIOUS, np.where(draw < serious_rate + chronic_rate, CHRONIC, HEALTHY))
    # 刚性支出: most such households pay for a serious illness; the head (or spouse) carries it.
    medical_rigid = (status == RIGID) & (people.relation <= 1) & (r(n) < 0.55)
    health = np.where(medical_rigid, SERIOUS, health)

    # Self-care (six-item assessment; not assessed for children under 6).
    p_none = np.maximum.reduce(
        [
            _by_age(age, (70, 80), (0.0, 0.03, 0.08)),
            np.where(disabled & (grade == 1), 0.45, 0.0),
            np.where(disabled & (grade == 2), 0.15, 0.0),
            np.where(health == SERIOUS, 0.10, 0.0),
        ]
    )
    p_partial = np.maximum.reduce(
        [
            _by_age(age, (60, 70, 80), (0.0, 0.04, 0.10, 0.25)),
            np.where(disabled & (grade == 1), 0.40, 0.0),
            np.where(disabled & (grade == 2), 0.45, 0.0),
            np.where(disabled & (grade == 3), 0.15, 0.0),
            np.where(health == SERIOUS, 0.30, 0.0),
        ]
    )
    draw = r(n)
    self_care = np.where(draw < p_none, NONE, np.where(draw < p_none + p_partial, PARTIAL, FULL))
    self_care = np.where(age < 6, UNKNOWN, self_care)

    # Labour capacity, consistent with age, disability, illness and self-care.
    labour = np.full(n, FULL)
    labour = np.where(disabled & (grade >= 3) & ~severe, PARTIAL, labour)
    labour = np.where((health == CHRONIC) & (r(n) < 0.3), PARTIAL, labour)
    labour = np.where((health == SERIOUS) & (r(n) < 0.6), NONE, np.where(health == SERIOUS, PARTIAL, labour))
    labour = np.where(severe | (self_care == NONE), NONE, labour)
    labour = np.where(self_care == PARTIAL, np.maximum(labour, PARTIAL), labour)
    labour = np.where((age >= 60) & (age < 70), np.where((labour == FULL) & (r(n) < 0.5), PARTIAL, NONE), labour)
    labour = np.where((age >= 70) | (age < 16), NONE, labour)
    labour = np.where(tekun_person, NONE, labour)  # 特困 means recognised as 无劳动能力 (特困办法 Art. 5)

    # Schooling.
    college_rate = np.where(urban, 0.40, 0.30)
    student = np.full(n, UNKNOWN)
    student = np.where((age >= 6) & (age <= 11) & (r(n) < 0.98), PRIMARY, student)
    student = np.where((age >= 12) & (age <= 14) & (r(n) < 0.97), JUNIOR, student)
    upper = r(n)
    student = np.where(
        (age >= 15) & (age <= 17), np.where(upper < 0.6, SENIOR, np.where(upper < 0.9, VOCATIONAL, UNKNOWN)), student
    )
    student = np.where((age >= 18) & (age <= 21) & (r(n) < college_rate), COLLEGE, student)
    later = r(n)
    student = np.where(
        (age >= 22) & (age <= 25),
        np.where(later < 0.03, POSTGRADUATE, np.where((age == 22) & (later < 0.2), COLLEGE, UNKNOWN)),
        student,
    )
    student = np.where(disabled & (grade == 1) & np.isin(disability_type, (INTELLECTUAL, MENTAL)), UNKNOWN, student)
    # Education costs are the other usual 刚性支出: a child at college.
    rigid_student = (status == RIGID) & (age >= 18) & (age <= 22) & (people.relation >= 2)
    student = np.where(rigid_student, COLLEGE, student)

    # 特困: care in an institution (敬老院) is likelier for those who cannot look after themselves.
    household_draw = rng.random(len(households.status))[h]
    institutional_rate = np.where(self_care == NONE, 0.6, np.where(self_care == PARTIAL, 0.35, 0.15))
    care_setting = np.where(tekun_person, np.where(household_draw < institutional_rate, 0, 1), UNKNOWN)
    care_setting = np.where(tekun_person & (age < 18), 1, care_setting)

    # Members registered but not counted (审核确认办法 Art. 7): rare, never the head.
    special = np.full(n, SPECIAL_NONE)
    draw = r(n)
    not_head = (people.relation != HEAD) & living
    special = np.where(not_head & (age >= 20) & (age < 50) & (draw < 0.003), IN_PRISON, special)
    special = np.where(not_head & (age >= 25) & (draw > 0.999), RELIGIOUS_APART, special)
    special = np.where(
        not_head & people.male & (age >= 18) & (age <= 22) & (draw > 0.995) & (draw <= 0.999), CONSCRIPT, special
    )
    in_household = np.isin(special, (SPECIAL_NONE, CONSCRIPT))

    # Households registered in the database but never fully investigated: some facts unknown.
    uninvestigated = (status == OTHER) & (r(n) < 0.03)
    health = np.where(uninvestigated, UNKNOWN, health)
    labour = np.where(uninvestigated & (age >= 16) & (age < 70) & ~tekun_person, UNKNOWN, labour)
    return Facts(
        age=age,
        hukou_urban=hukou_urban,
        hukou_region=hukou_region,
        disability_type=disability_type,
        disability_grade=grade,
        health=health,
        self_care=self_care,
        labour=labour,
        student=student,
        care_setting=care_setting,
        special=special,
        in_household=in_household,
        tekun_person=tekun_person,
    )
