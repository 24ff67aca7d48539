"""Building banli: every build (a wheel, `pip install .`, an editable install) compiles the
message catalogs, banli/i18n/locale/LANG/LC_MESSAGES/banli.po, to the .mo files banli reads
at run time, with Babel. The rest of the build is declared in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).parent / "banli" / "i18n" / "locale"


def compile_catalogs() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


class BuildWithCatalogs(build_py):
    """build_py, after compiling the catalogs into the source tree (where an editable install
    reads them, and from where a wheel's package data is copied)."""

    def run(self) -> None:
        compile_catalogs()
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
