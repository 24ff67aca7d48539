"""A reminder's own words (`message`), on every backend: the people notified read it with the
item's fields, units by their names, and the deadline's last day filled in; without one they
read the sweep's words for a handling deadline. `validate` checks the placeholders."""

from __future__ import annotations

from datetime import datetime

import pytest

from banli.engine.definitions import register_text
from banli.engine.parse import parse_text
from banli.engine.sweep import sweep
from banli.errors import DefinitionErrors
from banli.i18n import use
from banli.store.memory import MemoryStore
from tests.unit.conftest import SHANGHAI

PROMISED = """
id: promised
calendar: plain
fields:
  lead_unit: {type: unit}
  promise: {type: text}
states:
  open:
    initial: true
    deadline: {after: 10 days, from: enter}
    reminders:
      - {before: 3 days, notify: [lead_unit], message: "{lead_unit}承诺的事项（{promise}）将于{deadline}到期，请按期落实。"}
      - {overdue: 0 days, notify: [supervisor]}
  done: {final: true}
events:
  close: {from: open, to: done, roles: [supervisor]}
"""


def bodies(store, ref: str) -> dict[str, list[str]]:
    """recipient → the bodies of the reminders about `ref`, in the order written."""
    if isinstance(store, MemoryStore):
        rows = store.notifications
    else:
        from sqlalchemy import select

        from banli.store.schema import notification_t

        with store.engine.connect() as connection:
            rows = [row._mapping for row in connection.execute(select(notification_t).order_by(notification_t.c.id))]
    found: dict[str, list[str]] = {}
    for row in rows:
        if row["ref"] == ref:
            found.setdefault(row["recipient"], []).append(row["body"])
    return found


@pytest.fixture
def opened(store, runtime, clock):
    register_text(store, PROMISED, "promised.yaml", "test")
    clock.now = datetime(2026, 12, 1, 12, tzinfo=SHANGHAI)
    runtime.create(workflow_id="promised", ref="P-1", title="承诺事项", actor="reg", at="2026-06-01T09:00",
                   fields={"lead_unit": "zjj", "promise": "年底前完成管网改造"})
    return "P-1"  # due by the end of 11 June


def test_a_reminder_says_its_own_words_with_the_item_filled_in(store, runtime, opened):
    with use("zh_CN"):  # the deadline and the sweep's own words in Chinese
        sweep(runtime, datetime(2026, 6, 9, 10, tzinfo=SHANGHAI))
        sweep(runtime, datetime(2026, 6, 12, 10, tzinfo=SHANGHAI))
    told = bodies(store, opened)
    assert "县住建局承诺的事项（年底前完成管网改造）将于2026年6月11日到期，请按期落实。" in told["li"][0]
    assert "该事项已超过办理期限，请抓紧办理并及时答复。" in told["wang"][0]  # no message: the sweep's words
    assert "{" not in told["li"][0]


@pytest.mark.parametrize("reminder, said", [
    ('{before: 3 days, notify: [supervisor], message: "请于{due}前处理"}', "'{due}' is not one it can fill"),
    ('{overdue: 0 days, fire: close, message: "已逾期"}', "a message needs people to tell; add 'notify'"),
], ids=["unknown-placeholder", "no-one-to-tell"])
def test_validate_refuses_a_message_it_cannot_fill_or_send(reminder, said):
    text = PROMISED.replace('{overdue: 0 days, notify: [supervisor]}', reminder).replace(
        "roles: [supervisor]}", "roles: [supervisor, system]}")
    with pytest.raises(DefinitionErrors) as refused:
        parse_text(text, "promised.yaml")
    assert said in str(refused.value)
