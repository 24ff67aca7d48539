"""The `ledger:` section as the parser reads it: the built-in workflows' own columns (npc-suggestion's
as the 台账 always had them), the reply event each names, and the default of a definition
that says nothing of its ledger."""

from __future__ import annotations

import pytest

from banli.engine.definitions import BUILTIN_DIR
from banli.engine.parse import parse_file, parse_text
from banli.sheets.columns import LEDGER_HEADERS

MINIMAL = """
id: demo
fields:
  place: {type: text, label: 地点}
  lead_unit: {type: unit, label: 承办单位}
states: {new: {initial: true}, handling: {}, done: {final: true}}
events:
  assign: {from: new, to: handling, roles: [supervisor]}
  reply: {from: handling, to: done, roles: [supervisor]}
"""


def _builtin(name: str):
    definition, _text = parse_file(BUILTIN_DIR / f"{name}.yaml")
    return definition


def test_npc_suggestions_ledger_has_the_columns_of_the_taizhang():
    ledger = _builtin("npc-suggestion").ledger

    assert ledger.headers == LEDGER_HEADERS
    assert ledger.reply == "reply"
    contacts = next(column for column in ledger.columns if column.label == "联系次数(面商)")
    assert (contacts.event, contacts.show, contacts.part.label, contacts.part.when) == (
        "contact", "count", "面商", (("method", ("face_to_face",)),))


@pytest.mark.parametrize("name, reply, own", [
    ("hotline-12345", "reply", {"工单编号", "紧急程度", "来电人", "回退次数", "改派次数", "回访日期", "满意度", "自动办结"}),
    ("cppcc-proposal", "answer", {"提案编号", "案由", "提案人", "重点提案", "会办单位", "沟通协商次数(面商)", "委员评价"}),
], ids=["hotline", "cppcc"])
def test_the_other_built_ins_have_ledgers_of_their_own(name, reply, own):
    definition = _builtin(name)

    assert definition.ledger.reply == reply
    assert own <= set(definition.ledger.headers)
    assert not set(definition.ledger.headers) & {"代表", "代表评价", "联系次数(面商)"}
    for column in definition.ledger.columns:
        assert column.field is None or column.field in definition.fields
        assert column.event is None or column.event in definition.events


def test_without_ledger_the_built_ins_surround_the_fields_in_their_order():
    ledger = parse_text(MINIMAL).ledger

    assert ledger.headers == ("编号", "标题", "代表", "地点", "承办单位", "状态", "办理期限", "答复日期", "逾期天数")
    assert ledger.reply == "reply"


def test_columns_without_labels_take_their_values_fields_and_events_names():
    ledger = parse_text(MINIMAL + """
ledger:
  columns: [{value: ref}, {field: place}, {event: assign}, {event: reply, show: count}, {value: overdue_days}]
""").ledger

    assert ledger.headers == ("编号", "地点", "assign日期", "reply次数", "逾期天数")
    assert ledger.reply == "reply"  # not given: the event named reply


def test_without_a_reply_event_the_default_has_no_reply_date():
    ledger = parse_text(MINIMAL.replace("  reply: {", "  answer: {")).ledger

    assert ledger.reply is None
    assert "答复日期" not in ledger.headers and ledger.headers[-1] == "逾期天数"
