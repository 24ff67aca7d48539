"""What a command loads decides how fast it starts (bench/startup.py): `banli --help` loads no
database layer, and reading an item loads SQLAlchemy Core only: no ORM, SQLModel, pydantic or
Alembic (together ~0.2 s). Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

READ_PATH_FORBIDDEN = ["sqlmodel", "pydantic", "sqlalchemy.orm", "alembic"]

_RUN = """
import contextlib, io, json, sys
from banli.cli import cli
argv = json.loads(sys.argv[1])
if argv:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        cli(argv, prog_name="banli", standalone_mode=False)
    assert out.getvalue(), "the command printed nothing"
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(*argv: str) -> set[str]:
    """The modules loaded after running `banli ARGV` in a fresh interpreter (none: just import)."""
    result = subprocess.run([sys.executable, "-c", _RUN, json.dumps(list(argv))], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_importing_the_cli_loads_no_database_layer():
    loaded = loaded_modules()
    assert not {name for name in loaded if name.split(".")[0] in ("sqlalchemy", *READ_PATH_FORBIDDEN)}


def test_help_loads_no_database_layer():
    loaded = loaded_modules("--help")
    assert "sqlalchemy" not in loaded and "sqlmodel" not in loaded


def test_item_show_and_list_load_sqlalchemy_core_only(suggestion, db_url):
    for argv in (["item", "show", suggestion], ["item", "list", "--json"]):
        loaded = loaded_modules("--db", db_url, *argv)
        assert "sqlalchemy" in loaded  # the check itself works: the command did read the database
        assert [name for name in READ_PATH_FORBIDDEN if name in loaded] == [], argv
