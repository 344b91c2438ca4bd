"""`capsule sandbox serve|fault|clock|limits|status`: a real serving process, steered by the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode


@pytest.fixture
def env(isolated):
    """No user settings, data in a temp folder (for this process and the served one)."""
    return isolated


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def served(env):
    """`capsule sandbox serve` in its own process, on a free port, with the default state."""
    state = env / "data" / "sandbox"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from publish.cli import main; main()", "sandbox", "serve",
         "--port", "0", "--json", "--fault", "503,method=GET", "--limit", "daily_units=77"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        yield proc, json.loads(line), state
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_serve_announces_settings_and_files(served):
    proc, info, state = served
    assert info["url"].startswith("http://127.0.0.1:") and info["url"] == info["endpoint"]
    assert info["client_id"] == "capsule-sandbox.apps.googleusercontent.com"
    assert json.loads((state / "server.json").read_text()) == {"url": info["url"],
                                                               "pid": proc.pid}
    secrets = json.loads((state / "client_secrets.json").read_text())["installed"]
    assert secrets["token_uri"] == info["url"] + "token"
    assert secrets["auth_uri"] == info["url"] + "o/oauth2/auth"
    assert secrets["client_secret"] == info["client_secret"]

    status = run("sandbox", "status", "--json")
    assert status.exit_code == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["url"] == info["url"] and report["pid"] == proc.pid
    assert report["quota"]["default"]["limit"] == 77
    assert [f["status"] for f in report["faults"]] == [503]

    planned = run("sandbox", "fault", "--clear", "drop:10,path=/token", "stall:2,method=PUT")
    assert planned.exit_code == 0, planned.stderr
    assert planned.stdout.splitlines() == ["drop bytes=10 on ANY /token (x1)",
                                           "stall seconds=2.0 on PUT * (x1)"]
    cleared = run("sandbox", "fault", "--clear")
    assert cleared.stdout == "no faults planned\n"

    before = report["clock"]["now"]
    moved = run("sandbox", "clock", "--advance", "1d", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert json.loads(moved.stdout)["now"] > before
    limits = run("sandbox", "limits", "daily_units=5", "--json")
    assert json.loads(limits.stdout)["daily_units"] == 5

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert not (state / "server.json").exists()


def test_a_second_server_on_the_same_state_is_refused(served):
    _, info, _ = served
    result = run("sandbox", "serve", "--port", "0")
    assert result.exit_code == ExitCode.BUSY
    assert info["url"] in result.stderr


def test_bad_fault_spec_is_one_line(served):
    result = run("sandbox", "fault", "teapot")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.startswith("capsule: error: unknown fault kind 'teapot'")
    assert result.stderr.count("\n") == 1


def test_commands_without_a_running_sandbox_name_the_fix(env):
    result = run("sandbox", "status")
    assert result.exit_code == ExitCode.TEMPORARY
    assert result.stderr == (f"capsule: error: no sandbox is running with state "
                             f"{env / 'data' / 'sandbox'}; start one with "
                             "`capsule sandbox serve`\n")


def test_serve_refuses_a_non_loopback_address(env):
    result = run("sandbox", "serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "loopback only" in result.stderr


def test_serve_on_a_damaged_state_folder_is_one_line(env, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.json").write_text("{not json")
    result = run("sandbox", "serve", "--state", str(state), "--port", "0")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.startswith(f"capsule: error: {state / 'state.json'}: unreadable "
                                    "sandbox state")
    assert result.stderr.count("\n") == 1

    (state / "state.json").write_text("[]")
    result = run("sandbox", "serve", "--state", str(state), "--port", "0")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "not a sandbox state" in result.stderr


def test_serve_that_cannot_write_client_secrets_names_the_file(env, tmp_path):
    state = tmp_path / "state"
    (state / "client_secrets.json").mkdir(parents=True)  # in the way of the file
    result = run("sandbox", "serve", "--state", str(state), "--port", "0")
    assert result.exit_code == ExitCode.FAILURE
    assert "client_secrets.json" in result.stderr and "cannot listen" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (state / "server.json").exists()


def test_serve_default_port_is_the_sandbox_default():
    from publish.cli.commands.sandbox import DEFAULT_PORT as CLI_DEFAULT_PORT
    from publish.sandbox import DEFAULT_PORT

    assert CLI_DEFAULT_PORT == DEFAULT_PORT  # the command repeats it to keep --help light
