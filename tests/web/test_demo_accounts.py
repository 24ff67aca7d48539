"""`banli demo` gives one person of each role a password and prints them; with those,
`banli serve --db banli-demo.db` shows the demo year to each of them."""

from __future__ import annotations

import json
import re
import subprocess
import sys



def test_the_demo_prints_accounts_that_sign_in_to_the_demo_year(tmp_path):
    from fastapi.testclient import TestClient

    from banli.store.repo import SqlStore
    from banli.web import create_app

    result = subprocess.run([sys.executable, "-m", "banli", "demo", "--suggestions", "12", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    accounts = json.loads(result.stdout)["accounts"]
    assert [account["role"] for account in accounts] == ["supervisor", "npc_office", "registrar", "unit", "deputy",
                                                         "auditor", "leader"]
    store = SqlStore(f"sqlite:///{tmp_path / 'banli-demo.db'}")
    homes = {}
    with TestClient(create_app(store), raise_server_exceptions=False) as client:
        for account in accounts:
            page = client.get("/login").text
            token = re.search(r'action="/login".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
            signed = client.post("/login", data={"username": account["user"], "password": account["password"],
                                                 "csrf_token": token})
            assert signed.status_code == 200, account
            homes[account["role"]] = signed.text
            client.cookies.clear()
    assert "台账" in homes["supervisor"] and "办理统计" in homes["supervisor"]
    assert "县住建局" in homes["unit"] and "我的办理事项" in homes["unit"]
    assert "我的建议" in homes["deputy"] and "16-1-" in homes["deputy"]
    assert "验证通过" in homes["auditor"]
    assert "办理统计" in homes["leader"]  # a county leader oversees the year
    store.close()


def test_the_text_demo_tells_how_to_serve_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "banli", "demo", "--suggestions", "5"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "banli serve --db banli-demo.db" in result.stdout
    assert re.search(r"督查室\s+sup-1\s+\S+\s+demo-督查室-2022", result.stdout)
