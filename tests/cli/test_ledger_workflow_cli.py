"""`banli ledger export --workflow`: a ledger of items of several workflows is a workbook
with a 台账 sheet each; a CSV of them is refused in one line naming --workflow; with it, the
CSV holds that workflow's own columns."""

from __future__ import annotations

import csv

from openpyxl import load_workbook

from tests.cli.conftest import walk


def test_a_csv_of_several_workflows_needs_workflow(banli, suggestion, tmp_path):
    order = banli("item", "add", "--workflow", "hotline-12345", "--ref", "H-001", "--title", "小区停水",
                  "--field", "category=供水", "--at", "2026-03-02T09:00", user="wang")
    assert order.exit_code == 0, order.stderr
    walk(banli, "H-001", [("wang", "dispatch", {"category": "供水", "priority": "一般", "lead_unit": "zjj",
                                                "caller": "王先生"}, "2026-03-02T09:05")])
    both, hotline = tmp_path / "台账.xlsx", tmp_path / "工单.csv"

    refused = banli("ledger", "export", str(tmp_path / "台账.csv"), "--as-of", "2026-03-03")
    book = banli("ledger", "export", str(both), "--as-of", "2026-03-03", "--json")
    one = banli("ledger", "export", str(hotline), "--workflow", "hotline-12345", "--as-of", "2026-03-03", "--json")
    unknown = banli("ledger", "export", str(hotline), "--workflow", "hotline", "--as-of", "2026-03-03")

    assert refused.exit_code == 3 and refused.stderr.count("\n") == 1
    assert "2 workflows (hotline-12345, npc-suggestion)" in refused.stderr and "--workflow" in refused.stderr
    assert not (tmp_path / "台账.csv").exists()
    assert book.exit_code == 0 and book.json()["rows"] == 2
    assert load_workbook(both).sheetnames == ["台账-12345热线工单", "台账-人大代表建议办理", "单位汇总"]
    assert one.exit_code == 0 and one.json()["rows"] == 1
    with open(hotline, encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = dict(zip(header, row))
    assert (cells["工单编号"], cells["承办单位"], cells["来电人"], cells["派单日期"], cells["状态"]) == (
        "H-001", "县住建局", "王先生", "2026-03-02", "已派单待签收")
    assert unknown.exit_code == 7 and "no workflow hotline registered" in unknown.stderr
