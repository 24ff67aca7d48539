"""The ledger's columns come from the definition (`ledger:`, issue 15 point 14), on every
backend: the hotline's 工单台账 has its own columns filled from its fields and events, the
CPPCC ledger counts its own reply event (答复委员), a custom definition's columns show dates,
counts, parts of counts and data keys, a definition without `ledger:` gets the default, and
a workbook of several workflows has a 台账 sheet each while a CSV of them is refused."""

from __future__ import annotations

import csv
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from banli.engine.definitions import register_text
from banli.engine.sweep import sweep
from banli.errors import InvalidInput, NotFound
from banli.reports.ledger import build_ledger
from banli.sheets.writing import write_ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 4, 30, 18, 0, tzinfo=SHANGHAI)
HOTLINE = ("工单编号", "诉求标题", "诉求类别", "紧急程度", "来电人", "承办单位", "经办人", "派单日期", "签收日期", "回退次数",
           "改派次数", "挂起次数", "办理期限", "状态", "催办次数", "答复日期", "回访日期", "满意度", "自动办结", "逾期天数")


def _fire(runtime, ref: str, *steps: tuple) -> None:
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)


def _order(runtime, ref: str, at: str, unit: str, priority: str = "一般") -> None:
    runtime.create(workflow_id="hotline-12345", ref=ref, title=f"关于{ref}的诉求", actor="wang",
                   fields={"category": "供水"}, at=at)
    runtime.fire(ref, "dispatch", "wang", {"category": "供水", "priority": priority, "lead_unit": unit,
                                           "caller": "王先生", "phone": "13800000000"}, at=at)


@pytest.fixture
def hotline(store, runtime, clock):
    """H-1: sent back, re-dispatched, suspended, urged, called back unsatisfied, handled
    again and closed; H-2: an urgent order never signed for; H-3: replied, never called
    back, closed by the system (自动办结)."""
    clock.now = AS_OF
    _order(runtime, "H-1", "2026-03-10T09:00", "zjj")
    _fire(runtime, "H-1",
          ("li", "send_back", {"reason": "不属于本单位职责"}, "2026-03-10T09:10"),
          ("wang", "redispatch", {"lead_unit": "czj", "reason": "改派"}, "2026-03-10T09:30"),
          ("zhao", "sign_for", {"handler": "赵科长"}, "2026-03-10T09:40"),
          ("zhao", "suspend", {"reason": "等待供水公司"}, "2026-03-11T09:00"),
          ("zhao", "resume", {}, "2026-03-12T09:00"),
          ("wang", "urge", {}, "2026-03-13T09:00"),
          ("zhao", "reply", {"text": "已修复。"}, "2026-03-16T10:00"),
          ("wang", "call_back", {"rating": "不满意"}, "2026-03-16T15:00"),
          ("zhao", "reply", {"text": "已再次修复。"}, "2026-03-18T10:00"),
          ("wang", "call_back", {"rating": "满意"}, "2026-03-19T10:00"))
    _order(runtime, "H-2", "2026-04-01T09:00", "jyj", priority="特急")
    _order(runtime, "H-3", "2026-04-07T09:00", "zjj")
    _fire(runtime, "H-3", ("li", "sign_for", {"handler": "李科员"}, "2026-04-07T09:20"),
          ("li", "reply", {"text": "已处理。"}, "2026-04-08T10:00"))
    sweep(runtime, AS_OF)  # no callback within 3 workdays: 自动办结 (and H-2 urged)
    return store


def _sheet(path, name: str) -> list[tuple]:
    return list(load_workbook(path)[name].iter_rows(values_only=True))


def _day(value):
    return value.date() if isinstance(value, datetime) else value


def test_the_hotline_ledger_has_its_own_columns_filled(hotline, tmp_path, chinese):
    path = tmp_path / "工单台账.xlsx"
    ledger = build_ledger(hotline, as_of=AS_OF, workflow="hotline-12345")
    write_ledger(ledger, path)

    header, *body = _sheet(path, "台账")
    assert header == HOTLINE
    rows = {row[0]: dict(zip(header, map(_day, row))) for row in body}
    assert set(rows) == {"H-1", "H-2", "H-3"}
    first = rows["H-1"]
    assert {key: first[key] for key in ("诉求类别", "紧急程度", "来电人", "承办单位", "经办人")} == {
        "诉求类别": "供水", "紧急程度": "一般", "来电人": "王先生", "承办单位": "县财政局", "经办人": "赵科长"}
    assert (first["派单日期"], first["签收日期"]) == (date(2026, 3, 10), date(2026, 3, 10))
    assert (first["回退次数"], first["改派次数"], first["挂起次数"], first["催办次数"]) == (1, 1, 1, 1)
    # the row shows the rework round: its second answer, on time; the callback that closed it
    assert (first["答复日期"], first["回访日期"], first["满意度"], first["状态"]) == (
        date(2026, 3, 18), date(2026, 3, 19), "满意", "办结")
    assert first["逾期天数"] == 0 and first["办理期限"] >= date(2026, 3, 18)
    assert first["自动办结"] is None  # never closed by the system: blank
    never_signed = rows["H-2"]
    assert (never_signed["状态"], never_signed["经办人"], never_signed["签收日期"], never_signed["答复日期"]) == (
        "已派单待签收", None, None, None)
    # the reply's term starts at the sign-for: none yet, so no reply deadline to judge by
    assert (never_signed["办理期限"], never_signed["逾期天数"]) == (None, None) and never_signed["催办次数"] >= 1
    assert (rows["H-3"]["自动办结"], rows["H-3"]["状态"], rows["H-3"]["回访日期"]) == ("是", "办结", None)
    assert rows["H-3"]["答复日期"] == date(2026, 4, 8)


def test_the_cppcc_ledger_counts_its_answer_as_the_reply(store, runtime, clock, tmp_path, chinese):
    clock.now = AS_OF
    runtime.create(workflow_id="cppcc-proposal", ref="P-1", title="关于发展夜间经济的提案", actor="reg",
                   deputies=["张三"], fields={"category": "经济建设"}, at="2026-01-05T09:00")
    _fire(runtime, "P-1",
          ("reg", "examine", {"category": "经济建设", "decision": "立案", "session": "9-1"}, "2026-01-06T09:00"),
          ("npc", "approve", {"key_proposal": True}, "2026-01-07T09:00"),
          ("wang", "assign", {"lead_unit": "zjj"}, "2026-01-08T09:00"),
          ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-01-08T15:00"),
          ("li", "consult", {"method": "face_to_face"}, "2026-01-20T10:00"),
          ("li", "consult", {"method": "phone"}, "2026-02-20T10:00"),
          ("li", "answer", {"result_class": "A", "text": "张三委员：您好！已采纳。", "signer": "王局长"},
           "2026-03-02T10:00"))
    path = tmp_path / "提案台账.csv"

    write_ledger(build_ledger(store, as_of=AS_OF), path)

    with open(path, encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = dict(zip(header, row))
    assert header[:3] == ["提案编号", "案由", "提案人"] and header[-1] == "逾期天数"
    assert (cells["提案类别"], cells["重点提案"], cells["主办单位"], cells["交办日期"]) == ("经济建设", "是", "县住建局",
                                                                               "2026-01-08")
    assert (cells["沟通协商次数(面商)"], cells["答复日期"], cells["办理结果"], cells["逾期天数"]) == (
        "2（面商1）", "2026-03-02", "A", "0")
    assert cells["办理期限"] == "2026-04-08"  # three months from the assignment


CUSTOM = """
id: inspection
title: 巡查整改
fields:
  lead_unit: {type: unit, label: 整改单位}
  level: {type: choice, choices: [一般, 严重], label: 问题等级}
  due_on: {type: date, label: 整改时限}
  inspector: {type: person, label: 督查人}
states:
  open: {label: 待整改, initial: true}
  checking: {label: 复查中, deadline: {after: 10 days, from: enter}}
  done: {label: 已销号, final: true}
events:
  assign:
    from: open
    to: checking
    roles: [supervisor]
    data: {lead_unit: {required: true}, level: {}, due_on: {}, inspector: {}}
  visit:
    from: checking
    internal: true
    roles: [supervisor]
    data: {kind: {type: choice, choices: [明查, 暗访], required: true}, finding: {}}
  close: {from: checking, to: done, roles: [supervisor], data: {note: {}}}
ledger:
  columns:
    - {value: ref}
    - {label: 单位, field: lead_unit}
    - {field: inspector}
    - {field: level}
    - {field: due_on}
    - {label: 首次复查, event: visit, show: date}
    - {label: 末次复查, event: visit, show: last}
    - {label: 复查次数(暗访), event: visit, show: count, part: {label: 暗访, when: {kind: 暗访}}}
    - {label: 明查次数, event: visit, show: count, when: {kind: 明查}}
    - {label: 最近发现, event: visit, show: "data:finding"}
    - {label: 销号说明, event: close, show: "data:note"}
    - {value: deadline}
    - {value: overdue_days}
"""

PLAIN = """
id: plain-request
fields:
  place: {type: text, label: 地点}
  lead_unit: {type: unit, label: 承办单位}
states:
  new: {label: 新建, initial: true}
  handling: {label: 办理中, deadline: {after: 5 days, from: enter}}
  done: {label: 办结, final: true}
events:
  assign: {from: new, to: handling, roles: [supervisor], data: {lead_unit: {required: true}}}
  reply: {from: handling, to: done, roles: [supervisor]}
"""


def test_a_custom_definitions_ledger_shows_dates_counts_parts_and_data(store, runtime, clock, tmp_path, chinese):
    clock.now = AS_OF
    register_text(store, CUSTOM, "inspection.yaml", "test")
    runtime.create(workflow_id="inspection", ref="X-1", title="河道垃圾", actor="wang", at="2026-04-01T09:00")
    _fire(runtime, "X-1",
          ("wang", "assign", {"lead_unit": "jyj", "level": "严重", "due_on": "2026-04-20", "inspector": "audit"},
           "2026-04-01T10:00"),
          ("wang", "visit", {"kind": "明查", "finding": "仍有垃圾"}, "2026-04-03T10:00"),
          ("wang", "visit", {"kind": "暗访", "finding": "已清理大部分"}, "2026-04-08T10:00"),
          ("wang", "visit", {"kind": "暗访"}, "2026-04-09T10:00"))
    path = tmp_path / "巡查台账.xlsx"

    write_ledger(build_ledger(store, as_of=AS_OF, workflow="inspection"), path)

    header, row = _sheet(path, "台账")
    assert header == ("编号", "单位", "督查人", "问题等级", "整改时限", "首次复查", "末次复查", "复查次数(暗访)", "明查次数", "最近发现",
                      "销号说明", "办理期限", "逾期天数")
    assert tuple(map(_day, row)) == ("X-1", "县教育局", "周审计", "严重", date(2026, 4, 20), date(2026, 4, 3), date(2026, 4, 9),
                                     "3（暗访2）", 1, None, None, date(2026, 4, 11), 19)


def test_a_definition_without_ledger_gets_the_built_ins_around_its_fields(store, runtime, clock):
    clock.now = AS_OF
    register_text(store, PLAIN, "plain.yaml", "test")
    runtime.create(workflow_id="plain-request", ref="R-1", title="路灯不亮", actor="wang", deputies=["李四"],
                   fields={"place": "东街"}, at="2026-04-01T09:00")
    _fire(runtime, "R-1", ("wang", "assign", {"lead_unit": "zjj"}, "2026-04-01T10:00"),
          ("wang", "reply", {}, "2026-04-09T10:00"))

    ledger = build_ledger(store, as_of=AS_OF, workflow="plain-request")

    [table] = ledger.tables
    assert table.headers == ("编号", "标题", "代表", "地点", "承办单位", "状态", "办理期限", "答复日期", "逾期天数")
    assert table.rows[0].cells() == ["R-1", "路灯不亮", "李四", "东街", "县住建局", "办结", date(2026, 4, 6),
                                     date(2026, 4, 9), 3]


def test_items_of_several_workflows_make_a_sheet_each_and_no_csv(hotline, runtime, tmp_path):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-001", title="关于加强物业管理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设", "session": "16-1"}, at="2026-04-01T09:00")
    book, table = tmp_path / "台账.xlsx", tmp_path / "台账.csv"

    ledger = build_ledger(hotline, as_of=AS_OF)
    write_ledger(ledger, book)
    with pytest.raises(InvalidInput, match=r"2 workflows \(hotline-12345, npc-suggestion\).*--workflow"):
        write_ledger(ledger, table)

    sheets = load_workbook(book).sheetnames
    assert sheets == ["台账-12345热线工单", "台账-人大代表建议办理", "单位汇总"]
    assert _sheet(book, "台账-12345热线工单")[0] == HOTLINE
    npc = _sheet(book, "台账-人大代表建议办理")
    assert npc[0][:4] == ("编号", "标题", "代表", "类别") and npc[1][:4] == ("16-1-001", "关于加强物业管理的建议", "张三", "城市建设")
    assert not table.exists()
    only = build_ledger(hotline, as_of=AS_OF, workflow="npc-suggestion")
    write_ledger(only, table)
    with open(table, encoding="utf-8-sig", newline="") as handle:
        assert [row[0] for row in csv.reader(handle)] == ["编号", "16-1-001"]


def test_an_unknown_workflow_is_refused_and_an_empty_one_has_its_headers(store, tmp_path):
    with pytest.raises(NotFound, match="no workflow nosuch registered"):
        build_ledger(store, as_of=AS_OF, workflow="nosuch")
    empty = build_ledger(store, as_of=AS_OF, workflow="hotline-12345")
    write_ledger(empty, tmp_path / "空.xlsx")
    assert _sheet(tmp_path / "空.xlsx", "台账") == [HOTLINE]


def test_the_newest_registered_version_gives_the_columns(store, runtime, clock):
    clock.now = AS_OF
    register_text(store, PLAIN, "plain.yaml", "test")
    runtime.create(workflow_id="plain-request", ref="R-1", title="路灯不亮", actor="wang", fields={"place": "东街"},
                   at="2026-04-01T09:00")
    register_text(store, PLAIN + "ledger: {columns: [{value: ref}, {label: 事发地点, field: place}, {value: state}]}\n",
                  "plain.yaml", "test")

    [table] = build_ledger(store, as_of=AS_OF).tables

    assert table.headers == ("编号", "事发地点", "状态")  # the item was recorded under version 1
    assert table.rows[0].cells() == ["R-1", "东街", "新建"]
