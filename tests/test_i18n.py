"""The French interface (issue 18): a catalog that cannot rot, French typography, the whole help
in French, the main errors in French with their exit codes, machine outputs unchanged."""

from __future__ import annotations

import ast
import json
import re
import string
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from config import i18n
from publish.cli import main
from publish.cli.clidoc import walk
from publish.cli.exitcodes import ExitCode
from publish.cli.localize import activate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import extract_messages  # noqa: E402

FR_PO = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "capsule.po"
FR_MO = FR_PO.with_suffix(".mo")
NO_LOCALE = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract_messages.template()


@pytest.fixture(scope="module")
def french() -> Catalog:
    with FR_PO.open("rb") as handle:
        return read_po(handle, locale="fr", domain="capsule")


def run(*args: str, lang: str | None = None, env: dict | None = None, **kwargs):
    """The CLI in a given locale (None: no locale variable at all)."""
    variables = dict(NO_LOCALE)
    if lang:
        variables["LANG"] = lang
    variables.update(env or {})
    return CliRunner().invoke(main, list(args), env=variables, prog_name="capsule", **kwargs)


def _pairs(message) -> list[tuple[str, str]]:
    """(msgid, msgstr) per form; French plural forms pair with the singular, then the plural."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    return list(zip(message.id, message.string, strict=False))


# The catalog cannot rot -------------------------------------------------------------------------

def test_every_message_of_the_sources_has_a_french_translation(template, french):
    missing = extract_messages.untranslated(template, french)
    assert missing == [], f"run `python scripts/extract_messages.py` and translate: {missing}"


_BRACES = string.Formatter()
_PERCENT = re.compile(r"%\([A-Za-z_]+\)[sdifr]|%[sdifr]")


def placeholders(text: str) -> list[str]:
    fields = sorted(f"{{{name}!{conv}:{spec}}}" for _, name, spec, conv in _BRACES.parse(text)
                    if name is not None)
    return fields + sorted(_PERCENT.findall(text))


def test_translations_keep_the_placeholders_of_the_original(french):
    wrong = [(msgid, msgstr) for message in french if message.id
             for msgid, msgstr in _pairs(message)
             if msgstr and placeholders(msgid) != placeholders(msgstr)]
    assert wrong == []


def test_placeholder_check_catches_a_renamed_or_dropped_field():
    assert placeholders("{path}: {count:.1f} s") != placeholders("{chemin} : {count:.1f} s")
    assert placeholders("%(prog)s, version %(version)s") != placeholders("%(prog)s")
    assert placeholders("{value!r} x") != placeholders("{value} x")


def test_every_formatted_message_gets_exactly_its_placeholders():
    """`_("… {name} …").format(name=…)`: a field without its argument would raise at the
    moment the message is needed (an error path), so it is checked on the source."""
    wrong = []
    for path in sorted(p for pkg in ("publish", "captions", "config")
                       for p in (ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format" and isinstance(node.func.value, ast.Call)
                    and getattr(node.func.value.func, "id", "") in ("_", "ngettext")):
                continue
            texts = [a.value for a in node.func.value.args
                     if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            wanted = {name.split(".")[0].split("[")[0] for text in texts
                      for _, name, _, _ in _BRACES.parse(text) if name}
            given = {kw.arg for kw in node.keywords}
            if wanted != given or node.args:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {wanted ^ given}")
    assert wrong == []


def test_no_f_string_inside_gettext():
    """`_(f"…")` would look up a msgid that never exists: the text would stay English."""
    wrong = []
    for path in sorted(p for pkg in ("publish", "captions", "config")
                       for p in (ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "N_") \
                    and node.args and isinstance(node.args[0], ast.JoinedStr | ast.BinOp):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


# French typography ------------------------------------------------------------------------------

_NBSP = "\u00a0\u202f"
# Punctuation as punctuation: followed by a space, the end, a closing bracket or quote (not
# `12:30`, `http://`, `?v=`, nor inside a placeholder such as `{value!r}` or `{n:.1f}`).
_HIGH = re.compile(r"(.)([:;?!])(?=\s|$|[)\"'»])")


def typography_faults(text: str) -> list[str]:
    bare = re.sub(r"\{[^{}]*\}|%\([a-z_]+\)[sd]", "X", text)
    faults = [f"{m.group(0)!r} needs a no-break space" for m in _HIGH.finditer(bare)
              if m.group(1) not in _NBSP]
    faults += ["« without a no-break space" for m in re.finditer("«(?!\u00a0|\u202f)", bare)]
    faults += ["» without a no-break space" for m in re.finditer("(?<![\u00a0\u202f])»", bare)]
    return faults


def test_french_typography_no_break_space_before_high_punctuation(french):
    wrong = {msgstr: typography_faults(msgstr) for message in french if message.id
             for _, msgstr in _pairs(message) if typography_faults(msgstr)}
    assert wrong == {}


def test_typography_check_catches_an_ordinary_space():
    assert typography_faults("erreur : fichier introuvable")
    assert typography_faults("est-ce bien un fichier ?")
    assert typography_faults("« installed »")
    assert not typography_faults("erreur\u00a0: à 12:30, voir http://x/?v=1 {value!r}")


# The build compiled the catalog -----------------------------------------------------------------

def test_compiled_catalog_matches_its_source(french):
    assert FR_MO.is_file(), "no compiled catalog: run `pip install -e .` (setup.py compiles it)"
    with FR_MO.open("rb") as handle:
        compiled = read_mo(handle)
    def strings(message) -> tuple:
        return tuple(message.string) if isinstance(message.string, tuple | list) \
            else (message.string,)

    stale = [m.id for m in french if m.id and m.string
             and (compiled.get(m.id) is None or strings(compiled.get(m.id)) != strings(m))]
    assert stale == [], "stale .mo: run `python scripts/extract_messages.py` or `pip install -e .`"


# Choosing the language --------------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "fr_MA.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
    ({"LC_ALL": "fr_CA", "LANG": "ar_MA.UTF-8"}, "fr"),
    ({"LANGUAGE": "en", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANGUAGE": "fr:en", "LANG": "C.UTF-8"}, "fr"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({}, None),
])
def test_locale_language(environ, expected):
    assert i18n.locale_language(environ) == expected


def test_help_follows_the_locale_flag_and_setting(isolated):
    assert run("--help").stdout.startswith("Usage: capsule")
    assert run("--help", lang="fr_FR.UTF-8").stdout.startswith("Utilisation\u00a0: capsule")
    assert run("--lang-ui", "en", "--help", lang="fr_FR.UTF-8").stdout.startswith("Usage:")
    assert run("--help", "--lang-ui", "fr").stdout.startswith("Utilisation")  # eager, any order
    assert run("-s", "interface_language=fr", "--help").stdout.startswith("Utilisation")
    assert run("--help", env={"CAPSULE_INTERFACE_LANGUAGE": "fr"}).stdout.startswith("Utilis")
    (isolated / "config.toml").write_text('interface_language = "fr"\n', encoding="utf-8")
    assert run("publish", "--help").stdout.startswith("Utilisation\u00a0: capsule publish")
    assert run("--lang-ui", "en", "publish", "--help").stdout.startswith("Usage:")
    shown = run("--lang-ui", "en", "config", "show", "--json")
    rows = {r["key"]: r for r in json.loads(shown.stdout)["settings"]}
    assert rows["interface_language"]["value"] == "fr"
    assert run("config", "show", env={"CAPSULE_INTERFACE_LANGUAGE": "en"}).stdout.startswith(
        "# settings file:")


def test_unknown_interface_language_is_refused(isolated):
    result = run("--lang-ui", "xx", "config", "show")
    assert result.exit_code == ExitCode.USAGE
    assert "'xx' is not one of en, fr." in result.stderr
    (isolated / "config.toml").write_text('interface_language = "de"\n', encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {isolated / 'config.toml'}:1: "
                             "interface_language: expected one of en, fr, got 'de'\n")
    result = run("config", "show", lang="fr_FR.UTF-8")
    assert result.stderr == (f"capsule\u00a0: erreur\u00a0: {isolated / 'config.toml'}:1\u00a0: "
                             "interface_language\u00a0: attendu l'un de en, fr, reçu 'de'\n")


def test_the_language_is_restored_after_a_run(isolated):
    run("--help", lang="fr_FR.UTF-8")
    assert i18n.language() == "en"
    assert i18n._("error") == "error"


# The whole help in French -----------------------------------------------------------------------

def _helps(language: str) -> dict[str, str]:
    activate(language, main)
    try:
        return {path: ctx.get_help() for path, ctx in walk(main)}
    finally:
        activate("en", main)


_CODE_TOKEN = re.compile(r"""^(-{1,2}[\w-]+[,=]?|[A-Z][A-Z0-9_=.\[\]|…<>-]*,?|\[[^\]]*\][.…]*
                         |\S*[/=.:*~$"'`()]\S*|\d\S*|[a-z0-9]+(-[a-z0-9]+)+[,.]?
                         |[a-z0-9]+)$""", re.X)


def test_whole_help_tree_in_french_has_no_english_left(french):
    english, french_help = _helps("en"), _helps("fr")
    assert english.keys() == french_help.keys() and len(english) > 30
    translated = [m.id for m in french if isinstance(m.id, str) and m.string != m.id
                  and len(m.id.split()) >= 3 and "\n" not in m.id]
    problems = []
    for path, text in french_help.items():
        for heading in ("Usage:", "Options:", "Commands:", "Show this message and exit."):
            if heading in text:
                problems.append(f"{path}: {heading!r}")
        problems += [f"{path}: {msgid!r}" for msgid in translated if msgid in text]
        french_lines = set(text.splitlines())
        previous = ""
        for line in english[path].splitlines():
            words, example = line.split(), "capsule " in line or previous.endswith("\\")
            previous = line
            if not words or line not in french_lines or example:
                continue  # translated, or an example command
            if not all(_CODE_TOKEN.match(word) for word in words) or any(
                    word.isalpha() and word.islower() and len(word) > 3
                    and word not in _command_names() for word in words):
                problems.append(f"{path}: {line.strip()!r}")
    assert problems == []


def _command_names() -> set[str]:
    return {path.split()[-1] for path, _ in walk(main)}


def test_readme_reference_is_english_whatever_the_locale(monkeypatch):
    from publish.cli.clidoc import reference

    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    activate("fr", main)
    try:
        text = reference()
    finally:
        activate("en", main)
    assert "Usage: capsule [OPTIONS] COMMAND [ARGS]..." in text
    assert "Utilisation" not in text and "Afficher ce message" not in text


# The main errors in French, same exit codes -----------------------------------------------------

def _both(*args: str, **kwargs):
    return run(*args, **kwargs), run("--lang-ui", "fr", *args, **kwargs)


def test_missing_video_in_french(isolated, tmp_path):
    srt = tmp_path / "capsule.fr.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,500\nBonjour\n", encoding="utf-8")
    en, fr = _both("burn", str(tmp_path / "absent.mp4"), "--subs", str(srt))
    assert en.exit_code == fr.exit_code == ExitCode.INVALID_INPUT
    assert en.stderr == f"capsule: error: {tmp_path / 'absent.mp4'}: file not found\n"
    assert fr.stderr == (f"capsule\u00a0: erreur\u00a0: {tmp_path / 'absent.mp4'}\u00a0: "
                         "fichier introuvable\n")


def test_invalid_manifest_key_in_french(isolated, tmp_path):
    manifest = tmp_path / "capsule.toml"
    manifest.write_text('[video]\nsource = "clip.mp4"\ncolour = "blue"\n', encoding="utf-8")
    en, fr = _both("publish", str(manifest), "--dry-run")
    assert en.exit_code == fr.exit_code == ExitCode.INVALID_INPUT
    assert "video.colour: unknown key (known: " in en.stderr
    assert f"{manifest}:3\u00a0: video.colour\u00a0: clé inconnue (connues\u00a0: " in fr.stderr
    assert fr.stderr.startswith("capsule\u00a0: erreur\u00a0: ")


def test_login_needed_in_french(isolated):
    en, fr = _both("auth", "status", "--channel", "default")
    assert en.exit_code == fr.exit_code == ExitCode.AUTH_REQUIRED
    assert "logged in" in en.stdout and "connecté" in fr.stdout
    error = fr.stderr.splitlines()[-1]
    assert error.startswith("capsule\u00a0: erreur\u00a0: chaîne default\u00a0: ")
    assert "lancez `capsule auth login" in error


def test_quota_too_low_in_french(isolated, sandbox, tmp_path):
    from publish.youtube.auth import save_token
    from tests.media import make_clip

    make_clip(tmp_path / "clip.mp4", seconds=1.0)
    (tmp_path / "capsule.fr.srt").write_text("1\n00:00:00,100 --> 00:00:00,900\nBonjour\n",
                                             encoding="utf-8")
    (tmp_path / "capsule.toml").write_text(
        '[video]\nsource = "clip.mp4"\n[subtitles.fr]\nfile = "capsule.fr.srt"\n'
        '[captions]\nlanguages = ["fr"]\n[metadata]\ntitle = "Cœur bleu"\n'
        'privacy = "private"\nmade_for_kids = false\nsynthetic_media = false\n',
        encoding="utf-8")
    save_token(sandbox.credentials(), isolated / "data" / "tokens" / "default.json")
    env = {"CAPSULE_ENDPOINT": sandbox.url}
    en, fr = _both("-s", "quota_units=100", "publish", str(tmp_path / "capsule.toml"), env=env)
    assert en.exit_code == fr.exit_code == ExitCode.QUOTA
    assert "today's YouTube quota cannot finish this publication" in en.stderr
    assert ("le quota YouTube du jour ne permet pas de terminer cette publication"
            in fr.stderr)
    assert "(default demande " in fr.stderr and ", il reste 100 sur 100)" in fr.stderr


def test_click_usage_errors_in_french(isolated):
    en, fr = _both("burn", "--sub", "x")
    assert en.exit_code == fr.exit_code == ExitCode.USAGE
    assert "Error: No such option '--sub'" in en.stderr
    assert "Erreur\u00a0: Option '--sub' inconnue." in fr.stderr
    en, fr = _both("burn")
    assert en.exit_code == fr.exit_code == ExitCode.USAGE
    assert "Missing argument 'VIDEO'" in en.stderr
    assert "Argument manquant 'VIDEO'" in fr.stderr


# Machine outputs do not change with the language ------------------------------------------------

@pytest.mark.parametrize("args", [
    ("config", "show", "--json"),
    ("status", "--json"),
    ("quota", "--json"),
    ("stats", "show", "--json"),
    ("auth", "status", "--json"),
    ("captions", "check", "{srt}", "--json"),
])
def test_json_output_is_identical_in_english_and_french(isolated, tmp_path, args):
    srt = tmp_path / "capsule.fr.srt"
    srt.write_text("1\n00:00:02,000 --> 00:00:01,000\nBonjour\n\n2\n00:00:03,000 --> "
                   "00:00:03,100\nUne ligne beaucoup trop longue pour être lue en si peu de "
                   "temps, vraiment\n", encoding="utf-8")
    args = tuple(a.format(srt=srt) for a in args)
    en = run(*args)
    fr = run(*args, lang="fr_FR.UTF-8")
    fr_flag = run("--lang-ui", "fr", *args)
    assert en.stdout == fr.stdout == fr_flag.stdout
    assert en.exit_code == fr.exit_code == fr_flag.exit_code
    json.loads(en.stdout)


def test_csv_export_is_identical(isolated):
    en = run("stats", "export", "--csv")
    assert en.stdout == run("stats", "export", "--csv", lang="fr_FR.UTF-8").stdout


# Arabic is prepared for -------------------------------------------------------------------------

def _arabic_catalog(folder: Path) -> Path:
    catalog = Catalog(locale="ar", domain="capsule")
    catalog.add("Usage:", "الاستعمال:")
    catalog.add(("{n} file", "{n} files"),
                ("لا ملفات", "ملف واحد", "ملفان", "{n} ملفات", "{n} ملفًا", "{n} ملف"))
    target = folder / "ar" / "LC_MESSAGES" / "capsule.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_mo(handle, catalog)
    return folder


def test_an_arabic_catalog_is_picked_up_with_its_six_plural_forms(tmp_path):
    folder = _arabic_catalog(tmp_path / "locale")
    assert i18n.available_languages(folder) == ["ar", "en"]
    try:
        assert i18n.activate("ar", folder) == "ar"
        forms = [i18n.ngettext("{n} file", "{n} files", n).format(n=n)
                 for n in (0, 1, 2, 5, 11, 100)]
        assert forms == ["لا ملفات", "ملف واحد", "ملفان", "5 ملفات", "11 ملفًا", "100 ملف"]
        assert i18n._("error") == "error"  # untranslated: the English stays
    finally:
        i18n.activate("en")


def test_lang_ui_accepts_any_installed_catalog(isolated, tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", _arabic_catalog(tmp_path / "locale"))
    result = run("--lang-ui", "ar", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("الاستعمال: capsule")
    assert run("--help", lang="ar_MA.UTF-8").stdout.startswith("الاستعمال:")
