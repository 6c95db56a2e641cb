"""Table layout: one placement of cells for every writer, HTML's way, within one size budget.

The layout is checked against a naive slot-by-slot placement written here, and every writer's
output is measured on its own terms (GFM's header row, HTML's table model, aligned text,
pandoc's column specs) to show that they all give a table the same columns.
"""

from __future__ import annotations

import random
import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from support import FEEDS, SEEDS, needs_corpus

from converter import ast as A
from converter import parse, render
from converter.writers.pandoc import to_pandoc_json
from converter.writers.tables import (
    COVERED,
    MAX_COLSPAN,
    PlacedCell,
    layout,
    within_budget,
)

CORPUS_FILES = sorted(FEEDS + SEEDS)
MD = MarkdownIt("commonmark").enable("table")


def cell(text: str = "x", **spans: int) -> A.TableCell:
    return A.TableCell([A.Text(text)], **spans)


def shape(rows: list[list[PlacedCell]]) -> list[list[tuple[int, int, int]]]:
    """Each row's cells as ``(column, rowspan, colspan)``."""
    return [[(p.column, p.rowspan, p.colspan) for p in row] for row in rows]


# ---------------------------------------------------------------------------- the layout


def test_the_issue_examples_have_the_columns_cells_begin_in() -> None:
    """``x``'s colspan of 3 and ``a``'s of 5 reach columns in which no cell begins."""
    first = layout(A.Table([], [[cell("a", rowspan=2), cell("b")], [cell("x", colspan=3)]]))
    assert (first.width, shape(first.rows)) == (2, [[(0, 2, 1), (1, 1, 1)], [(1, 1, 1)]])
    second = layout(A.Table([], [[cell("a", colspan=5)], [cell("p"), cell("q")]]))
    assert (second.width, shape(second.rows)) == (2, [[(0, 1, 2)], [(0, 1, 1), (1, 1, 1)]])


def test_a_head_rowspan_stops_at_the_end_of_the_head() -> None:
    table = layout(A.Table([[cell("h", rowspan=3), cell("i")]], [[cell("x"), cell("y")]]))
    assert shape(table.head) == [[(0, 1, 1), (1, 1, 1)]]
    assert shape(table.body) == [[(0, 1, 1), (1, 1, 1)]]
    assert [p.row for row in table.rows for p in row] == [0, 0, 1, 1]


def test_a_colspan_stops_short_of_a_cell_spanning_down() -> None:
    table = layout(A.Table([], [[cell("a"), cell("b", rowspan=2)], [cell("c", colspan=3), cell("d")]]))
    assert table.width == 3
    assert shape(table.body) == [[(0, 1, 1), (1, 2, 1)], [(0, 1, 1), (2, 1, 1)]]


def test_rows_without_cells_are_left_out_and_spans_below_one_count_as_one() -> None:
    table = layout(A.Table([[]], [[cell("tall", rowspan=9), cell("b", colspan=0, rowspan=-2)], [], [cell("c")]]))
    assert (len(table.head), table.width) == (0, 2)
    assert shape(table.body) == [[(0, 2, 1), (1, 1, 1)], [(1, 1, 1)]]


def test_grid_tells_anchored_covered_and_empty_slots_apart() -> None:
    table = layout(A.Table([[cell("h", colspan=2)]], [[cell("a", rowspan=2), cell("b")], [], [cell("c")], [cell("d")]]))
    grid = table.grid()
    anchored = {(r, c): slot.cell.content[0].text for r, slots in enumerate(grid)  # type: ignore[union-attr]
                for c, slot in enumerate(slots) if isinstance(slot, PlacedCell)}
    assert anchored == {(0, 0): "h", (1, 0): "a", (1, 1): "b", (2, 1): "c", (3, 0): "d"}
    assert [r_c for r_c in [(0, 1), (2, 0)] if grid[r_c[0]][r_c[1]] is COVERED] == [(0, 1), (2, 0)]
    assert grid[3][1] is None


def test_spans_covering_more_than_the_budget_are_dropped() -> None:
    """A staircase of rowspans would make the grid as wide as the table is tall."""
    stairs = layout(A.Table([], [[cell("s", rowspan=65534), cell("q")]] * 600))
    assert (stairs.width, stairs.linear) == (2, False)
    assert {(p.rowspan, p.colspan) for row in stairs.rows for p in row} == {(1, 1)}


def test_spans_are_dropped_when_the_padded_grid_would_exceed_the_budget() -> None:
    """90 steps cover few enough slots, but the grid they make is 91 columns wide."""
    small = layout(A.Table([], [[cell("s", rowspan=65534), cell("q")]] * 20))
    assert (small.width, small.body[5][0].rowspan) == (21, 15)
    larger = layout(A.Table([], [[cell("s", rowspan=65534), cell("q")]] * 90))
    assert (larger.width, larger.linear, larger.body[5][0].rowspan) == (2, False, 1)


def test_a_grid_too_large_to_pad_is_linear() -> None:
    wide = layout(A.Table([[cell(f"h{i}") for i in range(600)]], [[cell("a")]] * 600))
    assert (wide.width, wide.linear) == (600, True)
    with pytest.raises(ValueError):
        wide.grid()


def naive_layout(table: A.Table) -> tuple[int, list[list[tuple[int, int, int]]], int]:
    """HTML's "forming a table" slot by slot, clipped as the layout documents: a colspan stops
    at a slot already covered, a rowspan at the end of its section; rows and columns in which
    no cell begins are left out. Also the slots the spans cover. Quadratic: small tables only."""
    sections = [[row for row in table.head if row], [row for row in table.body if row]]
    placed: list[list[tuple[int, int, int]]] = []
    area = 0
    for rows in sections:
        covered: set[tuple[int, int]] = set()
        for y, row in enumerate(rows):
            x, line = 0, []
            for c in row:
                while (y, x) in covered:
                    x += 1
                colspan = 1
                while colspan < min(max(c.colspan, 1), MAX_COLSPAN) and (y, x + colspan) not in covered:
                    colspan += 1
                rowspan = min(max(c.rowspan, 1), len(rows) - y)
                covered.update((y + dy, x + dx) for dy in range(rowspan) for dx in range(colspan))
                line.append((x, rowspan, colspan))
                x += colspan
            placed.append(line)
        area += len(covered)
    begun = sorted({x for line in placed for x, _, _ in line})
    return len(begun), [[(begun.index(x), rowspan, sum(1 for b in begun if x <= b < x + colspan))
                         for x, rowspan, colspan in line] for line in placed], area


spans = st.sampled_from([-1, 0, 1, 1, 1, 2, 3, 1000])
cells = st.builds(lambda c, r: cell("x", colspan=c, rowspan=r), spans, spans)
tables = st.builds(A.Table, st.lists(st.lists(cells, max_size=4), max_size=2),
                   st.lists(st.lists(cells, max_size=4), max_size=6))


@settings(max_examples=300, deadline=None)
@given(tables)
def test_layout_agrees_with_a_slot_by_slot_placement(table: A.Table) -> None:
    """The same slots as HTML's algorithm, or, when the spans cover more slots than the
    budget allows, every cell in one slot."""
    result = layout(table)
    width, rows, area = naive_layout(table)
    count = sum(map(len, rows))
    if within_budget(area, count):
        assert (result.width, shape(result.rows), result.linear) == (width, rows, False)
    else:
        assert shape(result.rows) == [[(x, 1, 1) for x in range(len(row))] for row in rows]
        assert result.width == max(map(len, rows))


# ---------------------------------------------------------------------------- every writer


def tokenized(table: A.Table) -> A.Table:
    """``table`` with each cell's content replaced by a token of its own (``c0``, ``c1``…),
    spans kept, so that plain text shows where every cell begins."""
    count = iter(range(1_000_000))

    def rows(section: list[list[A.TableCell]]) -> list[list[A.TableCell]]:
        return [[A.TableCell([A.Text(f"c{next(count)}")], c.colspan, c.rowspan) for c in row] for row in section]

    return A.Table(rows(table.head), rows(table.body))


def markdown_columns(text: str) -> int:
    """Cells in the header row of the GFM table (0 without a table)."""
    tokens = MD.parse(text)
    end = next((i for i, t in enumerate(tokens) if t.type == "thead_close"), 0)
    return sum(t.type == "th_open" for t in tokens[:end])


def html_columns(page: str) -> int:
    """The width of the table by HTML's table model: every slot a cell covers, row group by
    row group (0 without a table)."""
    tables = lxml.html.document_fromstring(page).findall(".//table")
    if not tables:
        return 0
    width = 0
    for group in tables[0].iterchildren("thead", "tbody"):
        covered: set[tuple[int, int]] = set()
        trs = group.findall("tr")
        for y, tr in enumerate(trs):
            x = 0
            for td in tr.iterchildren("td", "th"):
                while (y, x) in covered:
                    x += 1
                colspan, rowspan = int(td.get("colspan", "1")), int(td.get("rowspan", "1"))
                covered.update((y + dy, x + dx) for dy in range(min(rowspan, len(trs) - y)) for dx in range(colspan))
                x += colspan
        width = max(width, max((x + 1 for _, x in covered), default=0))
    return width


def text_columns(text: str) -> int:
    """The columns at which cells begin in aligned text (0 when rows are written as lines of
    cells separated by bars)."""
    lines = [line for line in text.splitlines() if line.strip(" -")]
    if any(" | " in line for line in lines):
        return 0
    return len({m.start() for line in lines for m in re.finditer(r"c\d+", line)})


def pandoc_columns(doc: A.Document) -> int:
    """Column specs of the pandoc ``Table`` (0 without one)."""
    tables = [b for b in to_pandoc_json(doc)["blocks"] if b["t"] == "Table"]
    return len(tables[0]["c"][2]) if tables else 0


def columns(table: A.Table) -> dict[str, int]:
    """The columns each writer gives ``table``. Plain text is rendered without a width: a
    table wider than the width is written a line per row there, whatever its layout (see
    ``test_a_table_wider_than_the_width_is_a_wrapped_line_per_row``)."""
    doc = A.Document(A.Meta(), [tokenized(table)])
    return {"markdown": markdown_columns(render(doc, "markdown")),
            "text": text_columns(render(doc, "text", width=0)),
            "html": html_columns(render(doc, "html")), "pandoc": pandoc_columns(doc)}


def staircase(steps: int, *, distinct_ends: bool = False) -> A.Table:
    """Rows of one tall cell and one short one, each row's tall cell right of the last."""
    return A.Table([], [[cell(rowspan=2 * steps - r if distinct_ends else 65534), cell()] for r in range(steps)])


def random_tables(count: int, seed: int) -> dict[str, A.Table]:
    rng = random.Random(seed)

    def row() -> list[A.TableCell]:
        return [cell(colspan=rng.choice([1, 1, 1, 2, 3, 0, 1000]), rowspan=rng.choice([1, 1, 1, 2, 4, -1, 65534]))
                for _ in range(rng.randint(0, 5))]

    return {f"random{i}": A.Table([row() for _ in range(rng.randint(0, 2))], [row() for _ in range(rng.randint(1, 8))])
            for i in range(count)}


HOSTILE_TABLES: dict[str, A.Table] = {
    "issue_rowspan_then_colspan": A.Table([], [[cell(rowspan=2), cell()], [cell(colspan=3)]]),
    "issue_colspan_above_two": A.Table([], [[cell(colspan=5)], [cell(), cell()]]),
    "head_rowspan_into_body": A.Table([[cell(rowspan=3), cell()]], [[cell(rowspan=65534), cell()], [cell()]]),
    "clipped_both_ways": A.Table([[cell(colspan=2), cell()]],
                                 [[cell(rowspan=5), cell()], [cell(colspan=4), cell()], [],
                                  [cell(colspan=0, rowspan=-1)]]),
    "colspan_past_a_rowspan": A.Table([], [[cell(), cell(rowspan=2)], [cell(colspan=3), cell()]]),
    "small_staircase": staircase(20),
    "staircase_too_wide": staircase(90),
    "staircase": staircase(600),
    "staircase_distinct_ends": staircase(600, distinct_ends=True),
    "spans_everywhere": A.Table([], [[cell()] * 100] + [[cell(colspan=1000, rowspan=1000), cell()]] * 100),
    "wide_over_tall": A.Table([[cell()] * 300], [[cell(), cell()]] * 300),
    **random_tables(40, seed=12),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TABLES))
def test_every_writer_gives_a_table_the_same_columns(name: str) -> None:
    counts = columns(HOSTILE_TABLES[name])
    assert len(set(counts.values())) == 1, counts


@needs_corpus
def test_every_writer_gives_corpus_tables_the_same_columns() -> None:
    found = {}
    for path in CORPUS_FILES:
        doc = parse(path.read_bytes(), path=str(path))
        for k, table in enumerate(node for node in A.walk(doc.blocks) if isinstance(node, A.Table)):
            found[f"{path.name}#{k}"] = columns(table)
    assert found, "the corpus has tables"
    assert {name: counts for name, counts in found.items()
            if len(set(counts.values())) != 1 or not counts["html"]} == {}


def test_linear_tables_keep_every_cell_in_every_writer() -> None:
    """A table written as rows keeps every cell's text, a row per line or paragraph."""
    table = tokenized(HOSTILE_TABLES["wide_over_tall"])
    doc = A.Document(A.Meta(), [table])
    tokens = [c.content[0].text for row in table.head + table.body for c in row]  # type: ignore[union-attr]
    outputs = {fmt: render(doc, fmt) for fmt in ("markdown", "text", "html")}
    outputs["pandoc"] = str(to_pandoc_json(doc))
    for fmt, out in outputs.items():
        found = re.findall(r"c\d+", out)
        assert found == tokens, fmt
    lines = render(doc, "text").splitlines()
    rule = next(k for k, line in enumerate(lines) if line.startswith("-"))
    assert lines[rule + 1] == "c300 | c301"
    assert " ".join(lines[:rule]).split(" | ") == [f"c{k}" for k in range(300)]  # the head, wrapped
    assert max(map(len, lines)) <= 80
