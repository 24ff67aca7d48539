"""The year's work as people do it, in a real headless Chromium against a real `banli serve`:
a unit clerk signs in, signs for a suggestion, contacts the deputy and replies; the office
accepts the reply; the deputy signs in on a phone and rates it; the supervisor sees the
ledger change and downloads the ledger and the report; the auditor verifies. Screenshots
(desktop and phone) are saved to tests/web/screenshots/."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD
from tests.web.server import serving

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(__file__).with_name("screenshots")
DESKTOP, PHONE = (1280, 900), (390, 844)
REPLY_TEXT = "张三代表：您好！您提出的《关于老旧小区加装电梯的建议》收悉。经研究，我局已将加装电梯列入今年计划，现答复如下。"


def _have_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        reason = f"{' and '.join(missing)} not installed (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs them")
        pytest.skip(reason)


@pytest.fixture
def site(store, db_url, runtime, people):
    """A served database with one suggestion by 张三 assigned to 县住建局 alone."""
    runtime.create(workflow_id="npc-suggestion", ref="16-1-010", title="关于老旧小区加装电梯的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设", "session": "16-1"}, at="2026-01-10T09:00",
                   content="我县老旧小区多为六层住宅，老人上下楼困难，建议加快加装电梯。")
    for user, event, data in (("reg", "sort", {"category": "城市建设", "session": "16-1"}), ("reg", "review", {}),
                              ("reg", "audit", {}), ("npc", "approve", {}),
                              ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"})):
        runtime.fire("16-1-010", event, user, data, at="2026-05-27T09:00")
    with serving(db_url) as (base, process):
        yield base


@pytest.fixture
def chrome(tmp_path):
    _have_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(*DESKTOP)
    driver.implicitly_wait(15)  # a loaded 2-core CI machine can take seconds to render a page
    driver.downloads = downloads
    yield driver
    driver.quit()


class Person:
    """One person at the browser: signs in and out, opens pages, fills forms, takes pictures."""

    def __init__(self, driver, base: str, backend: str) -> None:
        self.driver, self.base, self.backend = driver, base, backend

    def sign_in(self, user: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(self.base + "/login")
        self.driver.find_element(By.ID, "username").send_keys(user)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.submit(self.driver.find_element(By.ID, "sign-in"))
        assert "/login" not in self.driver.current_url, self.text()

    def sign_out(self) -> None:
        from selenium.webdriver.common.by import By

        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
        assert "已退出" in self.text()

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def fire(self, event: str, **answers: str) -> None:
        """Fill the form of `event` (text, or a select's visible option) and submit it."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        form = self.driver.find_element(By.ID, f"form-{event}")
        for key, value in answers.items():
            element = form.find_element(By.NAME, key)
            if element.tag_name == "select":
                Select(element).select_by_visible_text(value)
            else:
                element.clear()
                element.send_keys(value)
        self.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    def submit(self, button) -> None:
        """Click and wait for the next page (the old one's elements go stale)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def gone(_driver) -> bool:
            # Chromium may say "stale element" or, while the new page replaces the old one,
            # "Node with given id does not belong to the document": both mean the page left
            try:
                button.is_enabled()
            except WebDriverException:
                return True
            return False

        button.click()
        WebDriverWait(self.driver, 30).until(gone)

    def table(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, "table.list").text

    def shot(self, name: str, *, phone: bool = False) -> None:
        """The whole page, as wide as a desk's window or a phone's screen."""
        import base64

        SHOTS.mkdir(exist_ok=True)
        before = self.driver.get_window_size()
        width, height = PHONE if phone else DESKTOP
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone})
        full = self.driver.execute_script("return document.documentElement.scrollHeight")
        picture = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(full, 6000), "scale": 1}})
        (SHOTS / f"{self.backend}-{name}{'-phone' if phone else ''}.png").write_bytes(base64.b64decode(picture["data"]))
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.driver.set_window_size(before["width"], before["height"])


def _downloaded(folder: Path, suffix: str) -> Path:
    deadline = time.monotonic() + 30  # waiting for a file to land, not a timed assertion
    while time.monotonic() < deadline:
        found = [path for path in folder.iterdir() if path.suffix == suffix]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file was downloaded to {folder}: {list(folder.iterdir())}")


def test_a_suggestion_handled_in_the_browser_from_sign_for_to_the_auditors_check(site, chrome, db_url):
    backend = db_url.split(":", 1)[0]
    person = Person(chrome, site, backend)
    print(f"\nscreenshots: {SHOTS}")

    person.sign_in("li")  # the unit clerk of 县住建局
    assert "待签收" in person.text() and "16-1-010" in person.text()
    person.shot("unit-home")
    person.shot("unit-home", phone=True)
    person.open("/items/16-1-010")
    person.fire("sign_for", leader="张建华", handler="李晓东")
    assert "已办理：签收" in person.text() and "办理中" in person.text()
    person.fire("contact", method="面对面", stage="办理前", note="到代表家中当面听取意见")
    assert "已办理：联系代表" in person.text()
    person.fire("reply", result_class="A", text=REPLY_TEXT, signer="张建华", contact_person="李晓东")
    assert "已办理：答复代表" in person.text() and "已答复待审核" in person.text()
    person.shot("item-replied")
    person.sign_out()

    person.sign_in("wang")  # the supervision office reviews the reply
    person.open("/ledger?q=16-1-010")
    assert "已答复待审核" in person.table()
    person.open("/items/16-1-010")
    person.fire("accept_reply")
    assert "待代表评价" in person.text()
    person.sign_out()

    chrome.set_window_size(*PHONE)  # the deputy, on a phone
    person.sign_in("zhang")
    assert "请您评价" in person.text() and "加装电梯列入今年计划" in person.text()
    person.shot("deputy-home", phone=True)
    person.fire("rate", rating="满意", comment="答复及时，非常满意")
    assert "已办结" in person.text() or "办结" in person.text()
    person.shot("deputy-rated", phone=True)
    person.sign_out()
    chrome.set_window_size(*DESKTOP)

    person.sign_in("wang")  # the ledger has changed; the ledger and the report are downloaded
    person.open("/ledger?q=16-1-010")
    assert "办结" in person.table() and "已答复待审核" not in person.table()
    person.shot("ledger")
    person.shot("ledger", phone=True)
    from selenium.webdriver.common.by import By

    chrome.find_element(By.ID, "export").click()
    ledger = _downloaded(chrome.downloads, ".xlsx")
    assert ledger.read_bytes()[:2] == b"PK"
    person.open("/dashboard")
    assert "满意率" in person.text()
    person.shot("dashboard")
    person.open("/reports?session=16-1")
    person.shot("reports")
    chrome.find_element(By.ID, "report-docx").click()
    report = _downloaded(chrome.downloads, ".docx")
    assert report.read_bytes()[:2] == b"PK"
    person.open("/workflows")
    person.shot("workflows")
    person.sign_out()

    person.sign_in("audit")  # the auditor verifies the record and takes a checkpoint
    assert "验证通过" in person.text()
    person.submit(chrome.find_element(By.ID, "make-checkpoint"))
    assert "已记录检查点" in person.text()
    person.shot("audit")
    person.open("/audit/items/16-1-010")
    assert "✗" not in person.text() and "✓" in person.text()
    person.shot("audit-chain")
