"""`capsule stats schedule`: the printed cron line and systemd units, exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.errors import InvalidInput
from publish.stats.schedule import (
    collect_command,
    cron_entry,
    parse_every,
    systemd_units,
)


@pytest.mark.parametrize(("text", "cron", "calendar"), [
    ("15m", "*/15 * * * *", "*-*-* *:00/15:00"),
    ("1h", "7 * * * *", "*-*-* 00/1:07:00"),
    ("hourly", "7 * * * *", "*-*-* 00/1:07:00"),
    ("6h", "7 */6 * * *", "*-*-* 00/6:07:00"),
    ("1d", "7 6 * * *", "*-*-* 06:07:00"),
    ("daily", "7 6 * * *", "*-*-* 06:07:00"),
])
def test_intervals(text, cron, calendar):
    every = parse_every(text)
    assert (every.cron(), every.on_calendar()) == (cron, calendar)


@pytest.mark.parametrize("text", ["7m", "5h", "2d", "0m", "soon", "90m"])
def test_intervals_cron_cannot_express_are_refused(text):
    with pytest.raises(InvalidInput, match="--every"):
        parse_every(text)


def test_cron_entry_exact():
    command = collect_command("/opt/capsule venv/bin/capsule", ["--channel", "main"])
    assert command == "'/opt/capsule venv/bin/capsule' --channel main stats collect --json"
    assert cron_entry(parse_every("6h"), command, Path("/var/log/capsule%s.log")) == (
        "# capsule: collect view statistics every 6 hours (exit 7 busy, 8 nothing to do)\n"
        "7 */6 * * * '/opt/capsule venv/bin/capsule' --channel main stats collect --json "
        ">> /var/log/capsule\\%s.log 2>&1\n")


def test_systemd_units_exact():
    units = systemd_units(parse_every("1d"), "/usr/bin/capsule stats collect --json")
    assert list(units) == ["capsule-stats.service", "capsule-stats.timer"]
    assert "ExecStart=/usr/bin/capsule stats collect --json\n" in units["capsule-stats.service"]
    assert "SuccessExitStatus=7 8\n" in units["capsule-stats.service"]
    assert "Type=oneshot\n" in units["capsule-stats.service"]
    assert units["capsule-stats.timer"] == (
        "[Unit]\n"
        "Description=capsule: collect YouTube view statistics every day\n\n"
        "[Timer]\n"
        "OnCalendar=*-*-* 06:07:00\n"
        "Persistent=true\n"
        "RandomizedDelaySec=120\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n")


@pytest.fixture
def fake(isolated, monkeypatch):
    """No user settings (config none.toml, data in data/); argv[0] a capsule in bin/."""
    monkeypatch.setenv("CAPSULE_CONFIG", str(isolated / "none.toml"))
    path = isolated / "bin" / "capsule"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(path)])
    return path


def test_schedule_command(tmp_path, fake):
    runner = CliRunner()

    cron = runner.invoke(main, ["--channel", "default", "stats", "schedule", "--cron",
                                "--every", "12h"])
    assert cron.exit_code == 0, cron.output
    assert cron.stdout.splitlines()[1] == (
        f"7 */12 * * * {fake} --config {tmp_path / 'none.toml'} --channel default "
        f"--set data_dir={tmp_path / 'data'} stats collect --json >> "
        f"{tmp_path / 'data' / 'stats.log'} 2>&1")

    systemd = runner.invoke(main, ["stats", "schedule", "--systemd"])
    assert systemd.exit_code == 0
    assert (f"ExecStart={fake} --config {tmp_path / 'none.toml'} --set "
            f"data_dir={tmp_path / 'data'} stats collect --json\n") in systemd.stdout
    assert "OnCalendar=*-*-* 00/6:07:00\nPersistent=true\n" in systemd.stdout
    assert "# ~/.config/systemd/user/capsule-stats.timer\n" in systemd.stdout

    assert runner.invoke(main, ["stats", "schedule"]).exit_code == 2
    bad = runner.invoke(main, ["stats", "schedule", "--cron", "--every", "5h"])
    assert bad.exit_code == 3
    assert bad.stderr.count("\n") == 1 and "--every '5h'" in bad.stderr


def test_schedule_repeats_an_endpoint_flag_once(tmp_path, fake):

    cron = CliRunner().invoke(main, ["--endpoint", "http://127.0.0.1:9/", "stats", "schedule",
                                     "--cron"])
    assert cron.exit_code == 0, cron.output
    line = cron.stdout.splitlines()[1]
    assert " --endpoint http://127.0.0.1:9/ " in line
    assert "endpoint=" not in line  # not repeated a second time as --set endpoint=…
