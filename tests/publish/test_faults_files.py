"""Fault matrix rows 24 and 26 (reliability.md §6): a full disk or a crash while capsule writes a
file leaves the old file whole and no temp file behind.

Disk full is `RLIMIT_FSIZE` in a child process with SIGXFSZ ignored, so a write past the limit
fails with EFBIG like ENOSPC would (a plain write is left torn at the limit: the control case
proves the limit bites). A crash is SIGKILL inside the write, just before the fsync or the
rename. The child runs this very file: `python test_faults_files.py SCENARIO FOLDER`.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1024  # bytes: every new content below is larger, every old one smaller
OLD = '{"old": true}\n'
BIG = "x" * (16 * LIMIT)
TARGETS = {"write_text": "state.json", "write_bytes": "data.bin", "token": "default.json",
           "srt": "capsule.fr.srt", "thumbnail": "thumb.jpg"}


# --------------------------------------------------------------- the child's side
def _writers(folder: Path) -> dict:
    """Scenario name → writer of a new version (larger than LIMIT) of its file."""
    from click.testing import CliRunner
    from google.oauth2.credentials import Credentials

    from captions.normalize import write_srt
    from config.atomic import write_bytes, write_text
    from publish.cli import main
    from publish.youtube.auth import save_token
    from publish.youtube.thumbnail import frame_thumbnail

    token = Credentials(BIG, refresh_token="r", token_uri="http://127.0.0.1:9/token",
                        client_id="id", client_secret="secret")
    srt = "".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},900\nLigne {i} " + "é" * 300 + "\n\n"
                  for i in range(1, 9))

    def config_init() -> None:
        result = CliRunner().invoke(main, ["--config", str(folder / "config.toml"), "config",
                                           "init"])
        print(json.dumps({"cli": [result.exit_code, result.stderr]}))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception

    return {
        "write_text": lambda: write_text(folder / TARGETS["write_text"], BIG),
        "write_bytes": lambda: write_bytes(folder / TARGETS["write_bytes"], BIG.encode()),
        "token": lambda: save_token(token, folder / TARGETS["token"]),
        "srt": lambda: write_srt(folder / TARGETS["srt"], srt),
        "thumbnail": lambda: frame_thumbnail(Path(os.environ["CLIP"]), 500,
                                             folder / TARGETS["thumbnail"], title="Le cœur bleu"),
        "config": config_init,
    }


def _child(scenario: str, folder: Path, fault: str) -> None:
    write = _writers(folder)[scenario]
    if fault == "full":
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
        if scenario == "write_text":  # the control: a plain write is torn at the limit
            try:
                with open(folder / "plain.json", "w", encoding="utf-8") as fh:
                    fh.write(BIG)
            except OSError:
                pass
    else:  # "kill-fsync" or "kill-replace": SIGKILL between writing and renaming
        name = fault.removeprefix("kill-")

        def die(*_args, **_kw):
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(os, name, die)
    try:
        write()
    except OSError as exc:
        print(json.dumps({"errno": exc.errno, "message": str(exc)}))
        return
    print(json.dumps({"errno": None}))


# --------------------------------------------------------------- the test's side
def run_child(scenario: str, folder: Path, fault: str, **env: str):
    return subprocess.run([sys.executable, "-B", __file__, scenario, str(folder), fault],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def reports(done: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    import media

    return media.make_clip(tmp_path_factory.mktemp("faults-files") / "clip.mp4", seconds=1)


@pytest.mark.parametrize("scenario", list(TARGETS))
def test_row24_disk_full_keeps_the_old_file_and_no_temp(scenario, tmp_path, clip):
    target = tmp_path / TARGETS[scenario]
    target.write_text(OLD, encoding="utf-8")
    done = run_child(scenario, tmp_path, "full", CLIP=str(clip))
    assert done.returncode == 0, done.stderr
    (report,) = reports(done)
    assert report["errno"] in (errno.EFBIG, errno.ENOSPC), report
    assert target.read_text(encoding="utf-8") == OLD  # the old version, whole
    left = sorted(p.name for p in tmp_path.iterdir())
    if scenario == "write_text":
        assert (tmp_path / "plain.json").stat().st_size == LIMIT  # what a plain write does
        left.remove("plain.json")
    assert left == [target.name]  # no temp file left behind


def test_row24_disk_full_during_config_init_is_one_line_and_leaves_nothing(tmp_path):
    done = run_child("config", tmp_path, "full")
    assert done.returncode == 0, done.stderr
    cli = reports(done)[0]["cli"]
    assert cli[0] == 1
    assert cli[1].count("\n") == 1 and cli[1].startswith("capsule: error: ")
    assert "File too large" in cli[1] or "disk full" in cli[1]
    assert list(tmp_path.iterdir()) == []


def test_row24_disk_full_message_names_the_file(tmp_path):
    done = run_child("config", tmp_path, "full")
    cli = reports(done)[0]["cli"]
    assert str(tmp_path / "config.toml") in cli[1]


@pytest.mark.parametrize("point", ["fsync", "replace"])
@pytest.mark.parametrize("scenario", ["token", "write_text"])
def test_row26_crash_while_writing_leaves_the_old_file_valid(scenario, point, tmp_path):
    target = tmp_path / TARGETS[scenario]
    target.write_text(OLD, encoding="utf-8")
    done = run_child(scenario, tmp_path, f"kill-{point}")
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}
    # The killed run leaves its temp file (nothing runs after SIGKILL); it is hidden, beside
    # the target, and never read: the next write replaces the target all the same.
    (temp,) = [p.name for p in tmp_path.iterdir() if p != target]
    assert temp.startswith(f".{target.name}.")
    from config.atomic import write_text

    write_text(target, '{"new": true}\n')
    assert json.loads(target.read_text(encoding="utf-8")) == {"new": True}


def test_burn_disk_full_is_one_line_and_leaves_no_output(tmp_path, clip):
    """`capsule burn` under a file-size limit: ffmpeg fails mid-file; the error names the
    output; an existing output (--force) is untouched; no part file is left."""
    subs = tmp_path / "capsule.fr.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:00,950\nBonjour\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "burned.mp4"
    out.write_bytes(b"old output")
    script = ("import resource, signal, sys\n"
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (60000, 60000))\n"
              "from publish.cli import main\n"
              "main(sys.argv[1:], prog_name='capsule')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPSULE_")}
    env["CAPSULE_CONFIG"] = str(tmp_path / "config.toml")
    done = subprocess.run([sys.executable, "-B", "-c", script, "-s", "preset=ultrafast",
                           "-s", "crf=1", "burn", str(clip), "--subs", str(subs), "-o",
                           str(out), "--force"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"capsule: error: {out}: File too large\n"
    assert out.read_bytes() == b"old output"
    assert [p.name for p in out_dir.iterdir()] == ["burned.mp4"]


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
