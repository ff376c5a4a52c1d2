"""Fictitious 18-character ID numbers (GB 11643) for generated people, unique across the database.

Positions 1–6 are a real region code (the county's own; for some older people the city's or
province's; for some spouses a neighbouring county of the same city), 7–14 the birth date, 15–17
a sequence whose last digit is odd for men and even for women, 18 the check character. The
sequence continues above the highest one already in the database for the same place, birth date
and sex, so a second run never reuses a number; if a place and day ever ran out of sequences the
person's birth date moves by a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from jiuzhu.core.id_numbers import with_check_character

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARACTERS = np.array(list("10X98765432"))
POWERS = 10 ** np.arange(16, -1, -1, dtype=np.int64)
MAX_STEP = 498  # sequence = 2 * step + 1 (men, 001–997) or 2 * step + 2 (women, 002–998)


def sequence_step(sequence: int, male: bool) -> int:
    return (sequence - 1) // 2 if male else (sequence - 2) // 2


def existing_steps(rows: Iterable[tuple[str, str]]) -> dict[int, int]:
    """Highest step used per (place + birth date, sex) from ``(first 14 characters, positions 15–17)`` rows."""
    highest: dict[int, int] = {}
    for prefix, sequence in rows:
        if not (prefix.isdigit() and sequence.isdigit() and len(prefix) == 14 and len(sequence) == 3):
            continue
        male = int(sequence[2]) % 2 == 1
        key = int(prefix) * 2 + male
        highest[key] = max(highest.get(key, -1), sequence_step(int(sequence), male))
    return highest


def check_characters(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit integers, vectorised."""
    digits = (first17[:, None] // POWERS) % 10
    return CHECK_CHARACTERS[(digits @ WEIGHTS) % 11]


def birth_yyyymmdd(birth: np.ndarray) -> np.ndarray:
    dates = birth.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    return (
        (years.astype(np.int64) + 1970) * 10000
        + ((months - years).astype(np.int64) + 1) * 100
        + (dates - months).astype(np.int64)
        + 1
    )


def assign_id_numbers(
    rng: np.random.Generator,
    birthplace: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    existing_for: Callable[[np.ndarray], dict[int, int]],
    latest_birth: int,
) -> tuple[np.ndarray, np.ndarray]:
    """ID numbers for people born on ``birth`` (day numbers) at ``birthplace`` (6-digit codes).

    ``existing_for(prefixes)`` returns the highest step already used for 14-digit prefixes (place and
    birth date), as ``existing_steps`` does; it is asked again if a birth date has to move.

    Returns the first 17 digits as integers (``format_id_numbers`` adds the check character) and the
    birth days (moved by a day for anyone a full sequence displaced).
    """
    birth = birth.copy()
    known: dict[int, int] = {}
    asked = np.zeros(0, dtype=np.int64)
    for _ in range(100):
        key = (birthplace.astype(np.int64) * 100_000_000 + birth_yyyymmdd(birth)) * 2 + male
        prefixes = np.unique(key // 2)
        new = np.setdiff1d(prefixes, asked, assume_unique=True)
        if len(new):
            known.update(existing_for(new))
            asked = np.union1d(asked, new)
        known_keys = np.array(sorted(known), dtype=np.int64)
        known_steps = np.array([known[k] for k in known_keys.tolist()], dtype=np.int64)
        order = np.argsort(key, kind="stable")
        sorted_keys = key[order]
        first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        unique_keys = sorted_keys[first]
        # A fresh place and day starts at a small random step (real sequences do not all start at 001);
        # one already in the database continues above its highest step.
        base = rng.integers(0, 20, len(unique_keys))
        if len(known_keys):
            position = np.minimum(np.searchsorted(known_keys, unique_keys), len(known_keys) - 1)
            found = known_keys[position] == unique_keys
            base[found] = known_steps[position[found]] + 1
        step = np.empty(len(key), dtype=np.int64)
        step[order] = base[np.cumsum(first) - 1] + (np.arange(len(key)) - group_start)
        overflow = step > MAX_STEP
        if not overflow.any():
            break
        moved = np.where(birth[overflow] + 1 > latest_birth, birth[overflow] - 1, birth[overflow] + 1)
        birth[overflow] = moved
    else:  # pragma: no cover - needs ~500 people of one sex born on one day at one place
        raise RuntimeError("could not give every generated person a free ID sequence")
    sequence = 2 * step + np.where(male, 1, 2)
    first17 = (birthplace.astype(np.int64) * 100_000_000 + birth_yyyymmdd(birth)) * 1000 + sequence
    if len(np.unique(first17)) != len(first17):  # pragma: no cover - guarded by construction
        raise RuntimeError("generated ID numbers are not unique")
    # The vectorised check character agrees with the project's own (python-stdnum) on a sample.
    for sample in format_id_numbers(first17[:: max(1, len(first17) // 50)]):
        if with_check_character(sample[:17]) != sample:  # pragma: no cover - would be a bug here
            raise RuntimeError(f"check character mismatch for a generated ID number ({sample[:6]}…)")
    return first17, birth


def format_id_numbers(first17: np.ndarray) -> list[str]:
    """17-digit integers → ID numbers with their check character (done per chunk: strings are large)."""
    return [
        f"{number:017d}{check}"
        for number, check in zip(first17.tolist(), check_characters(first17).tolist(), strict=True)
    ]


def draw_birthplaces(
    rng: np.random.Generator,
    birth_years: np.ndarray,
    married_in: np.ndarray,
    *,
    county: int,
    city: int,
    province: int,
    neighbours: tuple[int, ...],
) -> np.ndarray:
    """The region code an ID number starts with (first registration, not today's hukou: DOMAIN.md §8.1).

    Mostly the county's own code; older people first registered before county codes settled often
    carry the city's or the province's; a share of those who married in come from a neighbouring
    county of the same city.
    """
    n = len(birth_years)
    draw = rng.random(n)
    older = birth_years < 1985
    place = np.full(n, county, dtype=np.int64)
    place = np.where(older & (draw < 0.15), city, place)
    place = np.where(older & (draw >= 0.15) & (draw < 0.20), province, place)
    if neighbours:
        neighbour = np.array(neighbours, dtype=np.int64)[rng.integers(0, len(neighbours), n)]
        moved_in = np.where(married_in, draw >= 0.75, np.where(older, (draw >= 0.92), draw >= 0.94))
        place = np.where(moved_in, neighbour, place)
    return place
