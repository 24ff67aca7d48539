"""The item page names an event's data keys as the definition does: a field by its label, an
event-only key by the `label` its event gives it (落实情况 for `evidence`), else banli's own
name for the common keys, else the key itself."""

from __future__ import annotations

from banli.web.views import history_row


def _row(event: str, data: dict) -> dict:
    return {"seq": 9, "occurred_at": "2026-03-01T09:00:00", "event": event, "from": "fulfilling", "to": "closed",
            "actor": "li", "data": data, "hash": "h", "prev_hash": "p"}


def test_history_rows_name_data_keys_by_the_definitions_labels(store):
    workflow = store.workflows.get("npc-suggestion")
    row = history_row(_row("fulfil", {"evidence": "管网改造已完工", "note": "已回访", "fulfilled": True, "x_key": 1}),
                      workflow, {}, {})
    assert [name for name, _value in row["data"]] == ["落实情况", "备注", "承诺已落实", "x_key"]
