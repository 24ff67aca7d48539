"""Importing a spreadsheet of suggestions: the same rows saved as GB18030, UTF-8-BOM and UTF-8
CSV and as XLSX register the same items; a file with bad rows is refused whole, every bad row
named, and the database is left as it was."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from banli.engine.importer import ImportRefused, check, import_file, read_sheet, register, registering_actor
from banli.errors import InvalidInput, NotPermitted

DATA = Path(__file__).parent.parent / "data" / "import"


def source_rows(name: str = "suggestions.csv") -> list[list[str]]:
    return list(csv.reader(io.StringIO((DATA / name).read_text(encoding="utf-8"), newline="")))


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)  # as Excel writes it
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[str]], date_columns=("提交日期", "submitted_on")) -> Path:
    """The rows as a person keeps them in Excel: dates as date cells, blank cells empty."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    dated = {index for index, name in enumerate(rows[0]) if name in date_columns}
    for row in rows:
        cells = [datetime.fromisoformat(value) if index in dated and value and row is not rows[0] else (value or None)
                 for index, value in enumerate(row)]
        sheet.append(cells)
    workbook.save(path)
    return path


def snapshot(store) -> list[tuple]:
    """What a user would compare: every item with its deputies, fields and registration time."""
    with store.engine.connect() as connection:
        items = connection.execute(text(
            "SELECT id, ref, title, state, fields, content, created_at FROM item ORDER BY ref")).all()
        deputies = connection.execute(text("SELECT item_id, name FROM item_deputy ORDER BY item_id, position")).all()
    names: dict[int, list[str]] = {}
    for item_id, name in deputies:
        names.setdefault(item_id, []).append(name)
    return [(row.ref, row.title, row.state, names.get(row.id, []), row.fields, row.content, row.created_at)
            for row in items]


def counts(store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("item", "trace", "item_deputy", "assignment")}


# The items suggestions.csv registers; the clock stands at 2026-06-01 12:00 UTC (row 16-1-003
# has no submission date: it is registered "now"). Times are UTC: 2026-01-10 is 00:00 in Shanghai.
EXPECTED = [
    ("16-1-001", "关于加强老旧小区物业管理的建议", "registered", ["张三", "李四"],
     '{"category":"城市建设","session":"十六届一次"}',
     "一、老旧小区普遍无物业；\n二、建议由街道牵头，引入专业物业。", "2026-01-09T16:00:00.000000"),
    ("16-1-002", "关于增设农村公交线路的建议", "registered", ["王五"],
     '{"category":"工交财贸","session":"十六届一次"}', "", "2026-01-11T01:30:00.000000"),
    ("16-1-003", "关于改善中小学食堂条件的建议", "registered", ["张三", "王五"],
     '{"category":"科教文卫","session":"十六届一次"}', "食堂设施陈旧，建议分批改造。", "2026-06-01T12:00:00.000000"),
    ("16-1-004", "关于扶持特色农业合作社的建议", "registered", ["李四", "张三"],
     '{"category":"农业农村","session":"十六届一次"}', "", "2026-01-11T16:00:00.000000"),
    ("16-1-005", '关于规范城区停车秩序的建议（含"潮汐车位"试点）', "registered", ["王五", "李四"],
     '{"category":"城市建设"}', "", "2026-01-12T08:45:00.000000"),
    ("16-1-006", "关于加强社区养老服务的建议", "registered", [],
     '{"category":"社会建设","session":"十六届一次"}', "", "2026-01-12T16:00:00.000000"),
]

FORMATS = {
    "gb18030-csv": lambda path, rows: write_csv(path.with_suffix(".csv"), rows, "gb18030"),
    "utf-8-bom-csv": lambda path, rows: write_csv(path.with_suffix(".csv"), rows, "utf-8-sig"),
    "utf-8-csv": lambda path, rows: write_csv(path.with_suffix(".csv"), rows, "utf-8"),
    "xlsx": lambda path, rows: write_xlsx(path.with_suffix(".xlsx"), rows),
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    "utf-16-text": lambda path, rows: write_csv(path.with_suffix(".txt"), rows, "utf-16", delimiter="\t"),
}


@pytest.mark.parametrize("fmt", FORMATS, ids=list(FORMATS))
def test_every_encoding_and_xlsx_import_the_same_items(store, runtime, tmp_path, fmt):
    path = FORMATS[fmt](tmp_path / "suggestions", source_rows())
    report = import_file(runtime, path, actor="reg")
    assert (report.rows, report.imported) == (6, 6)
    assert snapshot(store) == EXPECTED
    assert counts(store)["trace"] == 6  # one `created` row each


def test_gb18030_is_not_mistaken_for_utf8(tmp_path):
    path = write_csv(tmp_path / "s.csv", source_rows(), "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the test file really is GB18030, not UTF-8 by accident
    assert read_sheet(path).header[:3] == ["编号", "标题", "代表"]


BAD_ROWS = {  # spreadsheet row → (column, what the message says)
    1: ("备注", "unknown column"),
    3: ("deputies", "unknown deputy '张叁' (did you mean 张三?)"),
    4: ("category", "must be one of 科教文卫, 工交财贸, 农业农村, 城市建设, 社会建设; got '城建'"),
    5: ("ref", "ref 16-1-001 is also in row 2"),
    6: ("ref", "item 16-1-900 already exists"),
    7: ("title", "the title is empty"),
    8: ("submitted_on", "'2026-02-30' is not a date"),
    9: ("submitted_on", "2099-01-01 is in the future"),
}


def test_a_file_with_bad_rows_is_refused_whole_naming_every_bad_row(store, runtime):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-900", title="已登记的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-05")
    before, items = counts(store), snapshot(store)
    with pytest.raises(ImportRefused) as refused:
        import_file(runtime, DATA / "bad.csv", actor="reg")
    problems = refused.value.problems
    assert {problem.row: (problem.column, problem.message) for problem in problems}.keys() == BAD_ROWS.keys()
    for problem in problems:
        column, fragment = BAD_ROWS[problem.row]
        assert problem.column == column and fragment in problem.message, problem
    assert len(problems) == len(BAD_ROWS)  # rows 2 and 10 are fine and not named
    assert str(refused.value) == "8 error(s) in 8 row(s); nothing was imported"
    assert refused.value.exit_code == 3
    assert problems[1].render("bad.csv").startswith("bad.csv:3: deputies: unknown deputy '张叁'")
    assert counts(store) == before and snapshot(store) == items


def test_dry_run_checks_everything_and_writes_nothing(store, runtime, tmp_path):
    before = counts(store)
    report = import_file(runtime, DATA / "suggestions.csv", actor="reg", dry_run=True)
    assert (report.rows, report.imported, report.dry_run) == (6, 0, True)
    assert counts(store) == before
    with pytest.raises(ImportRefused):
        import_file(runtime, DATA / "bad.csv", actor="reg", dry_run=True)


def test_english_headers_and_excel_habits_give_the_same_items(store, runtime, tmp_path):
    """English column names, a title row above the header, （必填） notes, dates as Excel writes
    them into a CSV on a Chinese Windows, a name padded with a full-width space."""
    rows = source_rows()
    rows[0] = ["ref", "Title", "deputies", "category（必填）", "session", "submitted_on", "content"]
    rows[2][5] = "2026/1/11 9:30"
    rows[4][5] = "2026年1月12日"
    rows[2][2] = "王　五"
    rows.insert(0, ["2026年人大代表建议汇总表", "", "", "", "", "", ""])
    import_file(runtime, write_csv(tmp_path / "s.csv", rows, "gb18030"), actor="reg")
    assert snapshot(store) == EXPECTED


def test_field_labels_and_unit_names_are_understood(store, runtime, tmp_path):
    rows = [["建议编号", "案由", "领衔代表", "类别", "主办单位", "协办单位"],
            ["16-1-010", "关于道路改造的建议", "张三", "城市建设", "县住建局", "县财政局、jyj"]]
    import_file(runtime, write_xlsx(tmp_path / "s.xlsx", rows), actor="reg")
    with store.read() as tx:
        item = tx.item("16-1-010")
    assert item.fields == {"category": "城市建设", "lead_unit": "zjj", "co_units": ["czj", "jyj"]}


def test_header_problems_are_reported_once(runtime, tmp_path):
    rows = [["编号", "标题", "标题", "代表"], ["16-1-011", "甲", "乙", "张三"], ["16-1-012", "丙", "丁", "李四"]]
    with pytest.raises(ImportRefused) as refused:
        import_file(runtime, write_csv(tmp_path / "s.csv", rows, "utf-8"), actor="reg")
    messages = [problem.render("s.csv") for problem in refused.value.problems]
    assert messages == ["s.csv:1: 标题: a second column for title (column C; '标题' is column B)",
                        "s.csv:1: no category column (类别); the field is required by npc-suggestion"]


def test_a_ref_registered_between_check_and_write_refuses_the_whole_import(store, runtime):
    """The write transaction keeps the promise the check made: all rows, or none."""
    workflow = store.workflow("npc-suggestion")
    plan = check(runtime, workflow, read_sheet(DATA / "suggestions.csv"))
    runtime.create(workflow_id="npc-suggestion", ref="16-1-004", title="抢先登记", actor="reg",
                   fields={"category": "城市建设"})
    before = counts(store)
    with pytest.raises(ImportRefused) as refused:
        register(runtime, plan, registering_actor(runtime, "reg"))
    assert [(p.row, p.message[:30]) for p in refused.value.problems] == [(5, "item 16-1-004 already exists; ")]
    assert counts(store) == before


def test_importing_needs_a_registering_role(store, runtime):
    before = counts(store)
    with pytest.raises(NotPermitted, match="registrar, supervisor or admin"):
        import_file(runtime, DATA / "suggestions.csv", actor="li")
    assert counts(store) == before


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    ("编号,标题,类别\r\n,,\r\n".encode("utf-8"), "no rows below it"),
    (b"ref,title\r\n\xff\xfe\xff,x\r\n", "neither UTF-8 nor GB18030"),
], ids=["empty", "header-only", "undecodable"])
def test_unreadable_files_are_invalid_input(runtime, tmp_path, content, message):
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        import_file(runtime, path, actor="reg")
