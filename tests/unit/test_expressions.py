"""Conditions written as text (`when: "…"`, guards `{when: …, because: …}`): what they mean,
what `workflow validate` says of a wrong one and where, and what they can never do."""

from __future__ import annotations

import pytest

from banli.engine.expressions import (
    BOOL, MAX_LENGTH, TEXT, Expression, ExpressionError, compile_expression, kind_of_field, matches,
)
from banli.engine.parse import parse_text
from banli.errors import DefinitionErrors

NAMES = {
    "rating": kind_of_field("choice", ("满意", "基本满意", "不满意")),
    "result_class": kind_of_field("choice", ("A", "B", "C")),
    "promised_on": kind_of_field("date"),
    "urge_count": kind_of_field("int"),
    "co_units": kind_of_field("units"),
    "title": TEXT,
    "supervised": BOOL,
}
EVENTS = {"rate", "return_reply", "urge"}


def holds(source: str, fields: dict, counts: dict | None = None) -> bool:
    expression = compile_expression(source, NAMES, EVENTS)
    return expression.holds(fields, (counts or {}).get)


@pytest.mark.parametrize("source, fields, counts, expected", [
    ("rating == '不满意' and count('rate') >= 2", {"rating": "不满意"}, {"rate": 2}, True),
    ("rating == '不满意' and count('rate') >= 2", {"rating": "不满意"}, {"rate": 1}, False),
    ("count(return_reply) < 2", {}, {"return_reply": 0}, True),
    ("result_class in ['B', 'C'] and has(promised_on)", {"result_class": "B", "promised_on": "2024-06-30"}, {}, True),
    ("result_class in ['B', 'C'] and has(promised_on)", {"result_class": "B", "promised_on": None}, {}, False),
    ("result_class not in ['B', 'C']", {"result_class": "A"}, {}, True),
    ("urge_count > 3", {"urge_count": 4}, {}, True),
    ("urge_count > 3", {}, {}, False),  # unset: neither more nor less than anything
    ("not (urge_count <= 3)", {}, {}, True),
    ("1 < urge_count <= 3", {"urge_count": 3}, {}, True),
    ("urge_count >= -1", {"urge_count": 0}, {}, True),
    ("promised_on < '2024-06-30'", {"promised_on": "2024-05-01"}, {}, True),
    ("promised_on in ['2024-05-01', '2024-06-01']", {"promised_on": "2024-05-01"}, {}, True),
    ("'zjj' in co_units", {"co_units": ["czj", "zjj"]}, {}, True),
    ("'zjj' not in co_units", {}, {}, True),
    ("len(co_units) >= 2 or supervised", {"co_units": ["czj"], "supervised": True}, {}, True),
    ("'物业' in title and len(title) > 3", {"title": "关于物业管理的建议"}, {}, True),
    ("rating == null", {}, {}, True),
    ("rating != null", {}, {}, False),
    ("not supervised", {"supervised": False}, {}, True),
    ("supervised == true", {}, {}, False),
], ids=lambda value: value if isinstance(value, str) else None)
def test_an_expression_means_what_it_says(source, fields, counts, expected):
    assert holds(source, fields, counts) is expected


def test_a_mapping_when_is_still_a_tuple_check_and_count_is_asked_only_when_used():
    assert matches((("rating", ("满意", "基本满意")),), {"rating": "满意"})
    asked = []
    expression = compile_expression("rating == '满意' or count('urge') > 1", NAMES, EVENTS)
    assert expression.uses_count and not compile_expression("rating == '满意'", NAMES, EVENTS).uses_count
    assert matches(expression, {"rating": "满意"}, lambda event: asked.append(event) or 0)
    assert asked == []  # `or` stops at the first true part
    assert expression == Expression("rating == '满意' or count('urge') > 1") and "count" in repr(expression)


@pytest.mark.parametrize("source, says", [
    ("rating == '很满意'", "'很满意' (column 11) is not a choice; choices: 满意, 基本满意, 不满意"),
    ("rating in ['A']", "'A' (column 12) is not a choice"),
    ("ratng == '满意'", "unknown field 'ratng' (column 1)"),
    ("urge_count", "the condition is a number, not true or false"),
    ("urge_count == '3'", "it compares a number 'urge_count' (column 1) with a text '3' (column 15)"),
    ("title < 'b'", "'<', '<=', '>', '>=' compare two numbers or two dates"),
    ("promised_on < '2024-13-01'", "'2024-13-01' (column 15) is compared with a date but is not one"),
    ("urge_count in co_units", "it could never be there"),
    ("count('nope') > 1", "count() takes an event of this workflow, not 'nope' (column 7); events: rate, return_reply, urge"),
    ("count('rate', 2) > 1", "count() takes one value"),
    ("has('title')", "has() names a field"),
    ("len(urge_count) > 1", "len() measures text or a list"),
    ("supervised and title", "'and' joins conditions, but 'title' (column 16) is a text"),
    ("rating in ['满意', 1]", "mixes number and text"),
    ("rating in [urge_count]", "a list holds values"),
    ("rating is None", "'is' and 'is not' are not part of the condition language; use == or !="),
    ("rating == '满意' and", "is not a condition"),
    ("", "a condition is text"),
])
def test_a_wrong_expression_is_refused_with_what_to_write(source, says):
    with pytest.raises(ExpressionError, match=None) as caught:
        compile_expression(source, NAMES, EVENTS)
    assert says in str(caught.value)


@pytest.mark.parametrize("source", [
    "title.__class__ == 'x'",  # attribute access
    "__import__('os') == 1",  # a dunder function
    "title.upper() == 'X'",  # a method
    "().__class__.__bases__[0] == 1",
    "2 ** 99999999 > 1",  # a huge exponent: no arithmetic at all
    "'a' * 100000000 == 'b'",  # a huge string: no arithmetic at all
    "[x for x in co_units] == []",
    "(lambda: 1)() == 1",
    "title[0] == 'a'",
    "f'{title}' == 'a'",
    "eval('1') == 1",
    "open('/etc/passwd') == 1",
    "b'x' == 'x'",
    "(x := 1) == 1",
    "rating == '满意' if supervised else true",
    "{'a': 1} == 1",
])
def test_nothing_but_the_condition_language_is_accepted(source):
    with pytest.raises(ExpressionError, match="not part of the condition language|not a function|not a value"):
        compile_expression(source, NAMES, EVENTS)


@pytest.mark.parametrize("source, says", [
    ("x" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH}"),
    ("not " * 60 + "supervised", "nested more than"),
    ("urge_count in [" + ",".join(map(str, range(101))) + "]", "at most 100"),
    ("rating == '满\x00意'", "control character"),
])
def test_sizes_are_capped_before_anything_runs(source, says):
    with pytest.raises(ExpressionError, match=None) as caught:
        compile_expression(source, NAMES, EVENTS)
    assert says in str(caught.value)


DEFINITION = """\
id: demo
fields:
  rating: {type: choice, choices: [满意, 不满意]}
  urges: {type: int}
states: {new: {initial: true}, done: {final: true}, again: {}}
events:
  close:
    from: new
    roles: [supervisor]
    data: {rating: {}, note: {}}
    guards:
      - {when: "urges < 3", because: 催办已满三次，请督办}
    to:
      - {when: "note == 'x' and count('close') > 1", to: again}
      - {to: done}
  retry: {from: again, to: done, roles: [supervisor]}
  review: {from: done, internal: true, roles: [system]}
campaigns:
  look: {select: [{state: done, when: "count('retry') >= 1 and rating == '满意'"}], fire: review}
scoring:
  - {event: close, when: "urges > 1", points: 1}
"""


GUARD = '"urges < 3", because: 催办已满三次，请督办'


@pytest.mark.parametrize("original, replacement, expected", [
    (GUARD, '"urges < \'x\'", because: 催办', "12:16: 'when' in a guard of event 'close': it orders a number 'urges' "
                                          "(column 1) and a text 'x' (column 9)"),
    (GUARD, '"urges < 3", because: ""', "12:38: a guard of event 'close': 'because' (what the user is told) is empty"),
    (GUARD, '"urges < 3", unless: x', "12:29: unknown key 'unless' in a guard of event 'close'; allowed: when, because"),
    (GUARD, '"note == \'x\'"', "12:16: 'when' in a guard of event 'close': unknown field 'note' (column 1)"),
    ("\"note == 'x' and", "\"rating == '很满意' and", "14:16: 'when' in event 'close' branch 1: '很满意' (column 11) "
                                                 "is not a choice"),
    ("rating == '满意'\"}]", "ratin == '满意'\"}]", "19:39: 'when' in campaign 'look'.select: unknown field 'ratin' "
                                                "(column 25)"),
    ('"urges > 1"', "\"count('close') > 1\"", "21:26: 'when' in scoring rule 1: count() cannot be used here"),
], ids=["guard-type", "guard-because", "guard-key", "guard-before-data", "branch-choice", "select-field",
        "scoring-count"])
def test_validate_reports_a_wrong_expression_at_its_when_value(original, replacement, expected):
    text = DEFINITION.replace(original, replacement, 1)
    assert text != DEFINITION
    with pytest.raises(DefinitionErrors) as caught:
        parse_text(text, "wrong.yaml")
    rendered = [problem.render() for problem in caught.value.problems]
    assert len(rendered) == 1 and rendered[0].startswith("wrong.yaml:" + expected), rendered


def test_an_expression_is_compiled_once_with_its_definition():
    definition = parse_text(DEFINITION, "good.yaml")
    branch = definition.events["close"].branches[0]
    assert isinstance(branch.when, Expression) and branch.when.uses_count  # 'note' is the event's own data key
    guard = definition.events["close"].guards[0]
    assert guard.name == "condition" and guard.kwargs()["when"] == Expression("urges < 3")
    assert isinstance(definition.scoring[0].when, Expression)
    assert definition.campaigns["look"].select[0].when.uses_count
    assert list(branch.when) == [("expression", (branch.when.source,))]  # how listings of a `when` show it
