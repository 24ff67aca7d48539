"""`--as-of T` means everything as of T: the seed year (tests/integration/seed_report.py)
reported at four instants against figures counted by hand from the seed's script; the
mid-year report, ledger, scores and campaign status know nothing of the autumn; and a
rating given with a registration (an import of old) is not counted as a rating.

How the figures were counted (the script's dates, 2022, Asia/Shanghai):
- 7 January: the 151 suggestions were registered on 6 January with their category (40/34/44/
  15/18) and session; nothing is filed, assigned, replied or rated until 15 February.
- 1 July: every item was assigned on 27 May (139 to government units; 12 to the two others)
  and met on 10 June, face to face unless its number is a multiple of 15 (141 of 151);
  no reply comes before 15 July, and the reply deadline (27 August) is not yet past.
- 1 August: 140 items replied on 15 July (or, sent back, again on 20 July) and were rated
  on 25 (30) July; not yet the 11 replying in August or September (late 3, 6, 76, 120;
  extended 44, 90; urged 12, 24, 48, 96, 140 — 8 of class A, 3 of B; 9 satisfied, 2
  basically). So A 88-8 = 80, B 57-3 = 54 (2 and 52 already reclassified to B on 17 July),
  C 6. Rated 140 - 3 never rated (50, 100, 150) = 137: unsatisfied 5 (10, 35, 60, 85, 110,
  re-handled from 25 July, replying again on 4 August), basically 13-2 = 11, satisfied
  137-5-11 = 121. Replied by the ledger's reckoning 140 - 5 re-handled (their second round
  is open and not yet due) = 135, all in time; nothing overdue. Face to face 141 + 60, met
  again face to face on 27 July = 142.
- 10 May 2023: the seed report's own figures (its text: 97.97%).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from banli.cli import cli
from banli.engine.bulk import register_many
from banli.engine.campaigns import summarise
from banli.engine.candidates import Candidate
from banli.reports.annual import build_annual
from banli.reports.ledger import build_ledger
from banli.reports.render.markdown import markdown
from banli.reports.scores import build_scores
from tests.conftest import _backends
from tests.integration.seed_report import REPORT_DAY, SESSION, ZONE, seed_database

pytestmark = pytest.mark.usefixtures("chinese")  # the report is read in Chinese, the users' language

CATEGORIES = {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18}
NOTHING_YET = {"A": 0, "B": 0, "C": 0}
INSTANTS = {
    "registered": (datetime(2022, 1, 7, tzinfo=ZONE), dict(
        total=151, by_category=CATEGORIES, government_handled=0, classes=NOTHING_YET, rated=0, satisfied=0,
        basically_satisfied=0, unsatisfied=0, satisfaction_rate=None, assigned=0, replied=0, replied_on_time=0,
        open_overdue=0, replied_on_time_rate=None, face_to_face=0, face_to_face_rate=None)),
    "mid-year": (datetime(2022, 7, 1, tzinfo=ZONE), dict(
        total=151, by_category=CATEGORIES, government_handled=139, classes=NOTHING_YET, rated=0, satisfied=0,
        basically_satisfied=0, unsatisfied=0, satisfaction_rate=None, assigned=151, replied=0, replied_on_time=0,
        open_overdue=0, replied_on_time_rate=None, face_to_face=141, face_to_face_rate=93.38)),
    "first-ratings": (datetime(2022, 8, 1, tzinfo=ZONE), dict(
        total=151, by_category=CATEGORIES, government_handled=139, classes={"A": 80, "B": 54, "C": 6}, rated=137,
        satisfied=121, basically_satisfied=11, unsatisfied=5, satisfaction_rate=96.35, assigned=151, replied=135,
        replied_on_time=135, open_overdue=0, replied_on_time_rate=100.0, face_to_face=142, face_to_face_rate=94.04)),
    "year-end": (REPORT_DAY, dict(
        total=151, by_category=CATEGORIES, government_handled=139, classes={"A": 88, "B": 57, "C": 6}, rated=148,
        satisfied=130, basically_satisfied=15, unsatisfied=3, satisfaction_rate=97.97, assigned=151, replied=151,
        replied_on_time=147, open_overdue=0, replied_on_time_rate=97.35, face_to_face=142, face_to_face_rate=94.04)),
}
MID_YEAR = INSTANTS["mid-year"][0]


@pytest.fixture(scope="module", params=_backends())
def seed(request, tmp_path_factory):
    with seed_database(request.param, tmp_path_factory.mktemp("seed")) as store:
        yield store


def _figures(store, as_of: datetime) -> dict:
    figures = build_annual(store, SESSION, as_of).metrics.to_json()
    shown = {key: figures[key] for key in INSTANTS["year-end"][1] if key in figures}
    shown["classes"] = {name: share["count"] for name, share in figures["by_result_class"].items()}
    return shown


@pytest.mark.parametrize("instant", list(INSTANTS))
def test_the_seed_year_at_each_instant_has_the_hand_counted_figures(seed, instant):
    as_of, expected = INSTANTS[instant]

    assert _figures(seed, as_of) == expected


def _banli(store, *args: str):
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def test_the_mid_year_report_counts_no_later_reply_rating_or_look_back(seed):
    figures = json.loads(_banli(seed, "report", "annual", "--session", SESSION, "--as-of", "2022-07-01",
                                "--json").stdout)
    text = _banli(seed, "report", "annual", "--session", SESSION, "--as-of", "2022-07-01").stdout
    year_end = markdown(build_annual(seed, SESSION, REPORT_DAY).document)

    assert (figures["replied"], figures["rated"], figures["satisfaction_rate"]) == (0, 0, None)
    assert figures["units"][0]["lookback"] == {} and all(unit["satisfied"] == 0 for unit in figures["units"])
    assert "（截至2022年7月1日）" in text
    assert "本届次建议尚未开展“回头看”。" in text and "进度滞后" not in text
    assert "对已办结的148件建议开展“回头看”" in year_end and "进度滞后" in year_end


def test_the_mid_year_ledger_shows_the_items_as_they_were(seed, tmp_path):
    path = tmp_path / "台账.csv"
    result = _banli(seed, "ledger", "export", str(path), "--session", SESSION, "--as-of", "2022-07-01", "--json")
    assert result.exit_code == 0, result.output
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert len(rows) == 151
    assert {row["状态"] for row in rows} == {"办理中"}
    assert {(row["答复日期"], row["办理结果"], row["代表评价"], row["催办次数"]) for row in rows} == {("", "", "", "0")}
    assert {(row["交办日期"], row["办理期限"], row["逾期天数"]) for row in rows} == {("2022-05-27", "2022-08-27", "0")}
    registering = build_ledger(seed, as_of=datetime(2022, 1, 6, 9, 30, tzinfo=ZONE), session=SESSION)
    assert [row.ref for row in registering.rows] == [f"16-1-{n:03d}" for n in range(1, 31)]  # one a minute from 9:01
    later = {row.ref: row for row in build_ledger(seed, as_of=REPORT_DAY, session=SESSION).rows}
    assert later["16-1-003"].urges == 1 and later["16-1-003"].overdue_days and later["16-1-001"].rating == "满意"


def test_scores_and_campaign_status_as_of_count_only_what_happened_by_then(seed):
    before = build_scores(seed, session=SESSION, as_of=MID_YEAR)
    after = build_scores(seed, session=SESSION, as_of=REPORT_DAY)

    assert len(before) == 16 and {score.score for score in before} == {0}  # every lead unit, no reply or urge yet
    assert sum(score.score for score in after) != 0 and len(after) == 16
    command = json.loads(_banli(seed, "report", "units", "--session", SESSION, "--as-of", "2022-07-01", "--json").stdout)
    assert {unit["score"] for unit in command["units"]} == {0} and command["as_of"] == "2022-07-01T00:00:00+08:00"
    assert summarise(seed, "lookback", SESSION, as_of=MID_YEAR) == []  # opened on 20 October
    [opened] = summarise(seed, "lookback", SESSION, as_of=datetime(2022, 10, 25, tzinfo=ZONE))
    assert (opened["selected"], opened["done"], opened["open"]) == (148, 0, 148)
    [ended] = summarise(seed, "lookback", SESSION, as_of=REPORT_DAY)
    assert (ended["selected"], ended["done"], ended["open"]) == (148, 146, 2)


def test_a_rating_given_at_registration_counts_for_nothing(store, clock):
    """A database imported before outcomes were refused (or a hand-made registration row):
    the rating and class registered with an item still 已登记 are not a rating and a class."""
    clock.now = datetime(2026, 1, 20, tzinfo=ZONE)
    workflow = store.workflows.get("npc-suggestion")
    old = Candidate(row=2, ref="16-2-001", title="关于加强物业管理的建议", deputies=["张三"], content="", at=None,
                    fields={"category": "城市建设", "session": "16-2", "rating": "满意", "result_class": "A"})
    with store.write() as tx:
        register_many(tx, workflow, [old], store.actor("reg"), clock.now, lambda _steps: None)

    figures = build_annual(store, "16-2", clock.now).metrics.to_json()
    [row] = build_ledger(store, as_of=clock.now, session="16-2").rows

    assert (figures["total"], figures["rated"], figures["satisfied"], figures["satisfaction_rate"]) == (1, 0, 0, None)
    assert figures["by_result_class"]["A"]["count"] == 0
    assert (row.state_label, row.rating, row.result_class) == ("已登记", "", "")
