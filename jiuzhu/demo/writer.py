"""Turn the generated arrays into registry rows and write them with ``jiuzhu.registry.bulk``.

Columns are converted once per table (day numbers → ISO dates, 分 → decimal text, codes → choice
values), then rows are zipped lazily, so a million persons never exist as a million model objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from jiuzhu.demo.generator import NO_DATE
from jiuzhu.registry.bulk import Value, insert_rows
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

REPORT_EVERY = 10_000
CHUNK = 50_000


class Reporter:
    """A rich progress display on standard error when asked for (standard output stays clean), silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.progress = (
            Progress(
                TextColumn("{task.description:<14}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            if enabled
            else None
        )

    def __enter__(self) -> Reporter:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def task(self, description: str, total: int) -> TaskID | None:
        return None if self.progress is None else self.progress.add_task(description, total=total)

    def advance(self, task: TaskID | None, amount: int) -> None:
        if self.progress is not None and task is not None:
            self.progress.advance(task, amount)

    def track(self, description: str, rows: Iterable[Sequence[Value]], total: int) -> Iterator[Sequence[Value]]:
        task = self.task(description, total)
        done = 0
        for row in rows:
            yield row
            done += 1
            if done % REPORT_EVERY == 0:
                self.advance(task, REPORT_EVERY)
        self.advance(task, done % REPORT_EVERY)


def dates(days: np.ndarray) -> list[str | None]:
    """Day numbers → ``YYYY-MM-DD`` (``None`` for NO_DATE)."""
    missing = days == NO_DATE
    text = np.datetime_as_string(np.where(missing, 0, days).astype("datetime64[D]"), unit="D").astype(object)
    text[missing] = None
    return list(text.tolist())


def money(cents: np.ndarray) -> list[str | None]:
    """分 → exact decimal text (``None`` for -1)."""
    return [None if c < 0 else f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def labels(codes: np.ndarray, values: np.ndarray) -> list[str | None]:
    """Code indexes → choice values (``None`` for -1)."""
    chosen = values[np.maximum(codes, 0)].astype(object)
    chosen[codes < 0] = None
    return list(chosen.tolist())


def nullable(numbers: np.ndarray) -> list[int | None]:
    return [None if v < 0 else v for v in numbers.tolist()]


def foreign_keys(index: np.ndarray, ids: np.ndarray) -> list[int | None]:
    """Row indexes → primary keys (``None`` for -1)."""
    keys = ids[np.maximum(index, 0)].astype(object)
    keys[index < 0] = None
    return list(keys.tolist())


Column = Callable[[slice], Sequence[Any]] | Value


@dataclass(frozen=True)
class TableRows:
    """A table's columns: constants, or functions converting a slice of the generated arrays.

    Rows are produced chunk by chunk, so only ``CHUNK`` rows of Python objects exist at a time.
    """

    model: type[Household] | type[Person] | type[Membership] | type[CategoryEnrollment] | type[Income]
    description: str
    columns: dict[str, Column]
    count: int

    def rows(self) -> Iterator[Sequence[Value]]:
        for start in range(0, self.count, CHUNK):
            part = slice(start, min(start + CHUNK, self.count))
            size = part.stop - part.start
            values = [column(part) if callable(column) else repeat(column, size) for column in self.columns.values()]
            yield from zip(*values, strict=False)

    def write(self, reporter: Reporter) -> int:
        return insert_rows(self.model, tuple(self.columns), reporter.track(self.description, self.rows(), self.count))


def as_list(array: np.ndarray) -> Callable[[slice], list[Any]]:
    return lambda part: array[part].tolist()


def as_dates(days: np.ndarray) -> Callable[[slice], list[str | None]]:
    return lambda part: dates(days[part])


def as_money(cents: np.ndarray) -> Callable[[slice], list[str | None]]:
    return lambda part: money(cents[part])


def as_labels(codes: np.ndarray, values: np.ndarray) -> Callable[[slice], list[str | None]]:
    return lambda part: labels(codes[part], values)


def as_nullable(numbers: np.ndarray) -> Callable[[slice], list[int | None]]:
    return lambda part: nullable(numbers[part])


def as_foreign_keys(index: np.ndarray, ids: np.ndarray) -> Callable[[slice], list[int | None]]:
    return lambda part: foreign_keys(index[part], ids)
