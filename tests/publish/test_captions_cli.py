"""`capsule captions check|normalize`: exact output lines, JSON, exit codes, real files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

CLEAN = "1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous\n"
FAULTY = ("1\n00:00:01,000 --> 00:00:01,500\nNon\n\n"
          "2\n00:00:19werwer,580 --> 00:00:21,000\nPerdu\n\n"
          "3\n00:00:22,000 --> 00:00:24,000\nMerci 🙏\n")


@pytest.fixture(autouse=True)
def env(isolated, monkeypatch):
    """No user settings leak in; files are written in a temp folder."""
    monkeypatch.chdir(isolated)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return media.make_clip(tmp_path_factory.mktemp("clip") / "two.mp4", seconds=2, audio=None)


def run(*args: str):
    return CliRunner().invoke(main, ["captions", *args])


def write(name: str, content: str | bytes) -> Path:
    path = Path(name)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_check_clean_file_exits_zero():
    write("ok.fr.srt", CLEAN)
    result = run("check", "ok.fr.srt")
    assert result.exit_code == 0
    assert result.stdout == "0 errors, 0 warnings in 1 file\n"


def test_check_reports_every_problem_and_exits_invalid_input():
    write("faulty.fr.srt", FAULTY)
    write("ok.fr.srt", CLEAN)
    result = run("check", "faulty.fr.srt", "ok.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines() == [
        "faulty.fr.srt:2: cue 1: warning: shown for 0.5 s, under 0.833 s: too short to read",
        "faulty.fr.srt:6: cue 2: error: unparsable timing line '00:00:19werwer,580 --> "
        "00:00:21,000' (expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it, this cue is left out "
        "until then",
        "faulty.fr.srt:10: cue 3: warning: emoji removed: 🙏 (not drawn; say it in words)",
        "1 error, 2 warnings in 2 files",
    ]


def test_check_json():
    write("faulty.fr.srt", FAULTY)
    result = run("check", "--json", "faulty.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    document = json.loads(result.stdout)
    assert (document["errors"], document["warnings"]) == (1, 2)
    assert document["files"][0]["language"] == "fr"
    assert document["files"][0]["findings"][1] == {
        "severity": "error", "code": "unparsable-timing", "path": "faulty.fr.srt", "line": 6,
        "cue": 2, "message": "unparsable timing line '00:00:19werwer,580 --> 00:00:21,000' "
                             "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it, this cue is "
                             "left out until then"}


def test_check_encoding_error_then_encoding_flag():
    write("old.ar.srt", "1\n00:00:01,000 --> 00:00:03,000\nمرحبا\n".encode("cp1256"))
    result = run("check", "old.ar.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines()[0] == (
        "old.ar.srt:3: error: byte 0xE3 is not valid UTF-8; pass --encoding with the file's "
        "encoding (e.g. --encoding cp1256 for old Arabic files)")
    assert run("check", "--encoding", "cp1256", "old.ar.srt").exit_code == 0


def test_check_language_from_flag_or_refused():
    write("capsule.srt", CLEAN)
    result = run("check", "capsule.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines()[0] == (
        "capsule.srt: error: cannot tell the language from the file name or the text; pass "
        "--lang fr, ar, zgh or en (or name the file like capsule.fr.srt)")
    assert run("check", "--lang", "fr", "capsule.srt").exit_code == 0


def test_check_max_cps():
    write("fast.fr.srt", "1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous et à toutes\n")
    assert run("check", "fast.fr.srt").exit_code == 0
    result = run("check", "--max-cps", "10", "fast.fr.srt")
    assert result.stdout.splitlines()[0] == (
        "fast.fr.srt:2: cue 1: warning: reading speed 13.0 characters/s is above 10 for fr: "
        "shorten the text or show it longer")


def test_check_against_a_real_video(clip):
    write("late.fr.srt", "1\n00:00:01,000 --> 00:00:03,000\nTardif\n\n"
                         "2\n00:00:02,500 --> 00:00:03,500\nTrop tard\n")
    result = run("check", "--video", str(clip), "late.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines() == [
        "late.fr.srt:2: cue 1: warning: ends at 00:00:03,000, after the video ends "
        "(00:00:02,000); it will be cut there",
        "late.fr.srt:6: cue 2: error: starts at 00:00:02,500, after the video ends "
        "(00:00:02,000): it would never be shown",
        "1 error, 1 warning in 1 file",
    ]


def test_check_missing_file_is_a_usage_error():
    result = run("check", "absent.srt")
    assert result.exit_code == ExitCode.USAGE
    assert "absent.srt" in result.stderr


def test_normalize_writes_clean_srt():
    write("in.fr.srt", "1\r\n00:00:01,000 --> 00:00:03,000\r\n<u>Vous êtes en danger ?</u>\r\n")
    result = run("normalize", "in.fr.srt", "-o", "out.srt")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "wrote out.srt (1 cue)\n"
    assert Path("out.srt").read_bytes() == (
        "1\n00:00:01,000 --> 00:00:03,000\nVous êtes en danger\u202f?\n".encode())


def test_normalize_to_stdout():
    write("in.fr.srt", CLEAN)
    result = run("normalize", "in.fr.srt", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout == "1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous\n"


def test_normalize_refuses_to_overwrite_without_force():
    write("in.fr.srt", CLEAN)
    write("out.srt", "keep me")
    result = run("normalize", "in.fr.srt", "-o", "out.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == "capsule: error: out.srt already exists; pass --force to overwrite it\n"
    assert Path("out.srt").read_text() == "keep me"
    assert run("normalize", "in.fr.srt", "-o", "out.srt", "--force").exit_code == 0
    assert Path("out.srt").read_text(encoding="utf-8").endswith("Bonjour à tous\n")


def test_normalize_error_is_one_line_and_writes_nothing():
    write("in.fr.srt", FAULTY)
    result = run("normalize", "in.fr.srt", "-o", "out.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (
        "capsule: error: in.fr.srt:6: cue 2: unparsable timing line '00:00:19werwer,580 --> "
        "00:00:21,000' (expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it before normalizing\n")
    assert not Path("out.srt").exists()


def test_normalize_with_lang_and_encoding():
    write("old.srt", "1\n00:00:01,000 --> 00:00:03,000\n<i>مرحبا</i>\n".encode("cp1256"))
    result = run("normalize", "old.srt", "--lang", "ar", "--encoding", "cp1256", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout == "1\n00:00:01,000 --> 00:00:03,000\nمرحبا\n"


# --- one-line errors: file, line or cue, and what to do ----------------------------------------

CP1256 = "1\n00:00:01,000 --> 00:00:03,000\nمرحبا\n".encode("cp1256")
UTF8_HINT = ("byte 0xE3 is not valid UTF-8; pass --encoding with the file's encoding "
             "(e.g. --encoding cp1256 for old Arabic files)")


def test_undecodable_file_without_encoding_through_normalize():
    write("old.ar.srt", CP1256)
    result = run("normalize", "old.ar.srt", "-o", "-")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout == ""
    assert result.stderr == f"capsule: error: old.ar.srt:3: {UTF8_HINT}\n"


def test_uncovered_character_through_check():
    write("tofu.fr.srt", "1\n00:00:01,000 --> 00:00:03,000\nCaractère 漢 inconnu\n")
    result = run("check", "tofu.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines() == [
        "tofu.fr.srt:2: cue 1: error: no bundled font can draw '漢' (U+6F22); remove it or add a "
        "font that has it to the style (font=PATH)",
        "1 error, 0 warnings in 1 file"]


def test_word_too_long_at_the_floor_size_through_check_with_a_video(clip):
    write("long.fr.srt", f"1\n00:00:00,200 --> 00:00:01,800\nLe mot {'m' * 40}\n")
    assert run("check", "long.fr.srt").exit_code == 0  # without a frame size: only warnings
    result = run("check", "--video", str(clip), "long.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout.splitlines()[0] == (
        f"long.fr.srt:2: cue 1: error: the word '{'m' * 40}' is wider than a line (215 px); "
        "shorten it or add a space where it may break (even at 80% of the normal size)")


def test_bad_style_names_the_flag_or_the_settings_line(tmp_path, monkeypatch):
    write("ok.fr.srt", CLEAN)
    result = run("check", "--style", "box,box_opacity=0.2", "ok.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == ("capsule: error: --style: box_opacity=0.2 must be from 0.6 to 1 so "
                             "text stays readable\n")
    (tmp_path / "config.toml").write_text('crf = 20\nsubtitle_style = "box,padding=3"\n',
                                          encoding="utf-8")
    result = run("check", "ok.fr.srt")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {tmp_path / 'config.toml'}:2: subtitle_style: "
                             "padding=3 must be from 0 to 2 (em)\n")
    monkeypatch.setenv("CAPSULE_SUBTITLE_STYLE", "outline,floor=9")
    result = run("check", "ok.fr.srt")
    assert result.stderr == ("capsule: error: CAPSULE_SUBTITLE_STYLE: floor=9 must be from 0.3 "
                             "to 1 (fraction of the size)\n")


@pytest.mark.skipif(not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists(),
                    reason="DejaVu Sans is not installed")
def test_check_counts_the_style_font_for_coverage():
    write("infini.fr.srt", "1\n00:00:01,000 --> 00:00:03,000\nPour toujours ∞\n")
    assert run("check", "infini.fr.srt").exit_code == ExitCode.INVALID_INPUT
    result = run("check", "--style",
                 "outline,font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "infini.fr.srt")
    assert result.exit_code == 0, result.stdout
