"""Issue 14, item 7, on every backend: the ledger and the annual report of many overdue items are
written without reaching back for rows (openpyxl's `sheet[n]`) or building a Word table cell by
cell, and read back with every overdue item in them; a damaged workbook is refused whole."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document as WordDocument
from docx.table import Table as WordTable
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from banli.errors import InvalidInput
from banli.reports.annual import write_annual
from banli.reports.ledger import build_ledger
from banli.sheets.writing import write_ledger
from tests.integration.test_import import import_file
from tests.unit.test_edges_export import RED, counting

AS_OF = datetime(2025, 12, 31, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UNITS = (("zjj", "li"), ("czj", "zhao"), ("jyj", "sun"))


def overdue_items(store, runtime, count: int) -> list[str]:
    """`count` suggestions in `handling` since January 2025, overdue since April (as bench/export.py)."""
    refs = []
    with store.write() as tx:
        for number in range(1, count + 1):
            ref, (unit, clerk) = f"16-1-{number:03d}", UNITS[number % len(UNITS)]
            runtime.create_in(tx, workflow=store.workflows.get("npc-suggestion"), ref=ref, title=f"建议{number}",
                              actor=runtime.actor("reg"), deputies=["张三"],
                              fields={"session": "16-1", "category": "城市建设"}, at="2025-01-06T09:00")
            for hour, (event, actor, data) in enumerate(
                    [("sort", "reg", {"category": "城市建设", "session": "16-1"}), ("review", "reg", {}),
                     ("audit", "reg", {}), ("approve", "npc", {}),
                     ("assign", "wang", {"lead_unit": unit, "mode": "单独办理"}),
                     ("sign_for", clerk, {"leader": "局长", "handler": "科员"})], start=10):
                runtime.fire_in(tx, ref, event, actor, data, f"2025-01-06T{hour:02d}:00")
            refs.append(ref)
    return refs


def test_a_long_ledger_is_painted_red_row_by_row_as_it_is_written(store, runtime, tmp_path, monkeypatch):
    refs = overdue_items(store, runtime, 40)
    reached = counting(monkeypatch, Worksheet, "__getitem__")
    ledger = build_ledger(store, as_of=AS_OF, session="16-1")
    write_ledger(ledger, tmp_path / "台账.xlsx")

    assert reached == []
    monkeypatch.undo()
    sheet = load_workbook(tmp_path / "台账.xlsx")["台账"]
    rows = list(sheet.iter_rows(min_row=2))
    assert sorted(row[0].value for row in rows) == refs and ledger.overdue == 40
    assert all(cell.fill.fgColor.rgb == RED for row in rows for cell in row)


def test_a_long_table_of_problems_is_written_from_one_model_row(store, runtime, tmp_path, monkeypatch, chinese):
    refs = overdue_items(store, runtime, 40)
    added = counting(monkeypatch, WordTable, "add_row")
    write_annual(store, "16-1", tmp_path / "报告.docx", AS_OF)

    assert len(added) <= 5 * 3  # five tables: a header row and at most two model rows each
    monkeypatch.undo()
    problems = WordDocument(str(tmp_path / "报告.docx")).tables[-1]
    assert [row.cells[0].text for row in problems.rows[1:]] == refs
    assert {row.cells[3].text for row in problems.rows[1:]} == {"逾期未答复"}


def test_a_damaged_workbook_imports_nothing(store, runtime, tmp_path):
    path = tmp_path / "建议.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)

    with pytest.raises(InvalidInput, match="not a readable .xlsx workbook"):
        import_file(runtime, path, actor="reg")
    with store.read() as tx:
        assert tx.item("16-1-001") is None
