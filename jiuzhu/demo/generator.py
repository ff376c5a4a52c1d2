"""Synthetic households and people for a demo county, vectorised with NumPy (no Django here).

``generate_county`` draws, for ``N`` households spread over the county's villages: a status
(特困/低保/边缘/刚性/其他困难), a household structure (1–6 members, larger in the countryside),
the members with birth dates consistent with the structure (spouses of similar age, children
20–35 years younger than their mother, the head's parents, grandchildren), names, and each
person's hukou, disability, health, self-care, labour capacity and schooling. ``history.py`` adds
enrollments with their history, incomes and assets. Dates are day numbers since 1970-01-01.

Figures are illustrative, chosen to match the national proportions in DOMAIN.md §7; they are not
policy parameters and no rule reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from jiuzhu.demo.geography import Township, TownshipKind, Village
from jiuzhu.demo.names import draw_given_names, draw_surnames

YEAR = 365.2425
NO_DATE = -(2**62)  # sentinel in day arrays: no date (a valid date may be negative: before 1970)

# Statuses, deepest first (DOMAIN.md §1.1).
TEKUN, DIBAO, MARGINAL, RIGID, OTHER = range(5)
STATUS_NAMES = ("tekun", "dibao", "marginal", "rigid_expense", "other_hardship")
# Share of households per status. Chosen so that the share of *persons* comes out near the national
# database (DOMAIN.md §7: 低保 ≈ 60 %, 特困 ≈ 7 %, 边缘 ≈ 9 %, 刚性 ≈ 2 %, 其他 ≈ 20 %), given that
# 特困 households are mostly one person and 边缘/刚性 households are larger.
STATUS_HOUSEHOLD_SHARE = np.array([0.125, 0.650, 0.060, 0.011, 0.154])

RELATIONS = np.array(
    [
        "head",
        "spouse",
        "son",
        "daughter",
        "parent",
        "grandparent",
        "grandchild",
        "sibling",
        "son_in_law",
        "daughter_in_law",
        "other",
    ]
)
HEAD, SPOUSE, SON, DAUGHTER, PARENT, GRANDPARENT, GRANDCHILD, SIBLING, SON_IN_LAW, DAUGHTER_IN_LAW = range(10)

# Household structures.
(
    SINGLE_ELDER,
    SINGLE_ADULT,
    ELDER_COUPLE,
    COUPLE,
    SINGLE_PARENT,
    COUPLE_CHILDREN,
    THREE_GENERATIONS,
    SKIPPED_GENERATION,
    ELDER_WITH_ADULT_CHILD,
    EXTENDED,
    SIBLINGS,
) = range(11)
TEMPLATE_COUNT = 11
# Probabilities of each structure per status, (urban, rural). Columns follow the constants above.
TEMPLATE_SHARE = {
    TEKUN: ((0.78, 0.16, 0.05, 0, 0, 0, 0, 0.01, 0, 0, 0), (0.76, 0.15, 0.06, 0, 0, 0, 0, 0.03, 0, 0, 0)),
    DIBAO: (
        (0.26, 0.32, 0.08, 0.05, 0.15, 0.06, 0.01, 0.02, 0.04, 0.00, 0.01),
        (0.25, 0.20, 0.16, 0.06, 0.08, 0.09, 0.04, 0.05, 0.05, 0.00, 0.02),
    ),
    MARGINAL: (
        (0.08, 0.08, 0.14, 0.10, 0.10, 0.30, 0.10, 0.03, 0.05, 0.02, 0),
        (0.07, 0.05, 0.14, 0.10, 0.06, 0.30, 0.13, 0.05, 0.05, 0.05, 0),
    ),
    RIGID: ((0, 0, 0.05, 0.10, 0.12, 0.48, 0.15, 0, 0, 0.10, 0), (0, 0, 0.05, 0.10, 0.08, 0.45, 0.20, 0, 0, 0.12, 0)),
    OTHER: (
        (0.12, 0.08, 0.14, 0.10, 0.08, 0.28, 0.10, 0.03, 0.05, 0.02, 0),
        (0.11, 0.07, 0.14, 0.10, 0.06, 0.27, 0.12, 0.05, 0.05, 0.03, 0),
    ),
}

# Where a member's surname comes from.
SURNAME_OWN, SURNAME_HEAD, SURNAME_SPOUSE, SURNAME_FAMILY, SURNAME_SKIPPED = range(5)

# Share of urban households by (township kind, village is a 社区).
URBAN_SHARE = {
    (TownshipKind.STREET, True): 0.95,
    (TownshipKind.STREET, False): 0.40,
    (TownshipKind.TOWN, True): 0.70,
    (TownshipKind.TOWN, False): 0.05,
    (TownshipKind.RURAL, True): 0.50,
    (TownshipKind.RURAL, False): 0.02,
    (TownshipKind.OTHER, True): 0.60,
    (TownshipKind.OTHER, False): 0.10,
}
TOWNSHIP_WEIGHT = {TownshipKind.STREET: 1.0, TownshipKind.TOWN: 1.6, TownshipKind.RURAL: 1.3, TownshipKind.OTHER: 0.25}


@dataclass(frozen=True)
class CountyLayout:
    county_code: str  # 6 digits
    county_name: str
    townships: list[Township]
    villages: list[Village]  # of the townships that receive households, in township order
    village_township: np.ndarray  # township index of each village
    all_village_codes: list[str]  # every village of the county known now (for 人户分离 hukou)
    birthplace_codes: tuple[int, ...]  # other counties of the same city (6-digit), for spouses married in
    city_code: int
    province_code: int


@dataclass
class People:
    household: np.ndarray  # household index
    relation: np.ndarray  # index into RELATIONS
    male: np.ndarray
    birth: np.ndarray  # day number
    surname_from: np.ndarray
    vulnerable: np.ndarray  # structure makes disability likely (the adult child of an elderly head …)
    deceased_on: np.ndarray  # NO_DATE unless the member has died
    name: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    def __len__(self) -> int:
        return len(self.household)


@dataclass
class Households:
    village: np.ndarray  # index into layout.villages
    urban: np.ndarray
    status: np.ndarray
    template: np.ndarray


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers."""
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    return (years.astype(np.int64) + 1970, (months - years).astype(np.int64) + 1, (dates - months).astype(np.int64) + 1)


def age_on(birth: np.ndarray, on: int) -> np.ndarray:
    """Completed years on day ``on``."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(np.array([on]))
    return oy[0] - by - ((om[0] < bm) | ((om[0] == bm) & (od[0] < bd)))


def day_of(year: int, month: int = 1, day: int = 1) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def allocate_townships(rng: np.random.Generator, kinds: list[TownshipKind], households: int) -> np.ndarray:
    """Households per township. The first township (the demo users') always gets some, and a county
    of 100 or more households spreads them over at least three townships."""
    weights = np.array([TOWNSHIP_WEIGHT[k] for k in kinds]) * rng.lognormal(0.0, 0.4, len(kinds))
    weights[0] = max(weights[0], weights.mean())
    counts = rng.multinomial(households, weights / weights.sum())
    if households >= 1 and counts[0] == 0:
        counts[np.argmax(counts)] -= 1
        counts[0] += 1
    wanted = min(3, len(kinds)) if households >= 100 else 1
    while np.count_nonzero(counts) < wanted:
        counts[np.argmax(counts)] -= 1
        counts[np.flatnonzero(counts == 0)[0]] += 1
    return counts


def place_households(rng: np.random.Generator, layout: CountyLayout, township_counts: np.ndarray) -> Households:
    """Spread each township's households over its villages, then draw urban/rural, status and structure."""
    village_counts = np.zeros(len(layout.villages), dtype=np.int64)
    for township in np.flatnonzero(township_counts):
        members = np.flatnonzero(layout.village_township == township)
        weights = rng.lognormal(0.0, 0.6, len(members))
        village_counts[members] = rng.multinomial(township_counts[township], weights / weights.sum())
    village = np.repeat(np.arange(len(layout.villages)), village_counts)
    n = len(village)
    urban_share = np.array(
        [
            URBAN_SHARE[(layout.townships[t].kind, v.is_community)]
            for t, v in zip(layout.village_township, layout.villages, strict=True)
        ]
    )
    urban = rng.random(n) < urban_share[village]
    status = rng.choice(5, size=n, p=STATUS_HOUSEHOLD_SHARE / STATUS_HOUSEHOLD_SHARE.sum())
    template = np.zeros(n, dtype=np.int64)
    for code, (urban_p, rural_p) in TEMPLATE_SHARE.items():
        for is_urban, shares in ((True, urban_p), (False, rural_p)):
            index = np.flatnonzero((status == code) & (urban == is_urban))
            p = np.array(shares, dtype=float)
            template[index] = rng.choice(TEMPLATE_COUNT, size=len(index), p=p / p.sum())
    return Households(village=village, urban=urban, status=status, template=template)


class _Members:
    """Collects members slot by slot (one array per slot of a structure)."""

    def __init__(self, rng: np.random.Generator, as_of: int) -> None:
        self.rng, self.as_of = rng, as_of
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        household: np.ndarray,
        relation: int | np.ndarray,
        male: np.ndarray,
        birth: np.ndarray,
        surname_from: int,
        *,
        keep: np.ndarray | None = None,
        vulnerable: bool = False,
        deceased_on: np.ndarray | None = None,
    ) -> None:
        n = len(household)
        relation_array = np.broadcast_to(np.asarray(relation), (n,)).astype(np.int64)
        died = np.full(n, NO_DATE, dtype=np.int64) if deceased_on is None else deceased_on
        # Nobody is born in the future or lives past 100 here.
        alive_span = (birth <= self.as_of - 7) & (birth > self.as_of - int(100 * YEAR))
        keep = alive_span if keep is None else keep & alive_span
        self.parts.append(
            (
                household[keep],
                relation_array[keep],
                male[keep],
                birth[keep],
                np.full(int(keep.sum()), surname_from),
                np.full(int(keep.sum()), vulnerable),
                died[keep],
            )
        )

    def ages(self, n: int, low: float, high: float, a: float = 1.0, b: float = 1.0) -> np.ndarray:
        """Birth days of people aged between ``low`` and ``high`` years (beta-shaped)."""
        years = low + (high - low) * self.rng.beta(a, b, n)
        return self.as_of - (years * YEAR).astype(np.int64)

    def years(self, n: int, low: float, high: float) -> np.ndarray:
        return (self.rng.uniform(low, high, n) * YEAR).astype(np.int64)

    def spouse_birth(self, head_birth: np.ndarray, head_male: np.ndarray) -> np.ndarray:
        """Wives are on average two years younger than husbands (gaps beyond -8 … +12 years are cut)."""
        gap = np.clip(self.rng.normal(2.0, 3.0, len(head_birth)), -8, 12) * YEAR
        return head_birth + np.where(head_male, gap, -gap).astype(np.int64)

    def people(self) -> People:
        columns = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        order = np.lexsort((columns[1], columns[0]))  # by household, head first
        household, relation, male, birth, surname_from, vulnerable, died = (c[order] for c in columns)
        return People(
            household=household,
            relation=relation,
            male=male.astype(bool),
            birth=birth,
            surname_from=surname_from,
            vulnerable=vulnerable.astype(bool),
            deceased_on=died,
        )


def _children(
    m: _Members,
    household: np.ndarray,
    mother_birth: np.ndarray,
    counts: np.ndarray,
    relation_male: int,
    relation_female: int,
    surname_from: int,
) -> None:
    for slot in range(int(counts.max(initial=0))):
        n = len(household)
        male = m.rng.random(n) < 0.52
        birth = mother_birth + m.years(n, 20, 35)
        relation = np.where(male, relation_male, relation_female)
        m.add(household, relation, male, birth, surname_from, keep=counts > slot)


def build_members(rng: np.random.Generator, households: Households, as_of: int) -> People:
    """Members of every household, structure by structure."""
    m = _Members(rng, as_of)
    tekun = households.status == TEKUN
    for template in range(TEMPLATE_COUNT):
        hh = np.flatnonzero(households.template == template)
        n = len(hh)
        if not n:
            continue
        r = rng.random
        if template == SINGLE_ELDER:
            male = r(n) < 0.42
            birth = m.ages(n, 60, 96, 1.3, 2.2)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            widowed = r(n) < 0.25  # a spouse who died in the last six years stays in the history
            died = as_of - rng.integers(60, int(6 * YEAR), n)
            m.add(hh, SPOUSE, ~male, m.spouse_birth(birth, male), SURNAME_SPOUSE, keep=widowed, deceased_on=died)
        elif template == SINGLE_ADULT:
            m.add(hh, HEAD, r(n) < 0.6, m.ages(n, 22, 60, 1.4, 1.2), SURNAME_OWN, vulnerable=True)
        elif template in (ELDER_COUPLE, COUPLE):
            male = r(n) < 0.88
            birth = m.ages(n, 60, 92, 1.3, 2.5) if template == ELDER_COUPLE else m.ages(n, 35, 60, 1.5, 1.2)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            m.add(hh, SPOUSE, ~male, m.spouse_birth(birth, male), SURNAME_SPOUSE)
        elif template in (SINGLE_PARENT, COUPLE_CHILDREN):
            single = template == SINGLE_PARENT
            male = r(n) < (0.28 if single else 0.88)
            birth = m.ages(n, 26, 56, 1.5, 1.6) if single else m.ages(n, 28, 58, 1.4, 1.4)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            mother = birth
            if not single:
                spouse = m.spouse_birth(birth, male)
                m.add(hh, SPOUSE, ~male, spouse, SURNAME_SPOUSE)
                mother = np.where(male, spouse, birth)
            counts = rng.choice([1, 2, 3], size=n, p=[0.6, 0.32, 0.08] if single else [0.45, 0.42, 0.13])
            _children(m, hh, mother, counts, SON, DAUGHTER, SURNAME_FAMILY)
        elif template == THREE_GENERATIONS:
            male = r(n) < 0.85
            birth = m.ages(n, 30, 55, 1.3, 1.3)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            has_spouse = r(n) < 0.85
            spouse = m.spouse_birth(birth, male)
            m.add(hh, SPOUSE, ~male, spouse, SURNAME_SPOUSE, keep=has_spouse)
            father = birth - m.years(n, 22, 38)
            both_parents = r(n) < 0.4
            father_alive = ~both_parents & (r(n) < 0.35)
            m.add(hh, PARENT, np.ones(n, bool), father, SURNAME_HEAD, keep=both_parents | father_alive)
            mother_of_head = np.minimum(m.spouse_birth(father, np.ones(n, bool)), birth - int(18 * YEAR))
            m.add(hh, PARENT, np.zeros(n, bool), mother_of_head, SURNAME_OWN, keep=~father_alive)
            mother = np.where(male & has_spouse, spouse, np.where(male, birth - m.years(n, 0, 3), birth))
            _children(m, hh, mother, rng.choice([0, 1, 2], size=n, p=[0.2, 0.5, 0.3]), SON, DAUGHTER, SURNAME_FAMILY)
        elif template == SKIPPED_GENERATION:
            # Grandparents raising grandchildren whose parents work away (or are gone).
            is_tekun = tekun[hh]
            grandchild_age = np.where(is_tekun, rng.uniform(6, 15, n), rng.uniform(3, 17, n))
            head_age = np.maximum(grandchild_age + rng.uniform(45, 62, n), np.where(is_tekun, 70.0, 0.0))
            male = r(n) < 0.6
            birth = as_of - (head_age * YEAR).astype(np.int64)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            m.add(hh, SPOUSE, ~male, m.spouse_birth(birth, male), SURNAME_SPOUSE, keep=~is_tekun & (r(n) < 0.6))
            first = as_of - (grandchild_age * YEAR).astype(np.int64)
            m.add(hh, GRANDCHILD, r(n) < 0.52, first, SURNAME_SKIPPED)
            second_age = np.clip(grandchild_age + rng.uniform(-6, 6, n), 1, 17)
            m.add(
                hh,
                GRANDCHILD,
                r(n) < 0.52,
                as_of - (second_age * YEAR).astype(np.int64),
                SURNAME_SKIPPED,
                keep=~is_tekun & (r(n) < 0.35),
            )
        elif template == ELDER_WITH_ADULT_CHILD:
            male = r(n) < 0.6
            birth = m.ages(n, 60, 88, 1.2, 1.8)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            has_spouse = r(n) < 0.5
            spouse = m.spouse_birth(birth, male)
            m.add(hh, SPOUSE, ~male, spouse, SURNAME_SPOUSE, keep=has_spouse)
            mother = np.where(male & has_spouse, spouse, birth)
            child_male = r(n) < 0.6
            m.add(
                hh,
                np.where(child_male, SON, DAUGHTER),
                child_male,
                mother + m.years(n, 22, 36),
                SURNAME_FAMILY,
                vulnerable=True,
            )
        elif template == EXTENDED:
            male = r(n) < 0.9
            birth = m.ages(n, 50, 72, 1.3, 1.5)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            has_spouse = r(n) < 0.9
            spouse = m.spouse_birth(birth, male)
            m.add(hh, SPOUSE, ~male, spouse, SURNAME_SPOUSE, keep=has_spouse)
            son = np.where(male & has_spouse, spouse, birth) + m.years(n, 22, 32)
            m.add(hh, SON, np.ones(n, bool), son, SURNAME_FAMILY)
            daughter_in_law = son + (rng.normal(1.5, 2.0, n) * YEAR).astype(np.int64)
            m.add(hh, DAUGHTER_IN_LAW, np.zeros(n, bool), daughter_in_law, SURNAME_OWN)
            _children(
                m, hh, daughter_in_law, rng.choice([1, 2], size=n, p=[0.6, 0.4]), GRANDCHILD, GRANDCHILD, SURNAME_FAMILY
            )
        elif template == SIBLINGS:
            male = r(n) < 0.6
            birth = m.ages(n, 40, 72)
            m.add(hh, HEAD, male, birth, SURNAME_OWN)
            m.add(hh, SIBLING, r(n) < 0.5, birth + m.years(n, -8, 8), SURNAME_HEAD, vulnerable=True)
    return m.people()


def draw_names(rng: np.random.Generator, people: People, households: int) -> np.ndarray:
    """Surname + given name. Children take their father's surname; a wife keeps her own."""
    head_surname = draw_surnames(rng, households)
    spouse_surname = draw_surnames(rng, households)
    is_head = people.relation == HEAD
    head_male = np.zeros(households, dtype=bool)
    head_male[people.household[is_head]] = people.male[is_head]
    has_male_spouse = np.zeros(households, dtype=bool)
    spouses = (people.relation == SPOUSE) & (people.deceased_on == NO_DATE)
    has_male_spouse[people.household[spouses & people.male]] = True
    lone_mother_keeps = rng.random(households) < 0.5
    family = np.where(
        head_male, head_surname, np.where(has_male_spouse | ~lone_mother_keeps, spouse_surname, head_surname)
    )
    skipped = np.where(head_male & (rng.random(households) < 0.7), head_surname, spouse_surname)
    own = draw_surnames(rng, len(people))
    h = people.household
    surname = np.select(
        [
            people.surname_from == SURNAME_HEAD,
            people.surname_from == SURNAME_SPOUSE,
            people.surname_from == SURNAME_FAMILY,
            people.surname_from == SURNAME_SKIPPED,
        ],
        [head_surname[h], spouse_surname[h], family[h], skipped[h]],
        default=own,
    )
    surname = np.where(is_head, head_surname[h], surname)
    birth_years, _, _ = ymd(people.birth)
    given = draw_given_names(rng, birth_years, people.male)
    return np.char.add(surname.astype(str), given.astype(str))
