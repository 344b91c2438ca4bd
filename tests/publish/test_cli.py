"""The command tree, the error boundary, exit codes, config commands and fast start (issue 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from config.errors import ConfigError
from publish import __version__, errors
from publish.cli import main
from publish.cli.clidoc import render_readme, walk
from publish.cli.errors import describe
from publish.cli.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(isolated):
    """An isolated environment: no user settings, data in a temp folder."""
    return isolated


def run(*args: str, **kwargs) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), **kwargs)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"capsule, version {__version__}\n"


def test_every_command_has_help_with_an_example():
    for path, ctx in walk(main):
        text = ctx.get_help()
        assert "Example:" in text, f"{path} --help shows no example"
        assert ctx.command.get_short_help_str(), f"{path} has no summary"


def test_readme_command_reference_is_in_sync():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(readme) == readme, "run: python -m publish.cli.clidoc --write"


def test_usage_error_exit_code(env):
    result = run("config", "show", "--nope")
    assert result.exit_code == ExitCode.USAGE
    assert "No such option '--nope'" in result.stderr


def test_config_show_origins_and_masked_secret(env):
    (env / "config.toml").write_text(
        "crf = 20\n[channels.main]\napi_key = 'AIzaSECRET123'\n", encoding="utf-8")
    result = run("--set", "preset=slow", "config", "show", "--json",
                 env={"CAPSULE_TIMEOUT": "30"})
    assert result.exit_code == 0, result.stderr
    rows = {r["key"]: r for r in json.loads(result.stdout)["settings"]}
    assert rows["crf"] == {"key": "crf", "value": "20",
                           "origin": f"file:{env / 'config.toml'}:1"}
    assert rows["timeout"]["origin"] == "env:CAPSULE_TIMEOUT"
    assert rows["preset"] == {"key": "preset", "value": "slow",
                              "origin": "flag:--set preset"}
    assert rows["channels.main.api_key"]["value"] == "******** (set)"
    assert "AIzaSECRET123" not in result.stdout + result.stderr


def test_config_show_human_table(env):
    result = run("--channel", "default", "config", "show")
    assert result.exit_code == 0
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("default_channel"))
    assert line.split() == ["default_channel", "default", "flag:--channel"]


def test_endpoint_flag_is_a_setting(env):
    result = run("--endpoint", "http://127.0.0.1:9/", "config", "show", "--json")
    rows = {r["key"]: r for r in json.loads(result.stdout)["settings"]}
    assert rows["endpoint"] == {"key": "endpoint", "value": "http://127.0.0.1:9",
                                "origin": "flag:--endpoint"}


def test_invalid_toml_is_one_line_exit_3(env):
    (env / "config.toml").write_text("crf = 18\ncrf x\n", encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == ExitCode.INVALID_INPUT
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"capsule: error: {env / 'config.toml'}:2: invalid TOML: ")
    assert "Traceback" not in result.stderr


def test_unknown_key_message(env):
    (env / "config.toml").write_text("crff = 20\n", encoding="utf-8")
    result = run("config", "show")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {env / 'config.toml'}:1: unknown key 'crff' "
                             "(did you mean 'crf'?)\n")


def test_traceback_flag_reraises(env):
    (env / "config.toml").write_text("crff = 20\n", encoding="utf-8")
    result = run("--traceback", "config", "show")
    assert isinstance(result.exception, ConfigError)


def test_config_init_writes_template_once(env):
    result = run("config", "init")
    assert result.exit_code == 0
    path = env / "config.toml"
    assert result.stdout == f"{path}\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert run("config", "show").exit_code == 0  # the template itself is valid
    before = path.read_text()
    again = run("config", "init")
    assert again.exit_code == ExitCode.INVALID_INPUT
    assert again.stderr == (f"capsule: error: {path}: already exists; edit it, "
                            "or move it away to start afresh\n")
    assert path.read_text() == before


def test_config_path(env):
    result = run("config", "path", "--json")
    paths = json.loads(result.stdout)
    assert paths["journal"] == str(env / "data" / "journal.sqlite")
    assert run("config", "path", "--config-file").stdout == f"{env / 'config.toml'}\n"


@pytest.mark.parametrize(("exc", "code", "label"), [
    (errors.InvalidInput("title: too long"), ExitCode.INVALID_INPUT, "error"),
    (errors.AuthRequired("run capsule auth login"), ExitCode.AUTH_REQUIRED, "error"),
    (errors.QuotaExhausted("quota spent"), ExitCode.QUOTA, "error"),
    (errors.TemporaryFailure("server down"), ExitCode.TEMPORARY, "error"),
    (errors.Busy("another run"), ExitCode.BUSY, "error"),
    (errors.NothingToDo("no videos"), ExitCode.NOTHING_TO_DO, "nothing to do"),
    (OSError(28, "No space left on device", "/x/out.mp4"), ExitCode.FAILURE, "error"),
    (RuntimeError("boom"), ExitCode.FAILURE,
     "unexpected error (RuntimeError; run with --traceback)"),
])
def test_error_boundary_maps_exceptions(env, exc, code, label):
    @click.command("explode")
    def explode() -> None:
        """Raise (test only).

        \b
        Example:
          capsule explode
        """
        raise exc

    main.add_command(explode)
    try:
        result = run("explode")
    finally:
        main.commands.pop("explode")
    assert result.exit_code == code
    assert result.stderr.startswith(f"capsule: {label}: ")
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_ctrl_c_exits_130(env):
    @click.command("interrupt")
    def interrupt() -> None:
        raise KeyboardInterrupt

    main.add_command(interrupt)
    try:
        result = run("interrupt")
    finally:
        main.commands.pop("interrupt")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr == "capsule: interrupted\n"


def test_disk_full_message():
    exc = OSError(28, "No space left on device", "/x/out.mp4")
    assert describe(exc) == ("disk full writing /x/out.mp4: free some space and run "
                                   "again (nothing was half-written)")


HEAVY = ("moviepy", "numpy", "PIL", "googleapiclient", "matplotlib")


@pytest.mark.parametrize("argv", [["--help"], ["config", "show"]])
def test_fast_start_imports_no_heavy_module(env, argv):
    code = (
        "import sys\n"
        "from publish.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "CAPSULE_CONFIG": str(env / "config.toml")})
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_console_script_runs():
    exe = Path(sys.executable).parent / "capsule"
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"capsule, version {__version__}"


def test_sandbox_rehearsals_keep_their_own_journal(env):
    from publish.cli.app import App

    with App(sandbox=True).journal() as journal:
        assert journal.path == env / "data" / "sandbox" / "journal.sqlite"
    with App().journal() as journal:
        assert journal.path == env / "data" / "journal.sqlite"
    with App(sandbox=True).journal(env / "j.sqlite") as journal:
        assert journal.path == env / "j.sqlite"
