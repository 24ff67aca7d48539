"""The pages, as the people who use them see them: event forms made from the definition,
a unit's work list with deadlines in workdays, a deputy's suggestions in plain words with
the reply and the rating form, the ledger's filters, the office's dashboard and reports,
the audit and the workflow diagrams."""

from __future__ import annotations

import re

from tests.web.conftest import csrf, form_of


def form_html(page: str, event: str) -> str:
    return re.search(rf'<form[^>]*id="form-{event}".*?</form>', page, re.S).group(0)


def test_forms_are_made_from_the_events_data(browser, runtime, suggestions):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-005", title="关于增设路灯的建议", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设"}, at="2026-01-11T09:00")
    for user, event, data in (("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}),
                              ("npc", "approve", {})):
        runtime.fire("16-1-005", event, user, data)
    page = browser("wang").get("/items/16-1-005").text
    assign = form_html(page, "assign")
    assert "交办" in assign and "主办单位" in assign and "协办单位" in assign  # labels from the definition
    assert re.search(r'<select name="lead_unit" required>.*<option value="zjj">县住建局</option>', assign, re.S)
    assert re.search(r'<select name="co_units" multiple', assign)
    assert re.search(r'<select name="mode" required>.*<option value="会办">会办</option>', assign, re.S)
    assert 'name="version" value="' in assign and 'name="csrf_token"' in assign


def test_a_clerk_sees_text_areas_for_text_and_why_an_event_is_blocked(browser, runtime, suggestions):
    runtime.fire("16-1-001", "sign_for", "li", {"leader": "王局长", "handler": "李科长"})
    page = browser("li").get("/items/16-1-001").text
    contact = form_html(page, "contact")
    assert re.search(r'<select name="method" required>.*<option value="face_to_face">面对面</option>', contact, re.S)
    assert '<textarea name="note"' in contact
    assert 'id="form-reply"' not in page  # waiting for the co-unit: blocked, with the reason
    blocked = re.search(r'<ul class="blocked">.*?</ul>', page, re.S).group(0)
    assert "答复代表" in blocked and "县财政局" in blocked
    assert 'id="form-assign"' not in page and "交办" not in blocked  # the supervisor's, not blocked for li


def test_a_clerk_fires_through_the_form_and_sees_the_item_move(browser, suggestions):
    li = browser("li")
    done = li.post("/items/16-1-001/events/sign_for", data={**form_of(li.get("/items/16-1-001").text, "sign_for"),
                                                           "leader": "王局长", "handler": "李科长"},
                   follow_redirects=True)
    assert done.status_code == 200 and "已办理：签收" in done.text and "办理中" in done.text
    assert "王局长" in done.text  # in the history


def test_a_form_missing_required_data_shows_the_problem(browser, suggestions):
    li = browser("li")
    answer = li.post("/items/16-1-001/events/sign_for", data=form_of(li.get("/items/16-1-001").text, "sign_for"))
    assert answer.status_code == 422 and "leader" in answer.text and 'id="form-sign_for"' in answer.text


def test_a_units_home_sorts_its_work(browser, runtime, suggestions, clock):
    li = browser("li")
    home = li.get("/").text
    assert "县住建局" in home
    to_sign = re.search(r"<h2>待签收.*?</section>", home, re.S).group(0)
    assert "16-1-001" in to_sign and "个工作日" in to_sign
    runtime.fire("16-1-001", "sign_for", "li", {"leader": "王局长", "handler": "李科长"})
    waiting = re.search(r"<h2>等待协办单位意见.*?</section>", li.get("/").text, re.S).group(0)
    assert "16-1-001" in waiting and "县财政局" in waiting
    clock.advance(days=120)  # the reply was due 3 months after assignment (and li's session is long over)
    overdue = re.search(r"<h2>已逾期.*?</section>", browser("li").get("/").text, re.S).group(0)
    assert "16-1-001" in overdue and "已逾期" in overdue
    zhao = browser("zhao").get("/").text  # the co-unit signs for its own task
    assert "16-1-001/czj" in re.search(r"<h2>待签收.*?</section>", zhao, re.S).group(0)


def test_a_deputy_reads_the_reply_in_plain_words_and_rates_it(browser, runtime, replied):
    zhang = browser("zhang")
    home = zhang.get("/").text
    assert "已答复，请您评价" in home and "您提出的建议已办理" in home
    assert "供暖" not in home
    assert 'id="form-withdraw"' not in home  # a withdrawal is one click away on the item's own page, not here
    rating = form_html(home, "rate")
    assert re.search(r'<select name="rating" required>.*<option value="满意">满意</option>', rating, re.S)
    token = csrf(zhang)
    version = re.search(r'name="version" value="(\d+)"', rating).group(1)
    done = zhang.post("/items/16-1-001/events/rate", data={"csrf_token": token, "version": version, "rating": "满意"})
    assert done.status_code == 200 and "已办结" in done.text
    trace = browser("wang").get("/api/items/16-1-001").json()["trace"]
    assert (trace[-1]["event"], trace[-1]["actor"], trace[-1]["data"]["rating"]) == ("rate", "zhang", "满意")


def test_the_ledger_filters_sorts_and_pages(browser, suggestions):
    wang = browser("wang")
    page = wang.get("/ledger").text
    assert "2 件" in page and "16-1-001" in page and "16-1-002" in page and 'id="export"' in page
    only = wang.get("/ledger", params={"unit": "jyj"}).text
    assert "16-1-002" in only and "16-1-001" not in only
    searched = wang.get("/ledger", params={"q": "张三"}).text  # by deputy
    assert "16-1-001" in searched and "16-1-002" not in searched
    reverse = wang.get("/ledger", params={"sort": "ref", "desc": "1"}).text
    assert reverse.index("16-1-002") < reverse.index("16-1-001")
    assert 'id="export"' not in browser("li").get("/ledger").text


def test_the_dashboard_counts_and_draws(browser, replied):
    page = browser("wang").get("/dashboard").text
    assert re.search(r'id="total">2<', page) and "<svg" in page and "按状态" in page and "待代表评价" in page
    assert browser("li").get("/dashboard").status_code == 403


def test_the_annual_report_downloads_as_word_and_html(browser, replied):
    wang = browser("wang")
    page = wang.get("/reports").text
    assert 'id="report-docx"' in page and "满意率" in page
    docx = wang.get("/reports/annual.docx", params={"session": "16-1"})
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    html = wang.get("/reports/annual.html", params={"session": "16-1"})
    assert html.status_code == 200 and "<html" in html.text and "16-1" in html.text or "十六届" in html.text
    assert browser("zhang").get("/reports/annual.docx", params={"session": "16-1"}).status_code == 403


def test_the_auditor_verifies_and_reads_an_items_hash_chain(browser, suggestions):
    auditor = browser("audit")
    assert 'id="verify-ok"' in auditor.get("/audit").text
    chain = auditor.get("/audit/items/16-1-001").text
    assert chain.count("✓") >= 6 and "✗" not in chain
    made = auditor.post("/audit/checkpoint", data={"csrf_token": csrf(auditor)})
    assert made.status_code == 200 and 'id="checkpoint"' in made.text
    assert auditor.post("/audit/checkpoint").status_code == 403  # without its CSRF token


def test_every_workflow_has_its_diagram(browser, suggestions):
    li = browser("li")
    page = li.get("/workflows").text
    assert "/workflows/npc-suggestion.svg" in page and "/workflows/unit-task.svg" in page
    svg = li.get("/workflows/npc-suggestion.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    for label in ("已登记", "办理中", "办结", "答复代表", "代表评价"):
        assert label in svg.text
    assert li.get("/workflows/nothing.svg").status_code == 404


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_the_pages_read_in_english_with_banli_lang_en(anonymous, browser, suggestions, monkeypatch):
    """Every fixed word of a page is a message: in English nothing Chinese is left on the
    sign-in page, and on a unit's pages only the data is (titles, names, the definition's labels)."""
    monkeypatch.setenv("BANLI_LANG", "en")
    login = anonymous.get("/login").text
    assert '<html lang="en">' in login and "Sign in" in login
    assert CJK.findall(login) == []
    home = browser("li").get("/").text
    assert '<html lang="en">' in home and "Sign out" in home
    data = ("关于加强物业管理的建议", "关于改善乡村学校供暖的建议", "县住建局", "县财政局", "县教育局", "李华", "张三", "李四",
            "王五", "城市建设", "科教文卫", "已交办", "办理中", "签收", "人大代表建议", "承办单位")
    left = home
    for text in data:
        left = left.replace(text, "")
    assert CJK.findall(left) == [], left
