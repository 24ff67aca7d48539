"""Hypothesis strategies for banli's inputs: odd text, times, durations, periods, YAML values."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

# Text a user (or a broken spreadsheet, or a careless script) may hand banli.
SPECIAL_TEXT = [
    "", " ", "\t", "\n", "\r\n", "\x00", "\x1b[31m", "=", "a=b", "==", "-", "--", "-1", "0", "00", "1e309",
    "NaN", "inf", "-0", "99999999999", "18446744073709551616", "２０２６", "null", "~", "true", "no", "是",
    "=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "\u202e", "\ufeff", "\u200b", "𝕏", "${x}", "$reply_within",
    "%s%s%n", "{}", "[]", "{a: b}", "&a", "*a", "!!python/object:os.system", "../..", "16-1-001/czj", "/",
    "x" * 129, "长" * 300, "x" * 5000, "\udcff", "\ud800", "a\udcffb", "'", '"', "\\", "😀" * 3,
    "张三", "城市建设", "zjj", "zjj,czj", "zjj,zjj", ",", "满意", "A", "3 months", "5 workdays",
]

# every character, including lone surrogates (argv decoded with surrogateescape holds them)
ANY_CHAR = st.characters(codec=None, exclude_categories=())
odd_text = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(alphabet=ANY_CHAR, max_size=12),
    st.text(max_size=40),
)
# the same, without lone surrogates: what a file written in UTF-8 can hold
file_text = st.one_of(
    st.sampled_from([t for t in SPECIAL_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]),
    st.text(max_size=40),
)

EDGE_INTS = [0, 1, -1, 2, 3, 12, 13, 31, 32, 59, 60, 366, 1000, 9999, 10000, 2**31 - 1, 2**31, 2**53 + 1,
             2**63 - 1, 2**63, 10**20, 999999999, 99999999999, -(2**63)]
edge_int = st.one_of(st.sampled_from(EDGE_INTS), st.integers(min_value=-10**6, max_value=10**6))

# --- times ------------------------------------------------------------------------------------

SPECIAL_TIMES = [
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01", "0001-01-01", "1899-12-31", "1900-01-01",
    "1969-12-31T23:59:59", "1970-01-01", "2038-01-19T03:14:08", "2100-12-31", "2101-01-01", "9999-12-31",
    "9999-12-31T23:59:59.999999", "10000-01-01", "-2026-01-01", "2026-W05", "2026-032", "20260110",
    "2026-01-10T24:00", "2026-01-10T25:00", "2026-01-10T09:00Z", "2026-01-10T09:00+14:00",
    "2026-01-10T09:00-12:00", "2026-01-10T09:00+99:00", "2026-01-10T09:00:00.1234567", "2026-01-10 09:00",
    "2026-01-10T09", "now", "today", "yesterday", "", " ", "2026", "2026-01", "T09:00", "2026-01-10T09:00:60",
]


def _iso(value) -> str:
    return value.isoformat()


times = st.one_of(
    st.sampled_from(SPECIAL_TIMES),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(_iso),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.one_of(st.none(), st.just(timezone.utc),
                                     st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m))))
                 ).map(_iso),
    st.dates(min_value=date(2026, 1, 11), max_value=date(2026, 12, 31)).map(_iso),
    odd_text,
)

periods = st.one_of(
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)),
    st.builds(lambda y, m: f"{y}-{m}", edge_int, edge_int),
    st.sampled_from(["2026-01", "2026-1", "202601", "2026/01", "1899-12", "2101-01", "9999-12", "0001-01"]),
    odd_text,
)

years = st.one_of(edge_int.map(str), st.sampled_from(["2026", "1899", "2101", "0", "-1", "9999", "10000"]), odd_text)

# --- durations ("3 months", "5 workdays") ----------------------------------------------------------

UNITS = ["hours", "days", "workdays", "weeks", "months", "hour", "day", "month", "years", "minutes", "", "个月", "MONTHS"]
durations = st.one_of(
    st.builds(lambda n, unit: f"{n} {unit}", edge_int, st.sampled_from(UNITS)),
    st.builds(lambda n, unit: f"{n} {unit}", st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(UNITS)),
    st.sampled_from(["3 months", "1 months", "5 workdays", "999999 workdays", "99999999999 months",
                     "999999999 months", "1e9 days", "0x10 days", "1_000 days", " 3  months ", "3months", "+3 months",
                     "３ months", "3 months 2 days"]),
    odd_text,
)

# --- YAML scalars and values a definition or org file may hold by mistake -------------------------

yaml_scalars = st.one_of(
    st.none(), st.booleans(), edge_int, st.floats(allow_nan=True, allow_infinity=True), file_text,
    st.sampled_from(["yes", "no", "on", "off", "~", "null", ".inf", "-.nan", "0o17", "0x1F", "1_000", "2026-01-10",
                     "2026-01-10T09:00:00", "12:30:00", "<<", "=", "!!binary aGVsbG8=", "*", "&"]),
    st.dates().map(_iso),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(file_text, st.integers()), inner, max_size=3)),
    max_leaves=6,
)


# --- mutations of a loaded YAML tree (a definition, an org file) -----------------------------------

def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _at(node, path):
    for step in path:
        node = node[step]
    return node


@st.composite
def mutations(draw, tree, most: int = 4):
    """`tree` with one to `most` changes: a key dropped or renamed, a value replaced by another
    type, an odd duration or edge number, emptied, or wrapped in a list or mapping."""
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, most))):
        paths = [path for path in _paths(tree) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _at(tree, path[:-1]), path[-1]
        operation = draw(st.sampled_from(["drop", "replace", "duration", "rename", "empty", "wrap", "number", "text"]))
        if operation == "drop":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(yaml_values)
        elif operation == "duration":
            parent[key] = draw(durations)
        elif operation == "text":
            parent[key] = draw(file_text)
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(st.one_of(file_text, st.integers(), st.booleans()))] = parent.pop(key)
        elif operation == "empty":
            parent[key] = draw(st.sampled_from([None, "", [], {}]))
        elif operation == "wrap":
            parent[key] = draw(st.sampled_from([lambda v: [v], lambda v: {"a": v}, lambda v: str(v)]))(parent[key])
        elif operation == "number":
            parent[key] = draw(st.sampled_from([0, -1, 2**63, 10**30, 1.5, float("inf"), float("nan"), True]))
    return tree
