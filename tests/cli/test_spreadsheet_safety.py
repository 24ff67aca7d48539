"""Issue 12: a title `=cmd|' /C calc'!A0` was written into the ledger XLSX as a live formula and
into the CSV raw. From registration to `banli ledger export`, on every backend, it stays text."""

from __future__ import annotations

import csv

from openpyxl import load_workbook

from tests.cli.conftest import TO_HANDLING, walk

TITLE = "=cmd|' /C calc'!A0"


def test_a_formula_title_reaches_the_ledger_as_text(banli, tmp_path):
    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-001", "--title", TITLE,
                  "--deputy", "张三", "--field", "category=城市建设", "--at", "2026-01-10T09:00", user="reg")
    assert added.exit_code == 0, added.stderr
    walk(banli, "16-1-001", TO_HANDLING[:5] + [("li", "sign_for", {"leader": "@SUM(1+1)", "handler": "+1+1"},
                                                "2026-02-02T09:00")])
    xlsx, text = tmp_path / "台账.xlsx", tmp_path / "台账.csv"

    for path in (xlsx, text):
        exported = banli("ledger", "export", str(path), "--as-of", "2026-03-01")
        assert exported.exit_code == 0, exported.stderr

    sheet = load_workbook(xlsx)["台账"]
    assert [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"] == []
    assert (sheet["B2"].value, sheet["B2"].data_type, sheet["B2"].quotePrefix) == (TITLE, "s", True)
    assert (sheet["G2"].value, sheet["H2"].value) == ("@SUM(1+1)", "+1+1")
    with open(text, encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert (row[1], row[6], row[7]) == ("'" + TITLE, "'@SUM(1+1)", "'+1+1")
