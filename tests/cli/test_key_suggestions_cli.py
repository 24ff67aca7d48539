"""`banli item show` of a key suggestion (重点建议) names its county leader, and of a suggestion
made again (多次提议) lists the earlier items with their session, state and outcome; firing
with a wrong link or as someone without the role is refused in one line."""

from __future__ import annotations

from tests.cli.conftest import DATA, TO_HANDLING, walk


def _with_leader(banli, tmp_path) -> None:
    text = (DATA / "org.yaml").read_text(encoding="utf-8").replace(
        "people:\n", "people:\n  - {id: ld-zhou, name: 周副县长, roles: [leader]}\n", 1)
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = banli("org", "load", str(path), user="wang")
    assert loaded.exit_code == 0, loaded.stderr


def _earlier(banli, ref: str, session: str) -> None:
    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", "关于加强物业管理的建议",
                  "--deputy", "张三", "--field", "category=城市建设", "--field", f"session={session}",
                  "--at", "2026-01-05T09:00", user="reg")
    assert added.exit_code == 0, added.stderr


def test_item_show_names_the_leader_and_the_earlier_items(banli, tmp_path):
    _with_leader(banli, tmp_path)
    _earlier(banli, "15-4-001", "15-4")
    _earlier(banli, "15-5-001", "15-5")
    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-001", "--title", "关于加强物业管理的建议",
                  "--deputy", "张三", "--field", "category=城市建设", "--field", "earlier=15-5-001、15-4-001",
                  "--at", "2026-01-10T09:00", user="reg")
    assert added.exit_code == 0, added.stderr
    walk(banli, "16-1-001", TO_HANDLING)
    walk(banli, "16-1-001", [("wang", "mark_key", {"lead_leader": "ld-zhou"}, "2026-02-03T09:00"),
                             ("ld-zhou", "instruct", {"text": "请主要负责同志亲自督办"}, "2026-02-04T09:00")])

    shown = banli("item", "show", "16-1-001")
    assert shown.exit_code == 0, shown.stderr
    assert "  分管县领导 周副县长\n" in shown.stdout  # the name; the id is in --json
    assert "  多次提议: also made 2 time(s) before" in shown.stdout
    assert "    15-5-001 (15-5) 关于加强物业管理的建议: 已登记" in shown.stdout
    assert "    15-4-001 (15-4) 关于加强物业管理的建议: 已登记" in shown.stdout
    assert "领导批示" in shown.stdout  # in the history, by its label
    data = banli("item", "show", "16-1-001", "--json").json()
    assert data["role_holders"][0]["name"] == "周副县长"
    assert [entry["ref"] for entry in data["earlier"]] == ["15-5-001", "15-4-001"]


def test_wrong_links_and_roles_are_refused_in_one_line(banli, suggestion, tmp_path):
    _with_leader(banli, tmp_path)
    unknown = banli("fire", suggestion, "link_earlier", "--data", "earlier=15-5-404", user="reg")
    assert unknown.exit_code == 3
    assert unknown.stderr.strip().count("\n") == 0 and "there is no item 15-5-404" in unknown.stderr
    itself = banli("fire", suggestion, "link_earlier", "--data", f"earlier={suggestion}", user="reg")
    assert itself.exit_code == 3 and f"names {suggestion} itself" in itself.stderr
    assert itself.stderr.strip().count("\n") == 0
    walk(banli, suggestion, TO_HANDLING)
    stranger = banli("fire", suggestion, "instruct", "--data", "text=同意", user="ld-zhou")
    assert stranger.exit_code == 4 and "needs the role lead_leader" in stranger.stderr
    assert stranger.stderr.strip().count("\n") == 0


def test_an_import_file_links_earlier_items_already_registered(banli, tmp_path):
    _earlier(banli, "15-5-073", "15-5")
    _earlier(banli, "15-4-073", "15-4")
    good = tmp_path / "good.csv"
    good.write_text("编号,标题,代表,类别,往届相同建议\n"
                    "16-1-073,关于多部门联合加强电动车治理的建议,张三,城市建设,15-5-073、15-4-073\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,标题,代表,类别,往届相同建议\n"
                   "16-1-074,关于加强物业管理的建议,张三,城市建设,\"15-5-073,15-5-999\"\n", encoding="utf-8")

    refused = banli("item", "import", str(bad), user="reg")
    assert refused.exit_code == 3
    assert f"{bad}:2: 往届相同建议: 'earlier': there is no item 15-5-999" in refused.stderr
    imported = banli("item", "import", str(good), user="reg")
    assert imported.exit_code == 0, imported.stderr
    shown = banli("item", "show", "16-1-073", "--json").json()
    assert shown["fields"]["earlier"] == ["15-5-073", "15-4-073"]
    assert [entry["session"] for entry in shown["earlier"]] == ["15-5", "15-4"]
