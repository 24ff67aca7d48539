"""The web under load: 50 signed-in people at once on 127.0.0.1 against a real `banli serve`
on a SQLite database of 5,000 suggestions, loading pages and firing events for 60 s.

Prints p50/p95 latency per route (as the client saw it, and the server's own time from its
Server-Timing header), the errors (must be 0), events per second through the web against
`banli replay` on the same database in the same run, and checks that every event the web
acknowledged is in the trace exactly once and that `audit verify` passes.

    .venv/bin/python bench/web.py                 # 60 s, 50 users, 5,000 items
    .venv/bin/python bench/web.py --seconds 10    # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web.server import serving  # noqa: E402  (the tests' own way of starting `banli serve`)

UNITS = [f"u{n:02d}" for n in range(1, 11)]
PASSWORD = "bench-口令-2026"
SESSION = "16-1"
CATEGORIES = ["科教文卫", "工交财贸", "农业农村", "城市建设", "社会建设"]
DEPUTIES = 150  # a county's congress: 5,000 suggestions over the years are some 33 each


def org() -> dict:
    """50 people: 3 clerks in each of 10 units, 10 of the 150 deputies, 6 supervisors, 2 of the congress
    office, 2 auditors; and the registrar who registers the items (not signed in)."""
    people = [{"id": f"{unit}-{n}", "name": f"{unit}办事员{n}", "roles": ["unit"], "unit": unit}
              for unit in UNITS for n in (1, 2, 3)]
    people += [{"id": f"dep{n:03d}", "name": f"代表{n:03d}", "roles": ["deputy"], "deputy": f"代表{n:03d}"}
               for n in range(1, 11)]
    people += [{"id": f"sup{n}", "name": f"督查员{n}", "roles": ["supervisor"]} for n in range(1, 7)]
    people += [{"id": f"npc{n}", "name": f"人大{n}", "roles": ["npc_office"]} for n in (1, 2)]
    people += [{"id": f"aud{n}", "name": f"审计{n}", "roles": ["auditor"]} for n in (1, 2)]
    people.append({"id": "reg", "name": "登记员", "roles": ["registrar", "reviewer"]})
    return {"units": [{"id": unit, "name": f"县第{unit[1:]}局", "government": True} for unit in UNITS],
            "people": people, "deputies": [f"代表{n:03d}" for n in range(1, DEPUTIES + 1)]}


def build(url: str, folder: Path, items: int, handled: int) -> dict:
    """The database: `items` suggestions, `handled` of them assigned and signed for (the
    clerks' work), as many assigned but not signed for (the supervisors' urges)."""
    from argon2 import PasswordHasher

    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.org import read_org
    from banli.engine.runtime import Runtime
    from banli.store.operator import apply_org
    from banli.store.repo import SqlStore
    from banli.store.schema import upgrade

    (folder / "org.yaml").write_text(yaml.safe_dump(org(), allow_unicode=True), encoding="utf-8")
    store = SqlStore(url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "bench")
    apply_org(store, read_org(folder / "org.yaml"), "bench", "2026-01-01T00:00:00.000000")
    runtime = Runtime(store)
    started = time.perf_counter()
    refs = [f"16-1-{n:04d}" for n in range(1, items + 1)]
    with store.write() as tx:
        workflow = store.workflows.get("npc-suggestion")
        for n, ref in enumerate(refs):
            runtime.create_in(tx, workflow=workflow, ref=ref, title=f"关于第{n + 1}件民生问题的建议", actor=runtime.actor("reg"),
                              deputies=[f"代表{n % DEPUTIES + 1:03d}"], fields={"category": CATEGORIES[n % 5], "session": SESSION},
                              at="2026-01-10T09:00")
    plan = {"clerk": defaultdict(list), "urge": []}
    walked = refs[:2 * handled]
    for start in range(0, len(walked), 500):
        with store.write() as tx:
            for index, ref in enumerate(walked[start:start + 500], start):
                unit = UNITS[index % len(UNITS)]
                for user, event, data in (("reg", "sort", {"category": CATEGORIES[index % 5]}), ("reg", "review", {}),
                                          ("reg", "audit", {}), ("npc1", "approve", {}),
                                          ("sup1", "assign", {"lead_unit": unit, "mode": "单独办理"})):
                    runtime.fire_in(tx, ref, event, user, data, None)
                if index < handled:  # signed for, and given to one clerk of the unit alone: no two clerks race
                    clerk = f"{unit}-{index // len(UNITS) % 3 + 1}"
                    runtime.fire_in(tx, ref, "sign_for", clerk, {"leader": "局长", "handler": "科员"}, None)
                    plan["clerk"][clerk].append(ref)
                else:
                    plan["urge"].append(ref)
    # the hash of the password, once: each of 50 argon2 hashes costs about a second on a busy machine
    hashed = PasswordHasher().hash(PASSWORD)
    for person in org()["people"]:
        store.accounts.set_password(person["id"], hashed, at="2026-01-01T00:00:00.000000", note=None)
    print(f"built {items} items ({handled} signed for, {len(plan['urge'])} assigned) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    store.close()
    return plan


class Recorder:
    def __init__(self) -> None:
        self.client: dict[str, list[float]] = defaultdict(list)
        self.server: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.acknowledged: dict[str, int] = defaultdict(int)  # event → how many the web answered as applied

    def note(self, route: str, response, seconds: float, expected: tuple[int, ...] = (200,)) -> bool:
        self.client[route].append(seconds * 1000)
        match = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
        if match:
            self.server[route].append(float(match.group(1)))
        if response.status_code not in expected:
            said = re.search(r'<p class="message">(.*?)</p>', response.text, re.S)
            self.errors.append(f"{route}: {response.status_code} {said.group(1) if said else response.text[:200]}")
            return False
        return True


async def timed(client, recorder: Recorder, route: str, method: str, url: str, expected=(200,), **kwargs):
    started = time.perf_counter()
    response = await client.request(method, url, **kwargs)
    recorder.note(route, response, time.perf_counter() - started, expected)
    return response


async def sign_in(client, user: str) -> str:
    page = await client.get("/login")
    token = re.search(r'action="/login".*?name="csrf_token" value="([^"]+)"', page.text, re.S).group(1)
    answer = await client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"{user} could not sign in: {answer.status_code}")
    return (await client.get("/api/me")).json()["csrf_token"]


async def person(client, csrf: str, user: str, plan: dict, recorder: Recorder, stop: float, index: int) -> None:
    turn = index
    while time.monotonic() < stop:
        turn += 1
        if user[0] == "u":  # a unit clerk: home, an item, contact the deputy through the form
            await timed(client, recorder, "GET / (unit)", "GET", "/")
            ref = plan["clerk"][user][turn % len(plan["clerk"][user])]
            page = await timed(client, recorder, "GET /items/{ref}", "GET", f"/items/{ref}")
            version = re.search(r'id="form-contact".*?name="version" value="(\d+)"', page.text, re.S).group(1)
            answer = await timed(client, recorder, "POST /items/{ref}/events/contact", "POST",
                                 f"/items/{ref}/events/contact", expected=(303,),
                                 data={"csrf_token": csrf, "version": version, "method": "phone", "note": "电话沟通"})
            if answer.status_code == 303:
                recorder.acknowledged["contact"] += 1
        elif user.startswith("dep"):
            await timed(client, recorder, "GET / (deputy)", "GET", "/")
        elif user.startswith("sup"):
            query = ["", "?overdue=1", f"?q=第{turn % 500 + 1}件", "?unit=u03&sort=deadline"][turn % 4]
            await timed(client, recorder, "GET /ledger", "GET", "/ledger" + query)
            if turn % 3 == 0:
                await timed(client, recorder, "GET /dashboard", "GET", "/dashboard")
            ref = plan["urge"][(turn * 7 + index) % len(plan["urge"])]
            answer = await timed(client, recorder, "POST /api/items/{ref}/events/urge", "POST",
                                 f"/api/items/{ref}/events/urge", json={"data": {"note": "请抓紧办理"}},
                                 headers={"X-CSRF-Token": csrf})
            if answer.status_code == 200:
                recorder.acknowledged["urge"] += 1
        else:  # the congress office and the auditors read items
            ref = plan["urge"][turn % len(plan["urge"])]
            await timed(client, recorder, "GET /api/items/{ref}", "GET", f"/api/items/{ref}")
            if user.startswith("aud"):
                await timed(client, recorder, "GET /audit/items/{ref}", "GET", f"/audit/items/{ref}")


async def load(base: str, plan: dict, seconds: float, recorder: Recorder) -> float:
    """Everyone signs in (argon2 takes about a second of the server's time each: not measured),
    then all work at once for `seconds`."""
    import httpx

    users = [person["id"] for person in org()["people"] if person["id"] != "reg"]
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _user in users]
    try:
        tokens = await asyncio.gather(*(sign_in(client, user) for client, user in zip(clients, users)))
        stop = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(person(client, csrf, user, plan, recorder, stop, index)
                               for index, (client, csrf, user) in enumerate(zip(clients, tokens, users))))
        return time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


def counted(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from banli.store.repo import SqlStore
    from banli.store.schema import trace_t

    store = SqlStore(url)
    with store.engine.connect() as connection:
        rows = dict(connection.execute(select(trace_t.c.event, func.count()).group_by(trace_t.c.event)).all())
    store.close()
    return rows


def replay_rate(url: str, folder: Path, plan: dict, events: int) -> float:
    """Events per second of `banli replay` (one transaction a line, as the web) on the same database."""
    lines = []
    clerks = sorted(plan["clerk"])
    for n in range(events):
        clerk = clerks[n % len(clerks)]
        lines.append(json.dumps({"ref": plan["clerk"][clerk][n % len(plan["clerk"][clerk])], "event": "contact",
                                 "as": clerk, "data": {"method": "phone"}}, ensure_ascii=False))
    path = folder / "contacts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "banli", "--db", url, "replay", str(path)], check=True,
                   capture_output=True)
    return events / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--handled", type=int, default=600, help="items signed for, shared among the clerks")
    parser.add_argument("--replay", type=int, default=2000, help="events for the `banli replay` comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="banli-bench-web-") as name:
        folder = Path(name)
        url = f"sqlite:///{folder / 'web.db'}"
        plan = build(url, folder, args.items, args.handled)
        before = counted(url)
        recorder = Recorder()
        with serving(url) as (base, _process):
            took = asyncio.run(load(base, plan, args.seconds, recorder))
        after = counted(url)
        rate = replay_rate(url, folder, plan, args.replay)
        verify = subprocess.run([sys.executable, "-m", "banli", "--db", url, "audit", "verify", "--json"],
                                capture_output=True, text=True)
    print(f"\n{len(recorder.client) and sum(map(len, recorder.client.values()))} requests by 50 people in {took:.1f} s "
          f"on {args.items} items (SQLite)\n")
    print(f"{'route':<40} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'server p50':>11} {'server p95':>11}")
    for route in sorted(recorder.client):
        client, server = recorder.client[route], recorder.server[route] or [0.0]
        print(f"{route:<40} {len(client):>6} {statistics.median(client):>8.1f} {percentile(client, 0.95):>8.1f} "
              f"{statistics.median(server):>11.1f} {percentile(server, 0.95):>11.1f}")
    events = sum(recorder.acknowledged.values())
    print(f"\nerrors: {len(recorder.errors)}" + "".join(f"\n  {error}" for error in recorder.errors[:10]))
    print(f"events through the web: {events} in {took:.1f} s = {events / took:.1f}/s "
          f"(while serving the pages above); banli replay: {rate:.1f}/s")
    for event, count in recorder.acknowledged.items():
        traced = after.get(event, 0) - before.get(event, 0)
        verdict = "ok" if traced == count else "MISMATCH"
        print(f"{event}: {count} acknowledged, {traced} traced: {verdict}")
    print(f"audit verify: {'ok' if json.loads(verify.stdout or '{}').get('ok') else 'FAILED'}")
    if recorder.errors or any(after.get(e, 0) - before.get(e, 0) != n for e, n in recorder.acknowledged.items()):
        sys.exit(1)


if __name__ == "__main__":
    main()
