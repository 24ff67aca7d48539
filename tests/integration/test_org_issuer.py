"""The issuer of the organisation's reports, named in its org file: checked when read, stored
when loaded (and journaled), kept when a later file does not name it, replaced when one does."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from banli.cli import cli
from banli.engine.org import IssuerSpec, read_org
from banli.errors import InvalidInput
from banli.store.operator import apply_org, issuer
from banli.store.schema import journal_t
from tests.conftest import DATA

AT = "2026-02-01T00:00:00.000000"


def _org(tmp_path, issuer_line: str):
    path = tmp_path / "org.yaml"
    path.write_text(issuer_line + "\n" + (DATA / "org.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_loaded_issuer_is_kept_until_a_file_names_another(store, tmp_path):
    assert issuer(store) is None  # tests/data/org.yaml names none

    apply_org(store, read_org(_org(tmp_path, "issuer: {name: 西平县人民政府, short: 西平县}")), "op", AT)
    assert issuer(store) == IssuerSpec(name="西平县人民政府", short="西平县")
    apply_org(store, read_org(DATA / "org.yaml"), "op", AT)
    assert issuer(store) == IssuerSpec(name="西平县人民政府", short="西平县")
    apply_org(store, read_org(_org(tmp_path, "issuer: {name: 西平县人大常委会}")), "op", AT)
    assert issuer(store) == IssuerSpec(name="西平县人大常委会")

    with store.engine.connect() as connection:
        loads = [json.loads(data) for (data,) in connection.execute(
            select(journal_t.c.data).where(journal_t.c.action == "org.load").order_by(journal_t.c.seq))]
    assert [load.get("issuer") for load in loads][-3:] == [{"name": "西平县人民政府", "short": "西平县"}, None,
                                                         {"name": "西平县人大常委会"}]


def test_org_show_names_the_issuer(store, tmp_path):
    apply_org(store, read_org(_org(tmp_path, "issuer: {name: 西平县人民政府, short: 西平县}")), "op", AT)
    url = store.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(cli, ["--db", url, "org", "show", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["issuer"] == {"name": "西平县人民政府", "short": "西平县"}


@pytest.mark.parametrize("line, message", [
    ("issuer: {name: ''}", "issuer.name"),
    ("issuer: {name: 西平县人民政府, seal: 公章}", "issuer.seal"),
    ("issuer: 西平县人民政府", "issuer"),
], ids=["empty-name", "unknown-key", "not-a-mapping"])
def test_a_bad_issuer_is_refused_naming_it(tmp_path, line, message):
    with pytest.raises(InvalidInput, match=message):
        read_org(_org(tmp_path, line))
