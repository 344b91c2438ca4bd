"""`capsule burn` end to end: real subtitle files, real ffmpeg, exit codes, nothing half-written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from captions.video import probe
from publish.cli import main
from publish.cli.exitcodes import ExitCode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

FR = "1\n00:00:00,200 --> 00:00:01,400\nBonjour à tous\n"
AR = "1\n00:00:00,500 --> 00:00:01,900\nمرحبا بكم\n"
BAD = "1\n00:00:01,000 --> 00:00:00,500\nMauvais\n"


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp("burn-cli")
    (d / "capsule.fr.srt").write_text(FR, encoding="utf-8")
    (d / "capsule.ar.srt").write_text(AR, encoding="utf-8")
    (d / "bad.fr.srt").write_text(BAD, encoding="utf-8")
    fast = media.make_clip(d / "fast.mp4", seconds=2, faststart=True)
    return {
        "dir": d,
        "video": media.make_clip(d / "capsule.mp4", seconds=2),
        "fr": d / "capsule.fr.srt", "ar": d / "capsule.ar.srt", "bad": d / "bad.fr.srt",
        "torn": media.truncate(fast, d / "torn.mp4", 0.6),
        "audio_only": media.make_audio_only(d / "voice.m4a"),
    }


@pytest.fixture
def work(tmp_path, monkeypatch, assets):
    """An isolated environment (no user settings) and a folder holding a copy of the clip."""
    for name in list(os.environ):
        if name.startswith("CAPSULE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(assets["video"], folder / "capsule.mp4")
    return folder


def run(*args: str):
    return CliRunner().invoke(main, ["-s", "preset=ultrafast", "burn", *map(str, args)])


def test_burn_two_languages_json(work, assets):
    out = work / "out.mp4"
    result = run(work / "capsule.mp4", "--subs", assets["fr"], "--subs", assets["ar"],
                 "-o", out, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cues_burned"] == 2 and data["frames"] == 50 and data["duration_ms"] == 2000
    assert data["audio"] == "copy" and data["output_bytes"] == out.stat().st_size
    assert data["wall_s"] > 0
    assert probe(out).frames == 50
    assert media.audio_md5(out) == media.audio_md5(assets["video"])
    assert "burning" not in result.stderr  # no progress bar without a terminal


def test_summary_line_and_default_output(work, assets):
    result = run(work / "capsule.mp4", "--subs", assets["fr"])
    assert result.exit_code == 0, result.stderr
    out = work / "capsule.subtitled.mp4"
    assert out.exists()
    assert result.stderr.strip().splitlines()[-1].startswith(f"burned 1 cue into {out}: 50 frames")


def test_crf_from_settings_and_flag(work, assets, monkeypatch):
    monkeypatch.setenv("CAPSULE_CRF", "27")
    out = work / "a.mp4"
    assert run(work / "capsule.mp4", "--subs", assets["fr"], "-o", out).exit_code == 0
    assert b"crf=27.0" in out.read_bytes()  # x264 writes its settings into the stream
    out2 = work / "b.mp4"
    assert run(work / "capsule.mp4", "--subs", assets["fr"], "-o", out2,
               "--crf", "21").exit_code == 0
    assert b"crf=21.0" in out2.read_bytes()


def _bad_case(name: str, work: Path, assets) -> tuple[list, str]:
    video = work / "capsule.mp4"
    subs = ["--subs", assets["fr"]]
    if name == "missing video":
        return [work / "nope.mp4", *subs, "-o", work / "o.mp4"], "file not found"
    if name == "not a video":
        (work / "notes.mp4").write_text("hello")
        return [work / "notes.mp4", *subs, "-o", work / "o.mp4"], "not a video file"
    if name == "truncated":
        shutil.copy(assets["torn"], work / "torn.mp4")
        return [work / "torn.mp4", *subs, "-o", work / "o.mp4"], "truncated or corrupt"
    if name == "no video stream":
        shutil.copy(assets["audio_only"], work / "voice.m4a")
        return [work / "voice.m4a", *subs, "-o", work / "o.mp4"], "no video stream"
    if name == "subtitle error":
        return [video, "--subs", assets["bad"], "-o", work / "o.mp4"], "before it starts"
    if name == "missing subtitle file":
        return [video, "--subs", work / "nope.srt", "-o", work / "o.mp4"], "nope.srt"
    if name == "unwritable folder":
        locked = work / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        folder = Path("/sys") if os.geteuid() == 0 else locked  # root ignores modes
        return [video, *subs, "-o", folder / "o.mp4"], "cannot write in folder"
    if name == "output is input":
        return [video, *subs, "-o", video, "--force"], "is the input video"
    if name == "existing output":
        (work / "o.mp4").write_bytes(b"keep")
        return [video, *subs, "-o", work / "o.mp4"], "already exists: use --force"
    raise AssertionError(name)


@pytest.mark.parametrize("name", [
    "missing video", "not a video", "truncated", "no video stream", "subtitle error",
    "missing subtitle file", "unwritable folder", "output is input", "existing output",
])
def test_bad_input_one_line_invalid_input_nothing_written(work, assets, name):
    args, expected = _bad_case(name, work, assets)
    before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    result = run(*args)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("capsule: error: "), result.stderr
    assert expected in lines[0]
    after = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    assert after == before
    (work / "locked").exists() and (work / "locked").chmod(0o700)


def test_force_replaces_existing_output(work, assets):
    out = work / "o.mp4"
    out.write_bytes(b"old")
    result = run(work / "capsule.mp4", "--subs", assets["fr"], "-o", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert probe(out).frames == 50


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_exits_130_and_leaves_no_file(tmp_path, assets, sig):
    """A real process, a real Ctrl-C (SIGINT) or kill (SIGTERM) while ffmpeg is encoding."""
    video = media.make_clip(tmp_path / "long.mp4", seconds=3, size=(640, 360))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPSULE_")}
    env["CAPSULE_CONFIG"] = str(tmp_path / "config.toml")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    capsule = Path(sys.executable).with_name("capsule")
    proc = subprocess.Popen([str(capsule), "burn", str(video), "--subs", str(assets["fr"]),
                             "--preset", "veryslow", "-o", str(out_dir / "o.mp4")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not any(".part-" in p.name for p in out_dir.iterdir()):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)  # let ffmpeg write some of it
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err.decode()
    assert err.decode().strip().splitlines()[-1] == "capsule: interrupted"
    assert list(out_dir.iterdir()) == []
    assert _processes_mentioning(out_dir) == []  # ffmpeg was stopped, not orphaned


def _processes_mentioning(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(folder).encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_a_bad_style_names_the_flag_or_the_settings_line(work, assets, tmp_path):
    out = work / "out.mp4"
    result = run(work / "capsule.mp4", "--subs", assets["fr"], "-o", out, "--style", "shadow")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == ("capsule: error: --style: style 'shadow' is unknown: "
                             "use outline or box\n")
    (tmp_path / "config.toml").write_text('subtitle_style = "box,padding=3"\n',
                                          encoding="utf-8")
    result = run(work / "capsule.mp4", "--subs", assets["fr"], "-o", out)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {tmp_path / 'config.toml'}:1: subtitle_style: "
                             "padding=3 must be from 0 to 2 (em)\n")
    assert not out.exists()
