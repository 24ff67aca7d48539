"""Notifications on events (an event's `notify`), on every backend: npc-suggestion tells the units
when an item is assigned, the deputies when it is not filed (with the reason), when the reply is
sent (with its text) and when their rating is due; each once, in the event's transaction, and
none for an event refused or undone. A definition may name recipients by a field."""

from __future__ import annotations

import pytest

from banli.engine.definitions import register_text
from banli.engine.parse import parse_text
from banli.errors import DefinitionErrors, NotAllowedNow, NotPermitted
from banli.store.memory import MemoryStore
from tests.unit.conftest import notifications
from tests.unit.steps import YEAR, register_for_year

REF = "16-1-300"



def told(store, ref: str = REF) -> list[tuple[str, str]]:
    """(recipient, subject) of the event notices of one item, in the order written."""
    return [(row["recipient"], row["subject"]) for row in notifications(store)
            if row["ref"] == ref and "#notify:" in row["key"]]


def bodies(store, ref: str = REF, column: str = "body") -> dict[str, list[str]]:
    """recipient → the bodies (or another column) of the event notices they got."""
    if isinstance(store, MemoryStore):
        rows = store.notifications
    else:
        from banli.store.schema import notification_t
        from sqlalchemy import select

        with store.engine.connect() as connection:
            rows = [row._mapping for row in connection.execute(
                select(notification_t).order_by(notification_t.c.id))]
    found: dict[str, list[str]] = {}
    for row in rows:
        if row["ref"] == ref and "#notify:" in row["key"]:
            found.setdefault(row["recipient"], []).append(row[column])
    return found


def play(runtime, steps) -> None:
    for suffix, user, event, data, at in steps:
        runtime.fire(REF + suffix, event, user, data, at=at)


def test_a_year_of_npc_suggestion_tells_each_party_once(store, runtime, chinese):
    register_for_year(runtime, REF)  # deputies 张三 (zhang) and 李四 (lisi)
    play(runtime, YEAR)
    title = "关于县城供水管网改造的建议"
    assert told(store) == [
        # assign (会办 with 县财政局 and 县教育局), then assigned again after a change request
        ("li", f"【交办】{REF} {title}"), ("sun", f"【交办】{REF} {title}"), ("zhao", f"【交办】{REF} {title}"),
        ("li", f"【同意改办】{REF} {title}"), ("zhao", f"【同意改办】{REF} {title}"),
        # the first reply (sent back), the second, and the rating due
        ("lisi", f"【答复代表】{REF} {title}"), ("zhang", f"【答复代表】{REF} {title}"),
        ("lisi", f"【答复代表】{REF} {title}"), ("zhang", f"【答复代表】{REF} {title}"),
        ("lisi", f"【答复审核通过】{REF} {title}"), ("zhang", f"【答复审核通过】{REF} {title}"),
    ]
    sent = bodies(store)
    assert "办理方式：会办；主办单位：县住建局；协办单位：县财政局、县教育局" in sent["sun"][0]
    # 会办: the reply carries the opinion of the co-unit still on the item (县教育局 was taken off)
    assert "答复内容：\n张三、李四代表：您好！\n县财政局：同意\n签发人：王局长；联系人：李科长" in sent["zhang"][0]
    assert "（C类）" in sent["zhang"][1] and "请对办理情况作出评价" in sent["zhang"][2]
    assert all(body.endswith("—— banli 办理系统") for body in sent["li"])


def test_a_suggestion_not_filed_tells_its_deputies_why(store, runtime):
    register_for_year(runtime, REF)
    runtime.fire(REF, "reject", "reg", {"reason": "属于个人诉求，不宜作为代表建议"}, at="2026-01-06T09:00")
    assert [recipient for recipient, _subject in told(store)] == ["lisi", "zhang"]
    assert all("理由：属于个人诉求，不宜作为代表建议" in body[0] for body in bodies(store).values())
    # written at the event's time, in UTC as every instant the outbox keeps (09:00 in Shanghai)
    assert bodies(store, column="created_at") == {"lisi": ["2026-01-06T01:00:00.000000"],
                                                  "zhang": ["2026-01-06T01:00:00.000000"]}


def test_an_event_refused_tells_nobody(store, runtime):
    register_for_year(runtime, REF)
    play(runtime, YEAR[:4])
    with pytest.raises(NotPermitted):  # only a supervisor assigns
        runtime.fire(REF, "assign", "li", {"lead_unit": "zjj", "mode": "单独办理"}, at="2026-03-02T09:00")
    with pytest.raises(NotAllowedNow):  # no reply to accept yet
        runtime.fire(REF, "accept_reply", "wang", {}, at="2026-03-02T09:00")
    assert told(store) == []


def test_an_event_undone_in_its_transaction_leaves_no_notice(store, runtime):
    register_for_year(runtime, REF)
    play(runtime, YEAR[:4])
    with pytest.raises(RuntimeError), store.write() as tx:
        runtime.fire_in(tx, REF, "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-03-02T09:00")
        raise RuntimeError("the transaction fails after the event")
    assert told(store) == []
    runtime.fire(REF, "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"}, at="2026-03-02T09:00")
    assert [recipient for recipient, _subject in told(store)] == ["li"]


NAMED = """
id: named-notices
fields:
  owner: {type: person}
  unit: {type: unit}
states: {new: {initial: true}, done: {final: true}}
events:
  hand_over:
    from: new
    internal: true
    roles: [supervisor]
    data: {owner: {}, unit: {}, note: {}}
    notify:
      - {to: [field:owner, field:unit], message: "请接手 {ref}：{note}（{missing_note}）"}
      - {to: supervisor}
  close:
    from: new
    to: done
    roles: [supervisor]
    notify: [own_deputy, supervisor, field:owner]
"""


def test_recipients_named_by_a_field_each_once(store, runtime, chinese):
    register_text(store, NAMED.replace("（{missing_note}）", ""), "named.yaml", "test")
    runtime.create(workflow_id="named-notices", ref="N-1", title="一件事", actor="wang", deputies=["张三"],
                   at="2026-01-05T09:00")
    runtime.fire("N-1", "hand_over", "wang", {"owner": "sun", "unit": "czj", "note": "周五前"}, at="2026-01-06T09:00")
    runtime.fire("N-1", "close", "wang", {}, at="2026-01-07T09:00")
    assert told(store, "N-1") == [("sun", "【hand_over】N-1 一件事"), ("zhao", "【hand_over】N-1 一件事"),
                                  ("wang", "【hand_over】N-1 一件事"),
                                  ("zhang", "【close】N-1 一件事"), ("wang", "【close】N-1 一件事"),
                                  ("sun", "【close】N-1 一件事")]
    assert "请接手 N-1：周五前" in bodies(store, "N-1")["sun"][0]
    assert "事件：close\n当前状态：done" in bodies(store, "N-1")["sun"][1]


def test_notify_is_checked_with_its_position():
    with pytest.raises(DefinitionErrors) as caught:
        parse_text(NAMED.replace("supervisor, field:owner]", "supervisor, field:title, boss]"), "named.yaml")
    messages = [problem.render() for problem in caught.value.problems]
    assert any(message.startswith("named.yaml:14:50:") and "'{missing_note}'" in message for message in messages)
    assert any(message.startswith("named.yaml:20:38:") and "field:title" in message for message in messages)
    assert any(message.startswith("named.yaml:20:51:") and "unknown recipient 'boss'" in message
               for message in messages)
