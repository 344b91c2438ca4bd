"""`capsule preview` end to end: real subtitle files, a real clip, PNGs on disk, exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from captions.video import extract_frame
from publish.cli import main
from publish.cli.exitcodes import ExitCode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

FR = ("1\n00:00:00,200 --> 00:00:00,900\nBonjour à tous\n\n"
      "2\n00:00:01,000 --> 00:00:01,800\n{\\an8}<i>Vous êtes</i> en danger ?\n")
AR = "1\n00:00:00,300 --> 00:00:01,500\nONUDC: تقرير سنة 2024 عن الاتجار بالبشر.\n"


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp("preview-cli")
    (d / "capsule.fr.srt").write_text(FR, encoding="utf-8")
    (d / "capsule.ar.srt").write_text(AR, encoding="utf-8")
    return {"video": media.make_clip(d / "capsule.mp4", seconds=2, audio=None),
            "fr": d / "capsule.fr.srt", "ar": d / "capsule.ar.srt"}


@pytest.fixture
def out(isolated) -> Path:
    return isolated


def run(*args):
    return CliRunner().invoke(main, ["preview", *map(str, args)])


def test_frame_at_a_time_has_the_video_size_and_the_cue(assets, out):
    png = out / "frame.png"
    result = run(assets["video"], "--subs", assets["fr"], "--subs", assets["ar"],
                 "--at", "00:00:00,500", "-o", png, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {"output": str(png), "width": 320, "height": 180, "t_ms": 500,
                    "cues_shown": 2}
    got = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    raw = np.asarray(extract_frame(assets["video"], 500), dtype=np.int16)
    assert got.shape == raw.shape
    bottom = slice(110, 171)  # the safe area's lower part, where both cues sit
    assert np.abs(got[bottom] - raw[bottom]).sum() > 0
    assert np.array_equal(got[:9], raw[:9])  # nothing drawn above the safe area


def test_frame_of_a_cue_at_the_top(assets, out):
    png = out / "cue2.png"
    result = run(assets["video"], "--subs", assets["fr"], "--cue", "2", "-o", png)
    assert result.exit_code == 0, result.stderr
    assert "wrote the frame at 1.400 s with 1 cue(s)" in result.stderr
    got = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    raw = np.asarray(extract_frame(assets["video"], 1400), dtype=np.int16)
    assert np.abs(got[9:60] - raw[9:60]).sum() > 0  # {\an8}: drawn at the top
    assert np.array_equal(got[120:], raw[120:])


def test_contact_sheet_one_tile_per_cue(assets, out):
    png = out / "sheet.png"
    result = run(assets["video"], "--subs", assets["fr"], "--subs", assets["ar"],
                 "--sheet", "--columns", "2", "-o", png, "--json", "--style", "box")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["tiles"], data["cues"]) == (3, 3)
    assert Image.open(png).size == (data["width"], data["height"]) == (
        8 + 2 * (320 + 8), 8 + 2 * (180 + 28 + 8))


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "1", "--cue", "1"], "exactly one of --at TIME, --cue N or --sheet"),
    ([], "exactly one of --at TIME, --cue N or --sheet"),
    (["--at", "soon"], "'soon' is not seconds"),
])
def test_usage_errors(assets, out, args, message):
    result = run(assets["video"], "--subs", assets["fr"], *args, "-o", out / "x.png")
    assert result.exit_code == ExitCode.USAGE
    assert message in result.stderr
    assert not (out / "x.png").exists()


def test_invalid_input_is_one_line_and_writes_nothing(assets, out):
    result = run(assets["video"], "--subs", assets["fr"], "--cue", "7", "-o", out / "x.png")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.strip() == (
        f"capsule: error: there is no cue 7 in {assets['fr']}: it has cues 1 to 2")
    assert not (out / "x.png").exists()
    bad_style = run(assets["video"], "--subs", assets["fr"], "--at", "1", "--style",
                    "outline=0.01", "-o", out / "x.png")
    assert bad_style.exit_code == ExitCode.INVALID_INPUT
    assert bad_style.stderr == ("capsule: error: --style: outline=0.01 is too thin to read over "
                                "a bright frame: use at least 0.06 (fraction of the em)\n")
    assert run(assets["video"], "--subs", assets["fr"], "--at", "1", "--style", "shadow",
               "-o", out / "x.png").stderr == (
        "capsule: error: --style: style 'shadow' is unknown: use outline or box\n")
    assert not (out / "x.png").exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old.ar.srt", "1\n00:00:00,200 --> 00:00:01,000\nمرحبا\n".encode("cp1256"),
     "{path}:3: byte 0xE3 is not valid UTF-8; pass --encoding with the file's encoding "
     "(e.g. --encoding cp1256 for old Arabic files)"),
    ("tofu.fr.srt", "1\n00:00:00,200 --> 00:00:01,000\nCaractère 漢 inconnu\n",
     "{path}:2: cue 1: no bundled font can draw '漢' (U+6F22); remove it or add a font that "
     "has it to the style (font=PATH)"),
    ("long.fr.srt", f"1\n00:00:00,200 --> 00:00:01,000\nLe mot {'m' * 40}\n",
     f"{{path}}:2: cue 1: the word '{'m' * 40}' is wider than a line (215 px); shorten it or "
     "add a space where it may break (even at 80% of the normal size)"),
])
def test_caption_errors_are_one_line_naming_file_line_and_cue(assets, out, name, content,
                                                              message):
    path = out / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run(assets["video"], "--subs", path, "--at", "0.5", "-o", out / "x.png")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == f"capsule: error: {message.format(path=path)}\n"
    assert not (out / "x.png").exists()


def test_a_cue_left_out_by_the_reader_is_a_warning(assets, out):
    path = out / "garbled.fr.srt"
    path.write_text("1\n00:00:00,200 --> 00:00:00,900\nAvant\n\n"
                    "2\n00:00:19werwer,580 --> 00:00:21,000\nPerdu\n", encoding="utf-8")
    result = run(assets["video"], "--subs", path, "--at", "0.5", "-o", out / "x.png")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"capsule: warning: {path}:6: cue 2: unparsable timing line '00:00:19werwer,580 --> "
        "00:00:21,000' (expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it, this cue is left out "
        "until then (see capsule captions check)",
        f"wrote the frame at 0.500 s with 1 cue(s) to {out / 'x.png'}"]


def test_help_has_an_example():
    result = CliRunner().invoke(main, ["preview", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "--sheet" in result.stdout
