"""The annual report as a county sends it: the issuer named in the org file heads the title and
signs it with the date, the pages are numbered, a closing word to the deputies ends it; the
result-class ring, the text and Table 3 give the same percents of one base, the session's
total; no table row breaks across a page, header rows repeat, and a ref is never broken over
two lines — read back with python-docx, and as LibreOffice prints it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from docx import Document as read_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import _Rows

from banli.i18n import use
from banli.reports import charts
from banli.reports.annual import build_annual, write_annual
from banli.reports.document import Table
from banli.reports.render.markdown import markdown
from tests.conftest import _backends
from tests.integration.seed_report import REPORT_DAY, SESSION, SIX_JUDGED, seed_database, six_items

pytestmark = pytest.mark.usefixtures("chinese")  # the report is read in Chinese, the users' language

ISSUER = "示范县人民政府"  # banli/demo/county.yaml, the organisation the seed session is built on
PROBLEM_REFS = ("16-1-003", "16-1-006", "16-1-076", "16-1-120", "16-1-007", "16-1-130", "16-1-085")


@pytest.fixture(scope="module", params=_backends())
def seed(request, tmp_path_factory):
    with seed_database(request.param, tmp_path_factory.mktemp("seed")) as store:
        yield store


@pytest.fixture(scope="module")
def word_file(seed, tmp_path_factory):
    path = tmp_path_factory.mktemp("docx") / "报告.docx"
    with use("zh_CN"):  # module-wide, so made before the tests' `chinese`
        write_annual(seed, SESSION, path, REPORT_DAY)
    return path


def _ring(monkeypatch) -> dict:
    """What the result-class ring is drawn with, caught on its way to matplotlib."""
    drawn = {}
    share_chart = charts.share_chart

    def spy(title, labels, values, shares, **options):
        drawn.update(title=title, slices=list(zip(labels, values, shares)))
        return share_chart(title, labels, values, shares, **options)

    monkeypatch.setattr(charts, "share_chart", spy)
    return drawn


def _table(document, number: int) -> Table:
    return next(block for block in document.blocks if isinstance(block, Table) and block.caption.startswith(f"表{number}"))


def test_the_issuer_heads_the_title_and_signs_it_with_the_date(word_file):
    word = read_docx(str(word_file))
    written = [paragraph for paragraph in word.paragraphs if paragraph.text.strip()]

    assert written[0].style.name == "Title"
    assert written[0].text.split("\n") == [ISSUER, "关于人大十六届一次会议代表建议", "办理情况的报告"]
    closing, name, day = written[-3:]
    assert closing.text.startswith("各位代表，") and "为推动示范县经济社会高质量发展" in closing.text
    assert (name.text, day.text) == (ISSUER, "2023年5月10日")
    assert name.alignment == day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert closing.paragraph_format.keep_with_next  # the signature never stands alone on a page
    assert word.core_properties.author == ISSUER


def test_every_page_carries_its_number(word_file):
    footer = read_docx(str(word_file)).sections[0].footer
    fields = [node.text.strip() for node in footer._element.iter(qn("w:instrText"))]

    assert fields == ["PAGE"]
    assert footer.paragraphs[0].text == "— 1 —"  # the field's placeholder between the dashes
    assert footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_no_row_breaks_across_a_page_and_header_rows_repeat(word_file):
    word = read_docx(str(word_file))

    for table in word.tables:
        rows = [row._tr for row in table.rows]
        assert all(tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows)
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in rows[1:])


def test_a_ref_keeps_to_one_line(word_file):
    problems = read_docx(str(word_file)).tables[4]
    refs = [row.cells[0] for row in list(problems.rows)[1:]]

    assert {cell.text for cell in refs} >= set(PROBLEM_REFS)
    assert all(cell._tc.tcPr.find(qn("w:noWrap")) is not None for cell in refs)
    # wide enough for a ref in the widest stand-in for Times New Roman, DejaVu Serif (digits
    # 0.64 em, hyphens 0.34 em, at 10.5 pt), and the cell's margins (0.19 cm a side)
    em = 10.5 * 2.54 / 72
    assert problems.columns[0].width.cm >= (6 * 0.64 + 2 * 0.34) * em + 0.38


def test_the_ring_the_text_and_table_3_give_the_same_shares_of_the_session(seed, monkeypatch):
    drawn = _ring(monkeypatch)
    document = build_annual(seed, SESSION, REPORT_DAY).document
    text = markdown(document)

    assert "占建议总数151件" in drawn["title"]
    [ring] = [chart for chart in document.charts() if chart.name == "result-class"]
    assert "占建议总数151件" in ring.caption
    assert drawn["slices"] == [("A类", 88, "58%"), ("B类", 57, "38%"), ("C类", 6, "4%")]
    table = _table(document, 3)
    rows = {row[0]: (row[2], row[3]) for row in table.rows}
    for label, count, share in drawn["slices"]:
        assert f"（{label}）{count}件，占建议总数的{share}" in text
        assert rows[label] == (count, share)
    assert table.total == ("合计", "", 151, "100%")


def test_items_not_yet_classified_are_a_share_of_their_own(store, runtime, clock, monkeypatch):
    """Six items, two replied as A, three assigned and not yet replied, one not filed: Table 3
    and the ring count the four without a class apart, and the total is the session's six (it
    was the two classified); no issuer in the test org file."""
    clock.now = SIX_JUDGED
    six_items(runtime)
    drawn = _ring(monkeypatch)
    document = build_annual(store, "16-2", SIX_JUDGED).document

    table = _table(document, 3)
    assert [row for row in table.rows if row[2]] == [("A类", "所提问题已解决或基本解决", 2, "33%"),
                                                     ("未分类", "已交办，尚未答复", 3, "50%"),
                                                     ("未交办", "未转交承办单位办理（不予立案、撤回等）", 1, "17%")]
    assert table.total == ("合计", "", 6, "100%")
    assert [slice for slice in drawn["slices"] if slice[1]] == [("A类", 2, "33%"), ("未分类", 3, "50%"),
                                                                ("未交办", 1, "17%")]
    assert "占建议总数6件" in drawn["title"]
    text = markdown(document)
    assert text.startswith("# 关于人大十六届二次会议代表建议办理情况的报告\n")
    assert text.rstrip().endswith("作出新的更大贡献！\n\n2026年9月30日")  # signed with the date alone


def test_a_long_table_is_written_row_after_row(seed, tmp_path, monkeypatch):
    """Rows are appended as they are written: looking a row up by its index walks the table
    from the top each time, which a table of thousands of rows cannot afford."""
    def refuse(_rows, _index):
        raise AssertionError("a table row looked up by its index")

    monkeypatch.setattr(_Rows, "__getitem__", refuse)
    write_annual(seed, SESSION, tmp_path / "报告.docx", REPORT_DAY)

    assert (tmp_path / "报告.docx").stat().st_size > 10_000


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler are not installed: apt-get install libreoffice-writer-nogui poppler-utils")
def test_as_printed_pages_are_numbered_refs_whole_and_the_report_signed(word_file, tmp_path):
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(word_file)],
                          check=False, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "报告.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.rstrip("\f").split("\f")

    assert len(pages) > 3
    assert [re.search(r"—\s*(\d+)\s*—", page)[1] for page in pages] == [str(n) for n in range(1, len(pages) + 1)]
    assert ISSUER in pages[0].split("关于")[0]
    for ref in PROBLEM_REFS:
        assert re.search(rf"(?<![\d-]){ref}(?!\d)", text), f"{ref} is broken over two lines"
    last = re.sub(r"\s+", "", pages[-1])
    assert last.index("各位代表，办好代表建议") < last.index(ISSUER) < last.index("2023年5月10日")
