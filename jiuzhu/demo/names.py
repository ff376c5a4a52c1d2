"""Chinese names for synthetic people, drawn with NumPy from the vendored lists in ``data/``.

Surnames follow published population shares (data/README.md gives the source and how the
shares between the published anchors were filled in); given names are one or two characters
from lists that differ by sex and birth cohort (a grandmother is 秀英, a granddaughter 梓涵).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"

# Birth cohorts of the given-name lists: a person born in ``year`` uses the last start <= year.
COHORT_STARTS = (1930, 1960, 1980, 2000)
# Share of one-character given names per cohort (editorial: rare before 1960, common in the
# 1980s–90s, rare again for children born after 2000).
SINGLE_CHARACTER_SHARE = {1930: 0.18, 1960: 0.28, 1980: 0.30, 2000: 0.07}
# Of two-character names, the share taken whole from the list of common names (the rest combine
# a first and a second character).
WHOLE_NAME_SHARE = 0.5


@dataclass(frozen=True)
class Pool:
    items: np.ndarray  # str
    weights: np.ndarray  # probabilities summing to 1

    def draw_index(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(len(self.items), size=size, p=self.weights)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.items[self.draw_index(rng, size)]


@dataclass(frozen=True)
class GivenNamePools:
    whole: Pool
    first: Pool
    second: Pool
    single: Pool


def _rank_weights(count: int) -> np.ndarray:
    """Lists are ordered by how common an entry is; weight 1/sqrt(rank), normalised."""
    weights = 1.0 / np.sqrt(np.arange(1, count + 1))
    return weights / weights.sum()


@cache
def surname_pool() -> Pool:
    with (DATA / "surnames.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    shares = np.array([float(r["share_percent"]) for r in rows])
    return Pool(items=np.array([r["surname"] for r in rows]), weights=shares / shares.sum())


@cache
def given_name_pools() -> dict[tuple[int, bool], GivenNamePools]:
    """Pools keyed by (cohort start, is_male)."""
    lists: dict[tuple[int, bool, str], list[str]] = {}
    with (DATA / "given_names.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lists[(int(row["cohort"]), row["sex"] == "male", row["kind"])] = row["items"].split()
    pools = {}
    for cohort in COHORT_STARTS:
        for male in (True, False):
            made = {
                kind: Pool(
                    items=np.array(lists[(cohort, male, kind)]), weights=_rank_weights(len(lists[(cohort, male, kind)]))
                )
                for kind in ("whole", "first", "second", "single")
            }
            pools[(cohort, male)] = GivenNamePools(**made)
    return pools


@cache
def place_name_parts() -> dict[str, list[str]]:
    with (DATA / "place_name_parts.csv").open(encoding="utf-8", newline="") as handle:
        return {row["kind"]: row["items"].split() for row in csv.DictReader(handle)}


def cohort_of(birth_years: np.ndarray) -> np.ndarray:
    starts = np.array(COHORT_STARTS)
    return starts[np.clip(np.searchsorted(starts, birth_years, side="right") - 1, 0, len(starts) - 1)]


def draw_surnames(rng: np.random.Generator, size: int) -> np.ndarray:
    return surname_pool().draw(rng, size)


def draw_given_names(rng: np.random.Generator, birth_years: np.ndarray, male: np.ndarray) -> np.ndarray:
    """One given name per person, by sex and birth cohort."""
    result = np.empty(len(birth_years), dtype=object)
    cohorts = cohort_of(birth_years)
    for (cohort, is_male), pools in given_name_pools().items():
        index = np.flatnonzero((cohorts == cohort) & (male == is_male))
        if not len(index):
            continue
        mode = rng.random(len(index))
        single = mode < SINGLE_CHARACTER_SHARE[cohort]
        whole = ~single & (
            mode < SINGLE_CHARACTER_SHARE[cohort] + (1 - SINGLE_CHARACTER_SHARE[cohort]) * WHOLE_NAME_SHARE
        )
        combined = ~single & ~whole
        names = np.empty(len(index), dtype=object)
        names[single] = pools.single.draw(rng, int(single.sum()))
        names[whole] = pools.whole.draw(rng, int(whole.sum()))
        first = pools.first.draw(rng, int(combined.sum()))
        second_index = pools.second.draw_index(rng, int(combined.sum()))
        if is_male:  # reduplicated names (婷婷, 丹丹) are a girls' pattern; 国国 is not a name
            repeated = first == pools.second.items[second_index]
            second_index[repeated] = (second_index[repeated] + 1) % len(pools.second.items)
        names[combined] = np.char.add(first.astype(str), pools.second.items[second_index].astype(str))
        result[index] = names
    return result
