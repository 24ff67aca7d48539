"""Values in people's words: units and people by name, choices by label, flags as yes/no."""

from __future__ import annotations

import pytest

from banli.engine.model import Choices, Field, Label
from banli.engine.records import OrgNames
from banli.engine.wording import event_text, field_text, person_text
from banli.i18n import use

NAMES = OrgNames(deputies=("张三",), units={"zjj": "县住建局", "jyj": "县教育局"}, people={"li": "李华"})


def _field(kind: str, choices=()) -> Field:
    return Field(name="x", type=kind, label=Label(zh="某项", en="x"), choices=choices)


@pytest.mark.parametrize(("field", "value", "expected"), [
    (_field("unit"), "zjj", "县住建局"),
    (_field("units"), ["zjj", "jyj"], "县住建局、县教育局"),
    (_field("person"), "li", "李华"),
    (_field("person"), "gone", "gone"),  # a person no longer in the organisation: the id, not nothing
    (_field("choice", Choices(("phone", "face_to_face"), {"face_to_face": "面对面"})), "face_to_face", "面对面"),
    (_field("choice", Choices(("phone", "face_to_face"), {"face_to_face": "面对面"})), "phone", "phone"),
    (_field("text"), "zjj", "zjj"),  # a text is shown as written, even when it looks like an id
    (None, ["a", "b"], "a、b"),
    (_field("int"), None, ""),
], ids=["unit", "units", "person", "unknown person", "labelled choice", "unlabelled choice", "text", "untyped list",
        "nothing"])
def test_field_text(field, value, expected, chinese):
    assert field_text(field, value, NAMES) == expected


def test_flags_and_the_system_follow_the_language():
    with use("zh_CN"):
        assert (field_text(_field("bool"), True, NAMES), person_text("system", NAMES)) == ("是", "系统")
    with use("en"):
        assert (field_text(_field("bool"), False, NAMES), person_text("system", NAMES)) == ("no", "the system")


def test_the_engines_own_events_have_words():
    class Workflow:
        def label(self, name):
            return {"sign_for": "签收"}.get(name, name)

    with use("zh_CN"):
        assert (event_text(Workflow(), "created"), event_text(Workflow(), "sign_for")) == ("登记", "签收")


def test_a_label_is_shown_in_the_readers_language_when_the_definition_gives_it():
    both, once = Label(zh="已登记", en="Registered"), Label(zh="已登记", en="已登记")
    with use("zh_CN"):
        assert (str(both), str(once)) == ("已登记", "已登记")
    with use("en"):
        assert (str(both), str(once)) == ("Registered", "已登记")
