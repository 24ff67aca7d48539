"""The annual report of a session built to the seed report's numbers: the seed's printed
figures in its sentences, its three parts in order, problems found in the data, and the
same report as Markdown (charts beside it), HTML (charts inside) and Word — read back with
python-docx, and turned into PDF by LibreOffice to check what a reader sees."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings

import pytest
from docx import Document as read_docx
from docx.oxml.ns import qn

from banli.errors import InvalidInput, NotFound
from banli.i18n import use
from banli.reports import charts
from banli.reports.annual import build_annual, write_annual
from banli.reports.render.markdown import markdown
from tests.conftest import _backends
from tests.integration.seed_report import REPORT_DAY, SESSION, SIX_JUDGED, seed_database, six_items

pytestmark = pytest.mark.usefixtures("chinese")  # the report is read in Chinese, the users' language

PNG = b"\x89PNG\r\n\x1a\n"
SEED_SENTENCES = (
    "由政府系统承办的139件，占建议总数的92%",
    "科教文卫方面40件、工交财贸方面34件、农业农村方面44件、城市建设方面15件、社会建设方面18件",
    "（A类）88件，占建议总数的58%",
    "（B类）57件，占建议总数的38%",
    "（C类）6件，占建议总数的4%",
    "代表满意率为97.97%",
)
PARTS = ("一、建议办理基本情况", "二、办理工作的主要做法", "三、存在问题及下步工作打算")


@pytest.fixture(scope="module", params=_backends())
def seed(request, tmp_path_factory):
    with seed_database(request.param, tmp_path_factory.mktemp("seed")) as store:
        yield store


@pytest.fixture(scope="module")
def report(seed):
    with use("zh_CN"):  # module-wide, so made before the tests' `chinese`
        return build_annual(seed, SESSION, REPORT_DAY)


def test_the_text_prints_the_seed_reports_figures_as_the_seed_does(report):
    text = markdown(report.document)

    for sentence in SEED_SENTENCES:
        assert sentence in text
    assert text.startswith("# 示范县人民政府关于人大十六届一次会议代表建议办理情况的报告\n\n（截至2023年5月10日）")
    positions = [text.index(f"## {part}") for part in PARTS]
    assert positions == sorted(positions)
    # the JSON beside it carries the two-decimal figures
    figures = report.metrics.to_json()
    assert (figures["government_share"], figures["satisfaction_rate"]) == (92.05, 97.97)
    assert [figures["by_result_class"][c]["percent"] for c in "ABC"] == [58.28, 37.75, 3.97]


def test_how_the_work_was_done_has_a_row_per_unit_and_the_look_back(report):
    text = markdown(report.document)
    table = text[text.index("**表4  各承办单位办理情况**"):text.index("**图3")]
    rows = [line for line in table.splitlines() if line.startswith("| 县") or line.startswith("| **合计")]

    assert len(rows) == 16 + 1
    assert rows[-1].startswith("| **合计** | **151** | **147** | **4** | **9** | **142** | **130** | **15** | **3** |")
    assert "| 县教育局 | 13 | 11 | 2 | 4 |" in table
    assert "进度滞后3" in rows[-1]
    assert "对已办结的148件建议开展“回头看”" in text and "尚未报送结果2件" in text
    assert "按期答复147件，逾期答复4件，按期答复率为97.35%" in text
    assert "面商率为94.04%" in text


def test_problems_are_found_in_the_data(report):
    found = {finding.key: finding for finding in report.findings}

    assert list(found) == ["late", "quality", "unsatisfied", "promises"]
    assert found["late"].text.startswith("个别单位答复不及时，县教育局2件、")
    assert {entry.ref for entry in found["late"].entries} == {"16-1-003", "16-1-006", "16-1-076", "16-1-120"}
    assert {entry.ref for entry in found["quality"].entries} == {"16-1-007", "16-1-130", "16-1-002", "16-1-052"}
    assert "答复称谓有误" in {entry.detail[:6] for entry in found["quality"].entries}
    assert "经重新办理后仍有3件不满意" in found["unsatisfied"].text
    assert "“回头看”中3件答复承诺事项进度滞后（县供电公司3件）" in found["promises"].text
    assert "2件逾期未报送" in found["promises"].text
    text = markdown(report.document)
    assert "一是个别单位答复不及时" in text and "四是个别单位对答复承诺跟踪落实不够" in text
    assert "| 16-1-085 | 关于第85号事项的建议 | 县水利局 | 代表不满意 | 首次评价不满意，重新办理后基本满意 |" in text


def test_open_and_overdue_items_are_told_apart(store, runtime, clock):
    clock.now = SIX_JUDGED
    six_items(runtime)
    built = build_annual(store, "16-2", SIX_JUDGED)
    text = markdown(built.document)

    assert "代表提出的建议共6件，其中转交承办单位办理5件（另有不予立案1件），由政府系统承办的4件，占建议总数的67%" in text
    assert "目前，已答复2件，尚未答复3件；已超过答复期限仍未答复的2件。" in text
    assert "（A类）2件，占建议总数的33%；尚未答复、未分类的3件。" in text
    assert "另有2件超过期限仍未答复，按期答复率为25.00%" in text
    [late] = [finding for finding in built.findings if finding.key == "late"]
    assert late.text == "个别单位答复不及时，县人大选工委1件、县教育局1件、县财政局1件超过办理期限答复，其中2件截至报告时仍未答复。"
    assert "本届次建议尚未开展“回头看”。" in text


def test_markdown_file_links_its_charts_written_beside_it(seed, tmp_path):
    path = tmp_path / "办理情况报告.md"
    write_annual(seed, SESSION, path, REPORT_DAY)

    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["办理情况报告_charts/category.png", "办理情况报告_charts/result-class.png",
                     "办理情况报告_charts/timeliness.png"]
    for link in links:
        assert (tmp_path / link).read_bytes().startswith(PNG)
    assert "科教文卫  ███" in text  # the data drawn as text too
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_html_is_one_page_with_its_charts_inside(seed, tmp_path):
    path = tmp_path / "report.html"
    write_annual(seed, SESSION, path, REPORT_DAY)

    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert page.count('<img src="data:image/png;base64,') == 3
    assert page.count("<table>") == 5
    assert all(sentence in page for sentence in SEED_SENTENCES)


def test_docx_uses_word_styles_tables_and_inline_charts(seed, tmp_path):
    path = tmp_path / "report.docx"
    write_annual(seed, SESSION, path, REPORT_DAY)
    word = read_docx(str(path))

    styled = [(p.style.name, p.text) for p in word.paragraphs if p.style.name in ("Title", "Heading 1", "Heading 2")]
    assert styled[0] == ("Title", "示范县人民政府\n关于人大十六届一次会议代表建议\n办理情况的报告")
    assert [text for style, text in styled if style == "Heading 1"] == list(PARTS)
    assert [text for style, text in styled if style == "Heading 2"][0] == "（一）精准交办，明确责任。"
    captions = [p.text for p in word.paragraphs if p.style.name == "Caption"]
    assert captions[:3] == ["表1  建议办理主要指标", "表2  建议按内容分类", "表3  建议按办理结果分类"]
    assert len(word.tables) == 5 and all(table.style.name == "Table Grid" for table in word.tables)
    units = word.tables[3]
    assert [cell.text for cell in units.rows[0].cells][:4] == ["承办单位", "件数", "按期答复", "逾期"]
    assert [cell.text for cell in units.rows[-1].cells][:4] == ["合计", "151", "147", "4"]
    assert len(units.rows) == 1 + 16 + 1
    assert len(word.inline_shapes) == 3
    body = "\n".join(p.text for p in word.paragraphs)
    assert all(sentence in body for sentence in SEED_SENTENCES)
    normal = word.styles["Normal"].element.rPr
    assert normal.rFonts.get(qn("w:eastAsia")) == "SimSun" and normal.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert word.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "SimHei"
    section = word.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert word.core_properties.title == "示范县人民政府关于人大十六届一次会议代表建议办理情况的报告"
    assert word.core_properties.created.year == 2023


def test_charts_need_no_font_but_the_shipped_one(seed, monkeypatch):
    """On a fresh machine (no CJK font installed) every character of the charts comes from
    banli/reports/fonts: matplotlib warns of each glyph it lacks, and none is lacking."""
    from matplotlib.ft2font import FT2Font

    monkeypatch.setattr(charts, "font_families", lambda: (charts.FONT_FAMILY, "DejaVu Sans"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build_annual(seed, SESSION, REPORT_DAY)
    covered = set(map(chr, FT2Font(str(charts.FONT_FILE)).get_charmap()))
    for chart in built.document.charts():
        text = chart.caption + "".join(chart.labels) + "".join(name for name, _values in chart.series)
        assert set(text) - {" "} <= covered, chart.name
        assert chart.png.startswith(PNG)


def test_an_unknown_session_or_format_is_refused(seed, tmp_path):
    with use("en"), pytest.raises(NotFound, match="sessions with items: 16-1"):
        build_annual(seed, "16-9", REPORT_DAY)
    with use("en"), pytest.raises(InvalidInput, match=r"\.md, \.docx or \.html"):
        write_annual(seed, SESSION, tmp_path / "report.pdf", REPORT_DAY)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui poppler-utils")
def test_libreoffice_turns_the_docx_into_a_pdf_with_the_text_tables_and_charts(seed, tmp_path):
    path = tmp_path / "report.docx"
    write_annual(seed, SESSION, path, REPORT_DAY)
    out = tmp_path / "pdf"

    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(out), str(path)],
                          check=False, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stderr
    pdf = out / "report.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = re.sub(r"\s+", "", text)
    for sentence in SEED_SENTENCES + PARTS + ("表4各承办单位办理情况", "图3各承办单位答复及时情况"):
        assert re.sub(r"\s+", "", sentence) in flat, sentence
    assert "县农业农村局" in text and "合计" in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert [line.split()[2] for line in images.splitlines()[2:]].count("image") == 3  # the charts (and their alpha masks)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "CJK" in fonts, f"LibreOffice found no CJK font for the text (apt-get install fonts-noto-cjk):\n{fonts}"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)  # -singlefile: page.png, whatever the number of pages
    assert (tmp_path / "page.png").read_bytes().startswith(PNG)
