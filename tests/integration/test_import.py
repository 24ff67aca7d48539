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

from banli.engine.importer import ImportRefused, check, import_sheet, register, registering_actor
from banli.errors import InvalidInput, NotPermitted
from banli.sheets.reading import read_sheet

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


def import_file(runtime, path: Path, **options):
    """A file read and imported as `banli item import` does it."""
    return import_sheet(runtime, lambda: read_sheet(path), **options)


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


def test_a_unit_named_twice_is_a_problem_not_a_crash(runtime, tmp_path):
    rows = [["编号", "标题", "类别", "协办单位"], ["16-1-013", "甲", "城市建设", "县财政局、czj"]]
    with pytest.raises(ImportRefused) as refused:
        import_file(runtime, write_csv(tmp_path / "s.csv", rows, "utf-8"), actor="reg")
    assert [problem.render("s.csv") for problem in refused.value.problems] == [
        "s.csv:2: 协办单位: 'co_units' names unit 'czj' twice"]


def test_every_row_with_a_wrong_value_is_named_though_the_value_repeats(runtime, tmp_path):
    """Checked values are remembered by their text; wrong ones are not: each row is named."""
    rows = [["编号", "标题", "代表", "类别", "提交日期"]] + [
        [f"16-1-02{n}", "甲", "张叁" if n % 2 else "张三", "城建" if n < 3 else "城市建设", "2026-02-30" if n > 2 else ""]
        for n in range(5)]
    with pytest.raises(ImportRefused) as refused:
        import_file(runtime, write_csv(tmp_path / "s.csv", rows, "utf-8"), actor="reg")
    named = [(problem.row, problem.column) for problem in refused.value.problems]
    assert named == [(2, "类别"), (3, "代表"), (3, "类别"), (4, "类别"), (5, "代表"), (5, "提交日期"),
                     (6, "提交日期")]


def test_header_problems_are_reported_once(runtime, tmp_path):
    rows = [["编号", "标题", "标题", "代表"], ["16-1-011", "甲", "乙", "张三"], ["16-1-012", "丙", "丁", "李四"]]
    with pytest.raises(ImportRefused) as refused:
        import_file(runtime, write_csv(tmp_path / "s.csv", rows, "utf-8"), actor="reg")
    messages = [problem.render("s.csv") for problem in refused.value.problems]
    assert messages == ["s.csv:1: 标题: a second column for title (column C; '标题' is column B)",
                        "s.csv:1: no category column (类别); the field is required by npc-suggestion"]


def test_a_ref_registered_between_check_and_write_refuses_the_whole_import(store, runtime):
    """The write transaction keeps the promise the check made: all rows, or none."""
    workflow = store.workflows.get("npc-suggestion")
    plan = check(runtime, workflow, read_sheet(DATA / "suggestions.csv"))
    runtime.create(workflow_id="npc-suggestion", ref="16-1-004", title="抢先登记", actor="reg",
                   fields={"category": "城市建设"})
    before = counts(store)
    with pytest.raises(ImportRefused) as refused:
        register(runtime, plan, registering_actor(runtime, "reg"))
    assert [(p.row, p.message[:30]) for p in refused.value.problems] == [(5, "item 16-1-004 already exists; ")]
    assert counts(store) == before


def test_a_deputy_removed_between_check_and_write_refuses_the_whole_import(store, runtime):
    """The write asks the organisation again: a row naming a deputy who is gone is refused, and
    with it the whole file."""
    workflow = store.workflows.get("npc-suggestion")
    plan = check(runtime, workflow, read_sheet(DATA / "suggestions.csv"))
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM deputy WHERE name = '王五'"))
    before = counts(store)
    with pytest.raises(ImportRefused) as refused:
        register(runtime, plan, registering_actor(runtime, "reg"))
    assert [(p.row, p.message.split(";")[0]) for p in refused.value.problems] == [(3, "unknown deputy '王五'")]
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


# -- the bulk write against the per-row one ------------------------------------------------------

# A workflow whose initial state has a deadline and reminders (so a new item gets a deadline,
# its @deadline trace note and a next_due_at), with a field of every type.
BULK_WORKFLOW = """\
id: bulk-check
title: {zh: 批量登记核对, en: Bulk registration check}
timezone: Asia/Shanghai
calendar: cn
fields:
  category: {type: choice, label: 类别, choices: [供水, 道路, 其他], required: true}
  caller: {type: text, label: 来电人}
  call_count: {type: int, label: 来电次数}
  lead_unit: {type: unit, label: 承办单位}
  co_units: {type: units, label: 协办单位}
  handler: {type: person, label: 经办人}
  promised_on: {type: date, label: 承诺办结日期}
  supervised: {type: bool, label: 督办}
states:
  new:
    label: 新工单
    initial: true
    deadline: {after: 3 workdays, from: created}
    reminders:
      - {before: 1 days, notify: [supervisor]}
      - {overdue: 0 days, notify: [supervisor]}
  closed: {label: 办结, final: true}
events:
  close: {label: 办结, from: new, to: closed, roles: [supervisor]}
"""

# Assignments given at registration: their child items (REF/UNIT) are made when an item is
# assigned, never registered ('/' is reserved for them), so no assignment row points at one.
BULK_ROWS = [
    ["编号", "标题", "代表", "类别", "来电人", "来电次数", "承办单位", "协办单位", "经办人", "承诺办结日期", "督办",
     "提交日期", "内容"],
    ["H-1", "自来水发黄", "张三、李四", "供水", "周先生", "2", "县住建局", "县财政局、jyj", "li", "2026/3/1", "是",
     "2026-01-10 09:30", "小区自来水发黄，已持续一周。"],
    ["H-2", "路灯不亮", "王五", "道路", "", "1", "zjj", "czj", "", "", "否", "2026-01-11", ""],
    ["H-3", "噪音扰民", "", "其他", "吴女士", "", "", "czj、jyj", "zhao", "", "", "", "夜间施工噪音。"],
    ["H-4", "道路破损", "李四", "道路", "", "", "jyj", "jyj、czj", "", "2026-02-01", "", "2026-01-30 18:05", ""],
    ["H-5", "积水", "张三", "道路", "", "", "县住建局", "", "", "", "", "2026-01-31", ""],
]
BULK_CASES = {
    "npc-suggestion": ("npc-suggestion", lambda tmp_path: DATA / "suggestions.csv"),
    "every-field-type": ("bulk-check", lambda tmp_path: write_csv(tmp_path / "h.csv", BULK_ROWS, "utf-8")),
}
IMPORT_TABLES = ("item", "item_deputy", "assignment", "trace")


@pytest.fixture
def second_store(db_url, tmp_path):
    """Another database of the same backend as `store`, prepared the same way."""
    from tests.conftest import _pg_database, prepared_store

    if db_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'second.db'}", lambda: None
    else:
        url, drop = _pg_database()
    other = prepared_store(url)
    yield other
    other.close()
    drop()


def table_rows(store) -> dict[str, list[tuple]]:
    """Every row of every table in the database, in a fixed order."""
    from sqlalchemy import MetaData

    tables = MetaData()
    tables.reflect(store.engine)
    with store.engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(table.select().order_by(*table.columns))]
                for name, table in tables.tables.items() if name != "alembic_version"}


def register_one_by_one(runtime, plan, actor) -> None:
    """The import's write as it was: `Runtime.create_in` per row, in one transaction."""
    with runtime.store.write() as tx:
        for item in plan.candidates:
            runtime.create_in(tx, workflow=plan.workflow, ref=item.ref, title=item.title, actor=actor,
                              deputies=item.deputies, fields=item.fields, content=item.content, at=item.at)


@pytest.mark.parametrize("case", BULK_CASES, ids=list(BULK_CASES))
def test_the_bulk_write_stores_what_registering_row_by_row_stores(store, second_store, clock, tmp_path, case):
    """Same items with the same ids, chain heads, deadlines and next reminders; the same deputy
    and assignment rows; the same `created` trace rows and hashes — and nothing else touched."""
    from banli.engine.runtime import Runtime
    from banli.store.audit import verify

    workflow_id, make_file = BULK_CASES[case]
    path = make_file(tmp_path)
    (tmp_path / "bulk-check.yaml").write_text(BULK_WORKFLOW, encoding="utf-8")
    runtimes, before = [], []
    for each in (store, second_store):
        runtime = Runtime(each, now=clock)
        register_text(each, tmp_path / "bulk-check.yaml")
        runtime.create(workflow_id="bulk-check", ref="H-0", title="积水（早先登记）", actor="reg",
                       fields={"category": "道路", "lead_unit": "zjj"}, at="2026-01-05")
        runtimes.append(runtime)
        before.append(table_rows(each))
    assert all(before[0][table] == before[1][table] for table in IMPORT_TABLES)

    one_by_one, bulk = runtimes
    plan = check(one_by_one, store.workflows.get(workflow_id), read_sheet(path))
    assert plan.candidates and not plan.problems
    register_one_by_one(one_by_one, plan, registering_actor(one_by_one, "reg"))
    report = import_file(bulk, path, actor="reg", workflow_id=workflow_id)
    assert report.imported == len(plan.candidates)

    after = [table_rows(store), table_rows(second_store)]
    for table in IMPORT_TABLES:
        assert after[1][table] == after[0][table], table
        assert len(after[1][table]) > len(before[1][table]) or (table, case) == ("assignment", "npc-suggestion")
    for rows_before, rows_after in zip(before, after):  # nothing else was written, either way
        assert {table: rows for table, rows in rows_after.items() if table not in IMPORT_TABLES} == \
            {table: rows for table, rows in rows_before.items() if table not in IMPORT_TABLES}
    for each in (store, second_store):
        assert verify(each)["ok"]
    if case == "every-field-type":  # the rows this case is for were written
        with second_store.engine.connect() as connection:
            ids = dict(connection.execute(text("SELECT ref, id FROM item")).all())
            due = connection.execute(text("SELECT deadline, next_due_at FROM item WHERE ref = 'H-1'")).one()
            children = {(item_id, unit): child for item_id, unit, child in connection.execute(
                text("SELECT item_id, unit_id, child_id FROM assignment"))}
        assert all(due)
        assert (ids["H-2"], "czj") in children and set(children.values()) == {None}


def register_text(store, path: Path) -> None:
    from banli.engine.definitions import register_file

    register_file(store, path, "test")
