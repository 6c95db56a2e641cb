"""Table layout shared by every writer: which grid slot each cell takes, decided once.

The layout follows HTML's table model ("forming a table"), since HTML and EPUB show tables
most faithfully: a cell takes the first free slot of its row and covers ``colspan`` ×
``rowspan`` slots from there. Writers only render the result (:func:`layout`), so Markdown,
plain text, XHTML and pandoc's AST always agree on the columns of a table.

One size budget (:func:`budget`) keeps every writer's output linear in its input,
whatever the spans say: a staircase of ``rowspan`` s, ``colspan=1000`` on every cell, or one
very wide row above many short ones would otherwise give a grid quadratic in the cells.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, replace

from .. import ast as A

#: HTML's limits on cell spans.
MAX_COLSPAN = 1000
MAX_ROWSPAN = 65534
#: The size budget: grid slots a table may take per cell, plus slots any table may take.
SLOTS_PER_CELL = 16
SLOTS_PER_TABLE = 4096


def budget(units: int) -> int:
    """Slots a table may take for ``units`` of input (cells, or the characters of their
    text): the one bound that keeps tables linear in their input."""
    return SLOTS_PER_CELL * units + SLOTS_PER_TABLE


def within_budget(size: int, units: int) -> bool:
    return size <= budget(units)


@dataclass(frozen=True, slots=True, eq=False)
class PlacedCell:
    """A cell anchored at ``row`` (counted over head and body) and ``column``, covering
    ``rowspan`` × ``colspan`` slots. Compared by identity, so it can key a writer's dict."""

    cell: A.TableCell
    row: int
    column: int
    rowspan: int
    colspan: int


class Covered(enum.Enum):
    """A slot covered by a cell anchored in another slot (to its left or above)."""

    SLOT = "covered"


COVERED = Covered.SLOT
#: What a grid slot holds: the cell anchored there, :data:`COVERED`, or ``None`` (no cell).
Slot = PlacedCell | Covered | None


@dataclass(frozen=True, slots=True)
class TableLayout:
    """A table's cells placed in a grid ``width`` columns wide.

    ``head`` and ``body`` hold each row's cells in column order. When ``linear`` is true the
    grid padded to its width would break the size budget: writers then write the rows one
    after the other (as paragraphs or lines), not as a grid.
    """

    width: int
    head: list[list[PlacedCell]]
    body: list[list[PlacedCell]]
    linear: bool

    @property
    def rows(self) -> list[list[PlacedCell]]:
        return self.head + self.body

    def grid(self) -> list[list[Slot]]:
        """Every row's ``width`` slots, for writers that pad rows to the full width. Within
        the budget by construction, so only for a layout that is not ``linear``."""
        if self.linear:
            raise ValueError("a linear table layout has no grid to pad")
        rows = self.rows
        grid: list[list[Slot]] = [[None] * self.width for _ in rows]
        for row in rows:
            for placed in row:
                end = placed.column + placed.colspan
                for r in range(placed.row, placed.row + placed.rowspan):
                    grid[r][placed.column:end] = [COVERED] * placed.colspan
                grid[placed.row][placed.column] = placed
        return grid


def layout(table: A.Table) -> TableLayout:
    """``table``'s cells placed as HTML places them, clipped once for every writer.

    * Rows without cells are left out, as are, after placing, columns in which no cell
      begins (their spanning cells narrowed): HTML calls both an error, and they show nothing.
    * A span below 1 counts as 1. A colspan stops at HTML's limit and short of a cell
      spanning down from above; a rowspan at HTML's limit and at the end of its section.
    * Head and body are separate sections sharing the columns, as ``<thead>`` and
      ``<tbody>`` (and pandoc's ``TableHead``/``TableBody``): a rowspan in the head stops at
      the head's last row, so the body starts on a fresh row in every writer.
    * The size budget (:func:`budget` for the table's cells): spans are dropped (every cell
      then takes one slot) when they cover more slots than it allows, or when the grid they
      make, padded to its width, would; a grid that even without spans exceeds it when padded
      is ``linear``.

    Time and memory are linear in the cells: spans are tracked as runs of columns, and their
    placement stops as soon as the slots they cover exceed the budget.
    """
    sections = [[row for row in table.head if row], [row for row in table.body if row]]
    cells = sum(len(row) for rows in sections for row in rows)
    height = sum(map(len, sections))
    try:
        head, body, width = _squeeze(_place(sections, budget(cells)))
        if within_budget(width * height, cells):
            return TableLayout(width, head, body, linear=False)
    except _OverBudget:
        pass
    head, body, width = _squeeze(_place(sections, None))
    return TableLayout(width, head, body, linear=not within_budget(width * height, cells))


class _OverBudget(Exception):
    """The spans cover more slots than the budget allows."""


def _place(sections: list[list[list[A.TableCell]]], limit: int | None) -> list[list[list[PlacedCell]]]:
    """Each section's rows placed in turn, spans included while they cover at most
    ``limit`` slots in all (``None``: every cell takes one slot)."""
    out = []
    first = 0
    for rows in sections:
        section, area = _place_section(rows, first, limit)
        out.append(section)
        first += len(rows)
        limit = None if limit is None else limit - area
    return out


def _place_section(rows: list[list[A.TableCell]], first: int,
                   limit: int | None) -> tuple[list[list[PlacedCell]], int]:
    """One section's cells placed from row ``first`` on, and the slots they cover; raises
    :class:`_OverBudget` as soon as they cover more than ``limit`` (see :func:`_place`).

    Cells spanning down are kept as sorted, disjoint ``(first column, end column, last row)``
    runs, so a row costs its cells plus the runs still open; each open run covers a slot of
    the row, which the limit counts, so the whole placement stays within it.
    """
    out: list[list[PlacedCell]] = []
    runs: list[tuple[int, int, int]] = []
    area = 0
    for r, row in enumerate(rows):
        runs = [run for run in runs if run[2] >= r]
        line: list[PlacedCell] = []
        opened: list[tuple[int, int, int]] = []
        col = i = 0
        for cell in row:
            while i < len(runs) and runs[i][0] <= col:
                col = max(col, runs[i][1])
                i += 1
            if limit is None:
                colspan = rowspan = 1
            else:
                room = runs[i][0] - col if i < len(runs) else MAX_COLSPAN
                colspan = _clamp(cell.colspan, min(MAX_COLSPAN, room))
                rowspan = _clamp(cell.rowspan, min(MAX_ROWSPAN, len(rows) - r))
            area += colspan * rowspan
            if limit is not None and area > limit:
                raise _OverBudget
            line.append(PlacedCell(cell, first + r, col, rowspan, colspan))
            if rowspan > 1:
                opened.append((col, col + colspan, r + rowspan - 1))
            col += colspan
        out.append(line)
        if opened:
            runs = sorted(runs + opened)
    return out, area


def _clamp(span: int, most: int) -> int:
    return min(max(int(span), 1), most)


def _squeeze(sections: list[list[list[PlacedCell]]]) -> tuple[list[list[PlacedCell]], list[list[PlacedCell]], int]:
    """Head and body with the columns in which no cell begins removed, and the width left."""
    begun = sorted({placed.column for rows in sections for row in rows for placed in row})
    rank = {col: i for i, col in enumerate(begun)}

    def narrowed(placed: PlacedCell) -> PlacedCell:
        column = rank[placed.column]
        colspan = bisect.bisect_left(begun, placed.column + placed.colspan) - column
        if column == placed.column and colspan == placed.colspan:
            return placed
        return replace(placed, column=column, colspan=colspan)

    head, body = ([[narrowed(placed) for placed in row] for row in rows] for rows in sections)
    return head, body, len(begun)


def row_inlines(row: list[PlacedCell]) -> list[A.Inline]:
    """A row as one run of inlines, its non-empty cells separated by ``" | "``: how the
    writers that use paragraphs write a ``linear`` table's rows."""
    out: list[A.Inline] = []
    for placed in row:
        if placed.cell.content:
            if out:
                out.append(A.Text(" | "))
            out.extend(placed.cell.content)
    return out
