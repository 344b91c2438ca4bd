"""Compile the gettext catalogs (`config/locale/*/LC_MESSAGES/*.po` -> `.mo`) with Babel while
building, so a wheel, a plain install and an editable install (`pip install -e .`) all speak
French. The `.mo` files are build products: never committed (.gitignore)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path("config") / "locale"


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Every `.po` under `source` compiled to the same place under `target` (fuzzy skipped)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3], domain=po.stem)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class BuildWithCatalogs(build_py):
    """build_py that also compiles the catalogs: into the build tree for a wheel, beside the
    `.po` sources for an editable install (which imports the source tree)."""

    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        if getattr(self, "editable_mode", False):
            compile_catalogs(here / LOCALE, here / LOCALE)
        else:
            compile_catalogs(here / LOCALE, Path(self.build_lib) / LOCALE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        here = Path(__file__).resolve().parent
        if not getattr(self, "editable_mode", False):
            outputs += [str(Path(self.build_lib) / LOCALE / po.relative_to(here / LOCALE)
                            .with_suffix(".mo"))
                        for po in sorted((here / LOCALE).glob("*/LC_MESSAGES/*.po"))]
        return outputs


setup(cmdclass={"build_py": BuildWithCatalogs})
