"""`banli workflow diff` shows every change that alters behaviour: a condition guard by its
condition and message (not as `condition`), an event's notices by recipients and text, an
effect by its parameters, the clock, the office hours and the scoring rules themselves."""

from __future__ import annotations

from banli.engine.diff import diff
from banli.engine.parse import parse_text

BASE = """\
id: permit
office_hours: ["08:30-12:00", "14:30-18:00"]
fields:
  urges: {type: int}
  supervised: {type: bool}
  lead_unit: {type: unit}
states:
  new: {initial: true}
  handling: {deadline: {after: 5 workdays, from: enter}}
  done: {final: true}
events:
  start: {from: new, to: handling, roles: [supervisor], data: {lead_unit: {required: true}}, NOTIFY_START}
  urge: {from: handling, internal: true, roles: [supervisor], effects: [{set_fields: {supervised: SUPERVISED}}]}
  hold: {from: handling, internal: true, roles: [supervisor], CLOCK}
  resume: {from: handling, internal: true, roles: [supervisor], RESUME}
  close:
    from: handling
    to: done
    roles: [supervisor]
    guards: [{when: "WHEN", because: BECAUSE}]
scoring:
  - {event: close, on_time: true, points: POINTS, label: 按时}
"""

OLD = {"NOTIFY_START": "notify: [lead_unit]", "SUPERVISED": "false", "CLOCK": "clock: pause", "RESUME": "clock: resume",
       "WHEN": "urges < 2", "BECAUSE": "已催办两次请督办", "POINTS": "2"}


def _definition(**changed: str):
    text = BASE
    for key, value in {**OLD, **changed}.items():
        text = text.replace(key, value)
    return parse_text(text, "permit.yaml")


def _changes(**changed: str) -> dict:
    return {(c["section"], c["name"]): c["details"] for c in diff(_definition(), _definition(**changed))}


def test_the_same_definition_has_no_changes():
    assert diff(_definition(), _definition()) == []


def test_a_condition_guard_shows_its_condition_and_its_message():
    changes = _changes(WHEN="urges < 3")
    assert changes == {("event", "close"): {"guards": [["when urges < 2 because 已催办两次请督办"],
                                                       ["when urges < 3 because 已催办两次请督办"]]}}

    only_the_message = _changes(BECAUSE="请改为督办")
    assert only_the_message[("event", "close")]["guards"][1] == ["when urges < 2 because 请改为督办"]


def test_event_notices_show_recipients_and_message():
    changes = _changes(NOTIFY_START='notify: {to: [lead_unit, supervisor], message: "已交办：{ref}"}')
    assert changes[("event", "start")] == {"notify": [["to lead_unit"], ["to lead_unit,supervisor: 已交办：{ref}"]]}

    dropped = _changes(NOTIFY_START="label: 开始")
    assert dropped[("event", "start")]["notify"] == [["to lead_unit"], []]


def test_effect_parameters_the_clock_and_scoring_rules_show():
    assert _changes(SUPERVISED="true")[("event", "urge")] == {
        "effects": [["set_fields {supervised: false}"], ["set_fields {supervised: true}"]]}
    unpaused = _changes(CLOCK="label: 暂停", RESUME="label: 继续")
    assert unpaused[("event", "hold")] == {"clock": ["pause", None], "label": ["hold", "暂停"]}
    assert _changes(POINTS="3")[("scoring", "rules")] == {
        "rules": [["close on_time true: +2 (按时)"], ["close on_time true: +3 (按时)"]]}


def test_office_hours_show_as_the_definition_writes_them():
    changes = _changes(**{'"14:30-18:00"': '"14:00-17:30"'})
    assert changes[("definition", "permit")] == {
        "office_hours": [["08:30-12:00", "14:30-18:00"], ["08:30-12:00", "14:00-17:30"]]}
