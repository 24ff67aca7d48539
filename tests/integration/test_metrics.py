"""The metrics of SPEC §5 on a session built to the seed report's numbers, and on a few items
whose every case is known: open overdue items count against the on-time rate, items not
yet due count neither way, non-government leads and unassigned items are left out where the
definitions say so; and the per-unit figures agree with the ledger (台账)."""

from __future__ import annotations

from datetime import datetime

import pytest

from banli.reports.ledger import build_ledger
from banli.reports.metrics import collect, measure, percent
from tests.conftest import _backends
from tests.integration.seed_report import (
    REPORT_DAY, SESSION, SIX_JUDGED, ZONE, handled, item, seed_database, six_items,
)

FIXED_KEYS = {"session", "total", "by_category", "government_handled", "by_result_class", "rated",
              "satisfaction_rate", "satisfied", "basically_satisfied", "unsatisfied", "replied_on_time_rate",
              "face_to_face_rate"}


@pytest.fixture(scope="module", params=_backends())
def seed(request, tmp_path_factory):
    with seed_database(request.param, tmp_path_factory.mktemp("seed")) as store:
        yield store


@pytest.mark.parametrize("part, whole, expected", [
    (145, 148, 97.97), (139, 151, 92.05), (88, 151, 58.28), (57, 151, 37.75), (6, 151, 3.97),
    (1, 800, 0.13),  # half up, not to even (0.125 → 0.13)
    (3, 3, 100.0), (0, 5, 0.0), (0, 0, None),
], ids=["seed-satisfaction", "seed-government", "seed-A", "seed-B", "seed-C", "half-up", "all", "none", "nothing-to-divide"])
def test_percent_is_the_exact_fraction_rounded_half_up_to_two_places(part, whole, expected):
    assert percent(part, whole) == expected


def test_the_seed_session_yields_the_seed_reports_figures(seed):
    metrics = measure(collect(seed, SESSION, REPORT_DAY))
    figures = metrics.to_json()

    assert FIXED_KEYS <= set(figures)
    assert figures["session"] == "16-1" and figures["total"] == 151
    assert figures["by_category"] == {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18}
    assert list(figures["by_category"]) == ["科教文卫", "工交财贸", "农业农村", "城市建设", "社会建设"]  # the definition's order
    assert figures["government_handled"] == 139 and figures["government_share"] == 92.05
    assert figures["by_result_class"] == {"A": {"count": 88, "percent": 58.28}, "B": {"count": 57, "percent": 37.75},
                                          "C": {"count": 6, "percent": 3.97}}
    assert (figures["rated"], figures["satisfied"], figures["basically_satisfied"], figures["unsatisfied"]) == (148, 130, 15, 3)
    assert figures["satisfaction_rate"] == 97.97
    # beside it: 满意 only, and the first ratings (five unsatisfied before re-handling, two of them then basically satisfied)
    assert figures["strict_satisfaction_rate"] == 87.84
    assert figures["first_round"] == {"rated": 148, "satisfied": 130, "basically_satisfied": 13, "unsatisfied": 5}
    assert figures["first_round_satisfaction_rate"] == 96.62
    # four replies came after their deadline, two within an extension; none is still awaited
    assert (figures["replied"], figures["replied_on_time"], figures["open_overdue"]) == (151, 147, 0)
    assert figures["replied_on_time_rate"] == 97.35
    # ten items met the deputy by phone only, one of which later met face to face when re-handled
    assert (figures["assigned"], figures["face_to_face"], figures["face_to_face_rate"]) == (151, 142, 94.04)


def test_per_unit_figures_agree_with_the_ledger(seed):
    metrics = measure(collect(seed, SESSION, REPORT_DAY))
    ledger = build_ledger(seed, as_of=REPORT_DAY, session=SESSION)

    ours = {unit.unit: (unit.items, unit.replied, unit.on_time, unit.overdue, unit.urges, unit.face_to_face)
            for unit in metrics.units}
    theirs = {totals.unit: (totals.items, totals.replied, totals.on_time, totals.overdue, totals.urges,
                            totals.face_to_face) for totals in ledger.units}
    assert ours == theirs
    assert [unit.unit for unit in metrics.units] == [totals.unit for totals in ledger.units]
    assert sum(unit.ratings["unsatisfied"] for unit in metrics.units) == 3
    assert sum(unit.lookback["进度滞后"] for unit in metrics.units) == 3
    government = {unit.unit for unit in metrics.units if not unit.government}
    assert government == {"gdgs", "rd-xgw"}


@pytest.fixture
def known(store, runtime, clock):
    clock.now = SIX_JUDGED
    six_items(runtime)
    return store


def test_open_overdue_items_count_against_the_on_time_rate(known):
    metrics = measure(collect(known, "16-2", SIX_JUDGED))

    assert (metrics.total, metrics.assigned, metrics.government_handled) == (6, 5, 4)
    assert (metrics.replied, metrics.replied_on_time, metrics.open_overdue) == (2, 1, 2)
    assert metrics.replied_on_time_rate == 25.0  # 1 / (2 replied + 2 open and overdue); item 4 not yet due
    assert (metrics.face_to_face, metrics.face_to_face_rate) == (2, 40.0)  # of the 5 assigned; item 6 never was
    assert (metrics.rated, metrics.satisfaction_rate, metrics.strict_satisfaction_rate) == (2, 100.0, 50.0)
    assert metrics.by_result_class["A"].count == 2 and metrics.by_result_class["A"].percent == 33.33
    # as of 2 May, the last day items 2, 3 and 5 had: item 2's late reply (10 May) had not come yet, and
    # nothing was overdue; a day later the three of them count against the rate
    early = measure(collect(known, "16-2", datetime(2026, 5, 2, 23, 0, tzinfo=ZONE)))
    assert (early.replied, early.open_overdue, early.replied_on_time_rate) == (1, 0, 100.0)
    assert (early.rated, early.by_result_class["A"].count) == (1, 1)
    later = measure(collect(known, "16-2", datetime(2026, 5, 3, 9, 0, tzinfo=ZONE)))
    assert (later.replied, later.open_overdue, later.replied_on_time_rate) == (1, 3, 25.0)


def test_a_session_without_ratings_has_no_rate_rather_than_zero(store, runtime, clock):
    clock.now = SIX_JUDGED
    item(runtime, 1, handled("zjj", "li", "2026-02-02"))
    metrics = measure(collect(store, "16-2", datetime(2026, 3, 1, tzinfo=ZONE)))

    assert metrics.rated == 0 and metrics.satisfaction_rate is None and metrics.first_round_satisfaction_rate is None
    assert metrics.replied_on_time_rate is None  # nothing replied, nothing overdue yet
    assert metrics.to_json()["satisfaction_rate"] is None
