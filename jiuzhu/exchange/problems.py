"""Problems found in an import file, each naming file, sheet, row and column in Chinese."""

from __future__ import annotations

from dataclasses import dataclass, field

from jiuzhu.core.errors import DomainError

# How many problems are kept with their text (the rest are only counted) and how many are shown.
KEEP_LIMIT = 5000
SHOW_LIMIT = 200


@dataclass(frozen=True)
class ImportProblem:
    file: str
    sheet: str  # "" for CSV and Parquet
    row: int  # spreadsheet row number (the header is row 1 in CSV and Parquet); 0 for the file itself
    column: str  # Chinese header; "" when the problem is about the whole row or file
    problem: str

    def __str__(self) -> str:
        text = f"{self.file} 工作表「{self.sheet}」" if self.sheet else f"{self.file} "
        if self.row:
            text += f"第 {self.row} 行"
        text = text.rstrip()
        if self.column:
            return f"{text}「{self.column}」{self.problem}"
        return f"{text}：{self.problem}"


@dataclass
class Problems:
    """Collects problems; keeps the first ``KEEP_LIMIT`` (in file order once sorted) and counts all."""

    file: str
    sheets: list[str] = field(default_factory=list)
    kept: list[tuple[int, int, int, ImportProblem]] = field(default_factory=list)
    total: int = 0

    def add(self, *, sheet: int, row: int, column: str, problem: str, column_order: int = 0) -> None:
        self.total += 1
        if len(self.kept) >= KEEP_LIMIT * 2:
            self._trim()
        name = self.sheets[sheet] if 0 <= sheet < len(self.sheets) else ""
        self.kept.append((sheet, row, column_order, ImportProblem(self.file, name, row, column, problem)))

    def merge(self, other: Problems) -> None:
        """Add the problems ``other`` found (in the same file) after this one's."""
        self.total += other.total
        self.kept.extend(other.kept)
        if len(self.kept) >= KEEP_LIMIT * 2:
            self._trim()

    def _trim(self) -> None:
        self.kept.sort(key=lambda item: item[:3])
        del self.kept[KEEP_LIMIT:]

    def __bool__(self) -> bool:
        return self.total > 0

    def sorted(self) -> list[ImportProblem]:
        self._trim()
        return [item[3] for item in self.kept]


class ImportRejected(DomainError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems.sorted()
        self.total = problems.total
        super().__init__("import_rejected", f"文件中发现 {self.total} 处错误，未写入任何数据。请改正后重新导入。")
