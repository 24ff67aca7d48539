"""The definition language (SPEC §7): files that must parse, files that must fail where they
say, duration arithmetic on the Chinese calendar, and branch selection in the compiled machine."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from banli.engine.calendar import ChineseCalendar, PlainCalendar, Probe, YearSchedule
from banli.engine.compile import CompiledWorkflow
from banli.engine.definitions import builtin_files
from banli.engine.durations import Duration, from_deadline, parse_duration, shift
from banli.engine.load import load_text
from banli.engine.parse import parse_file, parse_text
from banli.errors import DefinitionErrors

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
GOOD = sorted((DEFINITIONS / "good").glob("*.yaml"))
BROKEN = sorted((DEFINITIONS / "broken").glob("*.yaml"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _files(paths: list[Path]) -> list:
    return [pytest.param(path, id=path.name) for path in paths]


def _compile(path: Path) -> CompiledWorkflow:
    definition, _text = parse_file(path)
    return CompiledWorkflow(definition, "test-hash")


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# -- definition files --------------------------------------------------------------------


def test_the_folders_hold_the_cases():
    assert {"hotline-order.yaml", "cppcc-proposal-example.yaml"} <= {path.name for path in GOOD}
    assert len(BROKEN) >= 26


@pytest.mark.parametrize("path", _files(GOOD))
def test_good_definition_parses_and_compiles(path):
    workflow = _compile(path)

    definition = workflow.definition
    assert definition.id == path.stem
    assert set(workflow.machine.events) == {name for name, event in definition.events.items() if not event.internal}


@pytest.mark.parametrize("path", _files(BROKEN))
def test_broken_definition_reports_each_expected_problem(path):
    expected = [_EXPECT.match(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("# expect:")]
    assert expected and all(expected), f"{path.name} needs '# expect: LINE:COL: text' lines"

    with pytest.raises(DefinitionErrors) as raised:
        parse_file(path)

    problems = list(raised.value.problems)
    rendered = [problem.render() for problem in problems]
    assert len(problems) == len(expected), rendered
    for match in expected:
        line, column, text = int(match[1]), int(match[2]), match[3]
        found = next((problem for problem in problems
                      if (problem.line, problem.column) == (line, column) and text in problem.message), None)
        assert found is not None, f"no problem at {line}:{column} containing {text!r}; got {rendered}"
        problems.remove(found)


def test_problems_render_as_file_line_column_message():
    path = DEFINITIONS / "broken" / "unknown-top-key.yaml"

    with pytest.raises(DefinitionErrors) as raised:
        parse_file(path)

    assert raised.value.problems[0].render().startswith(f"{path}:3:1: unknown key 'owner'")
    assert raised.value.exit_code == 3


def test_every_problem_is_reported_in_file_order():
    with pytest.raises(DefinitionErrors) as raised:
        parse_file(DEFINITIONS / "broken" / "several-errors.yaml")

    positions = [(problem.line, problem.column) for problem in raised.value.problems]
    assert positions == [(7, 16), (9, 54), (12, 42)]
    assert "(and 2 more)" in str(raised.value)


@pytest.mark.parametrize("path", _files(builtin_files()))
def test_builtin_workflow_parses_and_compiles(path):
    workflow = _compile(path)

    assert workflow.definition.id == path.stem


def test_builtin_workflows_include_the_suggestion_and_its_unit_task():
    assert {"npc-suggestion", "unit-task"} <= {path.stem for path in builtin_files()}


# -- YAML details ------------------------------------------------------------------------


def test_yes_no_on_off_stay_text():
    document = load_text("a: yes\nb: no\nc: on\nd: off\ne: true\nf: false\n")

    assert document == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": False}


def test_a_choice_of_yes_and_no_keeps_its_words():
    definition = parse_text("""
id: yes-no
fields:
  agreed: {type: choice, choices: [yes, no]}
states:
  new: {initial: true}
  closed: {final: true}
events:
  close:
    from: new
    roles: [supervisor]
    to:
      - {when: {agreed: no}, to: new}
      - {to: closed}
""")

    assert definition.fields["agreed"].choices == ("yes", "no")
    assert definition.events["close"].branches[0].when == (("agreed", ("no",)),)


def test_settings_references_resolve_to_durations():
    definition, _text = parse_file(DEFINITIONS / "good" / "hotline-order.yaml")

    handling = definition.states["handling"]
    assert handling.deadline.after == Duration(amount=5, unit="workdays")
    assert handling.deadline.start == "sign_for"
    assert [reminder.offset for reminder in handling.reminders] == [
        Duration(amount=1, unit="days"), Duration(amount=0, unit="days"), Duration(amount=2, unit="workdays")]
    assert definition.events["sign_for"].within.after == Duration(amount=1, unit="workdays")


def test_event_only_data_keeps_its_own_type_and_fields_keep_theirs():
    definition, _text = parse_file(DEFINITIONS / "good" / "hotline-order.yaml")

    contact = definition.events["contact"]
    method = contact.data_spec("method")
    assert (method.type, method.required, method.is_field) == ("choice", True, False)
    assert method.choices == ("phone", "face_to_face", "visit", "letter")
    assert contact.data_spec("note").type == "text"
    assert definition.events["reply"].data_spec("promised_on").type == "date"
    assert definition.events["reply"].data_spec("promised_on").is_field


# -- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("5 workdays", 5, "workdays"),
    ("1 day", 1, "days"),
    ("3 months", 3, "months"),
    ("24 hours", 24, "hours"),
    ("2 weeks", 2, "weeks"),
    ("0 days", 0, "days"),
])
def test_parse_duration(text, amount, unit):
    assert parse_duration(text) == Duration(amount=amount, unit=unit)


@pytest.mark.parametrize("text", ["3 fortnights", "five days", "-1 days", "3", "", "days", None, 5, ["1 days"]])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


@pytest.mark.parametrize(("start", "duration", "end"), [
    (_local(2025, 3, 3, 10), "1 days", _local(2025, 3, 5)),            # ends at 24:00 of 4 March
    (_local(2025, 3, 3, 23, 59), "2 weeks", _local(2025, 3, 18)),
    (_local(2025, 1, 31, 9), "1 months", _local(2025, 3, 1)),          # 31 Jan + 1 month = 28 Feb
    (_local(2024, 1, 31, 9), "1 months", _local(2024, 3, 1)),          # leap year: 29 Feb
    (_local(2025, 8, 31, 9), "3 months", _local(2025, 12, 1)),         # 30 November
    (_local(2025, 11, 30, 9), "3 months", _local(2026, 3, 1)),         # across the year: 28 Feb 2026
    (_local(2025, 9, 30, 22, 30), "24 hours", _local(2025, 10, 1, 22, 30)),  # hours: the exact instant
])
def test_shift_on_the_plain_calendar(start, duration, end):
    assert shift(start, parse_duration(duration), PlainCalendar(), SHANGHAI) == end


def test_shift_back_clamps_to_month_end():
    assert shift(_local(2025, 3, 31, 9), parse_duration("1 months"), PlainCalendar(), SHANGHAI, sign=-1) \
        == _local(2025, 3, 1)  # 28 Feb, ending at 24:00


def test_shift_counts_days_in_local_time_not_utc():
    early_morning = datetime.fromisoformat("2025-03-02T17:30:00+00:00")  # 3 March 01:30 in Shanghai

    assert shift(early_morning, parse_duration("1 days"), PlainCalendar(), SHANGHAI) == _local(2025, 3, 5)


@pytest.mark.parametrize(("start", "duration", "cn_end", "plain_end"), [
    # Friday 26 Sep 2025: Saturday is off, Sunday 28 Sep is an adjusted workday.
    (_local(2025, 9, 26, 10), "1 workdays", _local(2025, 9, 29), _local(2025, 9, 30)),
    # Tuesday 30 Sep: 1-8 Oct are the National Day holiday; the next workday is 9 Oct.
    (_local(2025, 9, 30, 10), "1 workdays", _local(2025, 10, 10), _local(2025, 10, 2)),
    # ...and Saturday 11 Oct is an adjusted workday: 9, 10, 11 Oct.
    (_local(2025, 9, 30, 10), "3 workdays", _local(2025, 10, 12), _local(2025, 10, 4)),
    (_local(2025, 9, 30, 10), "5 workdays", _local(2025, 10, 15), _local(2025, 10, 8)),
])
def test_workdays_follow_the_statutory_calendar(start, duration, cn_end, plain_end):
    assert shift(start, parse_duration(duration), ChineseCalendar(), SHANGHAI) == cn_end
    assert shift(start, parse_duration(duration), PlainCalendar(), SHANGHAI) == plain_end


def test_workdays_back_from_after_the_holiday():
    before = shift(_local(2025, 10, 9, 10), parse_duration("1 workdays"), ChineseCalendar(), SHANGHAI, sign=-1)

    assert before == _local(2025, 10, 1)  # 30 Sep, ending at 24:00


def test_overdue_counts_from_the_deadlines_own_day():
    deadline = _local(2025, 10, 1)  # the end of 30 September

    overdue = from_deadline(deadline, parse_duration("2 workdays"), ChineseCalendar(), SHANGHAI)

    assert overdue == _local(2025, 10, 11)  # 9 and 10 October


def test_chinese_calendar_knows_the_adjusted_days():
    calendar = ChineseCalendar()

    assert calendar.is_workday(date(2025, 9, 28))       # a Sunday worked
    assert calendar.is_workday(date(2025, 10, 11))      # a Saturday worked
    assert not calendar.is_workday(date(2025, 10, 8))   # a Wednesday off
    assert not calendar.is_workday(date(2025, 9, 27))   # an ordinary Saturday


def test_an_operator_schedule_covers_a_year_the_library_does_not_know():
    schedule = YearSchedule(2099, frozenset({date(2099, 1, 1)}), frozenset({date(2099, 1, 3)}))
    calendar = ChineseCalendar({2099: schedule})

    assert calendar.lookup(date(2099, 1, 1)) == (False, "operator")   # a Thursday declared a holiday
    assert calendar.lookup(date(2099, 1, 3)) == (True, "operator")    # a Saturday declared a workday


def test_an_unknown_year_falls_back_to_monday_to_friday_and_says_so(caplog):
    calendar = ChineseCalendar()

    assert calendar.lookup(date(2098, 1, 1)) == (True, "fallback")
    assert calendar.lookup(date(2098, 1, 4)) == (False, "fallback")  # a Saturday
    assert "no official holiday schedule for 2098" in caplog.text
    probe = Probe(calendar)
    shift(_local(2098, 1, 1, 9), parse_duration("3 workdays"), probe, SHANGHAI)
    assert probe.basis == "fallback"
    probe = Probe(calendar)
    shift(_local(2025, 1, 6, 9), parse_duration("3 workdays"), probe, SHANGHAI)
    assert probe.basis == "cn"


# -- branch selection --------------------------------------------------------------------


@pytest.fixture(scope="module")
def hotline() -> CompiledWorkflow:
    return _compile(DEFINITIONS / "good" / "hotline-order.yaml")


@pytest.mark.parametrize(("fields", "destination"), [
    ({"urgency": "紧急", "category": "供水"}, "urgent_handling"),
    ({"urgency": "紧急", "category": "道路"}, "urgent_handling"),   # a list value means "one of"
    ({"urgency": "紧急", "category": "噪音"}, "handling"),          # every key must match
    ({"urgency": "一般", "category": "供水"}, "handling"),
    ({}, "handling"),                                                # unset fields fall back
], ids=["urgent-water", "urgent-road", "urgent-noise", "ordinary-water", "unset"])
def test_sign_for_takes_the_first_matching_branch(hotline, fields, destination):
    assert hotline.destination("sign_for", "dispatched", fields) == destination


@pytest.mark.parametrize(("fields", "destination"), [
    ({"rating": "不满意", "urgency": "紧急"}, "urgent_handling"),
    ({"rating": "不满意", "urgency": "一般"}, "handling"),
    ({"rating": "基本满意", "urgency": "紧急"}, "closed"),
    ({"rating": "满意"}, "closed"),
])
def test_rate_branches_in_order(hotline, fields, destination):
    assert hotline.destination("rate", "replied", fields) == destination


def test_an_internal_event_stays_in_its_state(hotline):
    assert hotline.destination("contact", "urgent_handling", {"method": "face_to_face"}) == "urgent_handling"


def test_a_proposals_examination_decides_its_filing():
    cppcc = _compile(DEFINITIONS / "good" / "cppcc-proposal-example.yaml")

    assert cppcc.destination("examine", "submitted", {"decision": "立案"}) == "filed"
    assert cppcc.destination("examine", "submitted", {"decision": "转意见"}) == "opinion"
    assert cppcc.destination("examine", "submitted", {"decision": "不立案"}) == "not_filed"
    assert cppcc.destination("rate", "answered", {"rating": "不满意", "key_proposal": True}) == "handling"
    assert cppcc.destination("rate", "answered", {"rating": "不满意", "key_proposal": False}) == "closed"


def test_npc_suggestion_unsatisfied_rating_goes_to_rehandling():
    npc = _compile(next(path for path in builtin_files() if path.stem == "npc-suggestion"))

    assert npc.destination("rate", "awaiting_feedback", {"rating": "不满意"}) == "rehandling"
    assert npc.destination("rate", "awaiting_feedback", {"rating": "基本满意"}) == "closed"


def test_numeric_choices_match_the_text_an_item_holds():
    workflow = CompiledWorkflow(parse_text("""
id: grades
fields:
  grade: {type: choice, choices: [1, 2, 3]}
states:
  new: {initial: true}
  good: {final: true}
  other: {final: true}
events:
  grade:
    from: new
    roles: [reviewer]
    data: {grade: {required: true}}
    to:
      - {when: {grade: [1, 2]}, to: good}
      - {to: other}
"""), "test-hash")

    assert workflow.destination("grade", "new", {"grade": "2"}) == "good"
    assert workflow.destination("grade", "new", {"grade": "3"}) == "other"
