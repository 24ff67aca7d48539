"""Import files (CSV in three encodings, XLSX written with openpyxl) with odd headers and rows:
`item import` imports all rows or lists each bad row, and a refusal imports nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.property.conftest import budget, databases_fixture, refusal_changes_nothing
from tests.property.strategies import edge_int, file_text, times

databases = databases_fixture()

COLUMNS = ["ref", "title", "deputies", "category", "submitted_on", "content", "session", "lead_unit", "co_units",
           "supervised", "rating", "编号", "标题", "代表", "类别", "提交日期", "bogus", "", "ref"]
GOOD = {
    "ref": st.builds("16-9-{:03d}".format, st.integers(0, 999)),
    "title": st.sampled_from(["关于加强物业管理的建议", "关于路灯的建议"]),
    "deputies": st.sampled_from(["张三", "张三、李四", "王五, 李四", "张三;王五", "张叁", ""]),
    "category": st.sampled_from(["城市建设", "农业农村", "城建"]),
    "submitted_on": st.sampled_from(["2026-01-10", "2026-01-10 09:30", "2026-02-30", "2099-01-01", ""]),
    "lead_unit": st.sampled_from(["zjj", "nobody", ""]),
    "co_units": st.sampled_from(["czj", "czj,jyj", "zjj", ""]),
    "supervised": st.sampled_from(["true", "false", "是", "1", "maybe", ""]),
}
cell_text = st.one_of(file_text, times, edge_int.map(str))


@st.composite
def table(draw) -> list[list]:
    header = draw(st.one_of(st.just(["ref", "title", "deputies", "category"]),
                            st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=6)))
    rows = [list(header)]
    for _ in range(draw(st.integers(0, 5))):
        rows.append([draw(st.one_of(GOOD.get(column, cell_text), cell_text) if column in GOOD else cell_text)
                     for column in header] + draw(st.lists(cell_text, max_size=1)))
    return rows


def _csv(rows, encoding) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


xlsx_cell = st.one_of(cell_text.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)), edge_int.filter(lambda n: abs(n) < 2**63),
                      st.floats(allow_nan=False), st.booleans(), st.none(),
                      st.dates(min_value=date(1900, 3, 1)), st.datetimes(min_value=datetime(1900, 3, 1)),
                      st.sampled_from(["=1+1", "=HYPERLINK(\"x\")", "'quoted"]))


def _xlsx(rows, draw) -> bytes:
    """The rows in a workbook; a body cell keeps its text or becomes another type of value."""
    book = Workbook()
    sheet = book.active
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in rows[0]])
    for row in rows[1:]:
        sheet.append([draw(st.one_of(st.just(ILLEGAL_CHARACTERS_RE.sub("", cell)), xlsx_cell)) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def import_file(draw) -> tuple[str, bytes]:
    rows = draw(table())
    kind = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "xlsx", "garbage"]))
    if kind == "xlsx":
        return "rows.xlsx", _xlsx(rows, draw)
    if kind == "garbage":
        return draw(st.sampled_from(["rows.csv", "rows.xlsx", "rows.txt"])), draw(st.binary(max_size=200))
    return "rows.csv", _csv(rows, kind)


@budget(60)
@given(upload=import_file(), dry_run=st.booleans(), user=st.sampled_from(["reg", "wang", "li", "nobody", None]))
def test_import_takes_all_rows_or_lists_each_bad_one(databases, tmp_path_factory, upload, dry_run, user):
    name, content = upload
    path = tmp_path_factory.getbasetemp() / name
    path.write_bytes(content)
    args = ["item", "import", str(path)] + (["--dry-run"] if dry_run else [])
    refusal_changes_nothing(databases.fresh(), *args, user=user, allowed={0, 3, 4, 7}, listing=True)
