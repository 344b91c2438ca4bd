"""`capsule review`: the proof page in a real Chromium, and the sign-off `publish` enforces
(issue 15)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import tests.publish.test_publish as base
from publish.cli import main
from publish.cli.exitcodes import ExitCode
from publish.review import TITLE_CUTS, fold_point, srt_to_vtt
from tests.browser import ACTIVE_CUES, wait
from tests.media import make_clip

LONG_TITLE = ("Cœur bleu : ensemble contre la traite des personnes, "
              "signalez tout soupçon au numéro vert")  # 88 characters, past both cuts


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=3.0)


@pytest.fixture
def env(sandbox, isolated, monkeypatch):
    """The CLI talks to the sandbox with a saved login (as in test_publish)."""
    from publish.youtube.auth import save_token

    for key, value in {"CAPSULE_ENDPOINT": sandbox.url, "CAPSULE_CHUNK_SIZE": "262144",
                       "CAPSULE_PRESET": "ultrafast", "CAPSULE_TIMEOUT": "5"}.items():
        monkeypatch.setenv(key, value)
    save_token(sandbox.credentials(), isolated / "data" / "tokens" / "default.json")


@pytest.fixture
def capsule(tmp_path, clip) -> Path:
    folder = tmp_path / "capsule"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    (folder / "fr.srt").write_text(base.SRT_FR, encoding="utf-8")
    (folder / "ar.srt").write_text(base.SRT_AR, encoding="utf-8")
    path = folder / "capsule.toml"
    text = base.MANIFEST.replace('title = "Cœur bleu"', f'title = "{LONG_TITLE}"')
    path.write_text(text.replace('languages = ["ar", "fr"]', 'languages = ["ar"]'),
                    encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def srt_text_at(srt: str, seconds: float) -> str | None:
    """The text of the subtitle file's cue showing at `seconds`."""
    for block in srt.strip().split("\n\n"):
        lines = block.split("\n")
        start, end = (sum(float(x) * 60 ** i for i, x in enumerate(reversed(
            t.strip().replace(",", ".").split(":")))) for t in lines[1].split("-->"))
        if start <= seconds < end:
            return "\n".join(lines[2:])
    return None


@pytest.fixture
def proof(env, capsule):
    out = capsule.parent / "proof"
    result = run("review", str(capsule), "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    return out, json.loads(result.stdout)


def test_proof_folder_is_self_contained(proof, capsule):
    out, report = proof
    assert report["proof"] == str(out / "index.html") and report["files"] == 10
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "index.html", "main/ar.vtt", "main/fr.vtt", "main/thumbnail-hqdefault.jpg",
        "main/thumbnail-list.jpg", "main/thumbnail-maxresdefault.jpg",
        "main/thumbnail-mqdefault.jpg", "main/thumbnail-source.jpg", "main/video.mp4",
        "review.json"]
    burned = capsule.parent / "build" / "burned.mp4"
    assert sha256(out / "main" / "video.mp4") == sha256(burned)  # the file YouTube receives
    sizes = {p.name: Image.open(p).size for p in (out / "main").glob("thumbnail-*.jpg")}
    assert sizes == {"thumbnail-maxresdefault.jpg": (1280, 720),
                     "thumbnail-hqdefault.jpg": (480, 360), "thumbnail-mqdefault.jpg": (320, 180),
                     "thumbnail-list.jpg": (168, 94), "thumbnail-source.jpg": (1280, 720)}
    hq = Image.open(out / "main" / "thumbnail-hqdefault.jpg").convert("L")
    assert hq.getpixel((240, 10)) < 16 and hq.getpixel((240, 350)) < 16  # letterboxed
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", page)  # nothing fetched
    assert "<script src" not in page and "<link" not in page
    assert (out / "main" / "fr.vtt").read_text(encoding="utf-8") == (
        "WEBVTT\n\n1\n00:00:00.200 --> 00:00:01.420\nEnsemble contre la traite\n\n"
        "2\n00:00:01.500 --> 00:00:02.800\nSignalez tout soupçon\n")
    assert "Quota cost: default: 1052 · uploads: 1 " in page
    assert "Tuesday 30 July 2030, 10:00 Africa/Casablanca (UTC+01:00)" in page
    assert "22 / 500 characters as YouTube counts them" in page
    assert not list(capsule.parent.glob(".proof*"))  # the temporary folder was renamed


def test_review_reuses_the_cached_burn_and_publish_reuses_the_review(env, proof, capsule):
    burned = capsule.parent / "build" / "burned.mp4"
    before = burned.stat().st_mtime_ns
    again = run("review", str(capsule), "-o", str(capsule.parent / "proof"))
    assert again.exit_code == 0, again.stderr
    assert "burning" not in again.stderr
    assert burned.stat().st_mtime_ns == before
    plan = json.loads(run("publish", str(capsule), "--dry-run", "--json").stdout)
    assert plan["steps"][0] == {"step": "burn", "state": "done", "cost": {},
                                "detail": f"ar into {burned}", "result": {}}


def test_proof_plays_seeks_and_lays_out_arabic_in_chromium(proof, browser):
    out, _ = proof
    browser.get((out / "index.html").as_uri())
    player = "#player-main"
    duration = wait(lambda: browser.execute_script(
        f"const v = document.querySelector('{player}'); return v.readyState >= 1 && "
        "v.duration;"), what="the burned H.264 video to load from disk")
    assert duration == pytest.approx(3.0, abs=0.1)
    wait(lambda: browser.execute_script(
        f"return Array.from(document.querySelector('{player}').textTracks)"
        ".every(t => t.cues && t.cues.length === 2)"), what="the inlined WebVTT tracks")
    for lang in ("ar", "fr"):
        for n in (1, 2):
            link = browser.find_element(
                "css selector", f".cue-list[lang='{lang}'] li:nth-child({n}) a.cue-link")
            start = float(link.get_attribute("data-start"))
            link.click()
            wait(lambda: browser.execute_script(
                f"const v = document.querySelector('{player}'); return !v.seeking;"))
            now = browser.execute_script(
                f"return document.querySelector('{player}').currentTime")
            assert now == start
            active = dict(browser.execute_script(ACTIVE_CUES, player))
            assert active == {"fr": [srt_text_at(base.SRT_FR, start)],
                              "ar": [srt_text_at(base.SRT_AR, start)]}, (lang, n)
    # A cue link shows its own track: the last one clicked was French.
    assert browser.execute_script(
        f"return Array.from(document.querySelector('{player}').textTracks)"
        ".map(t => [t.language, t.mode])") == [["fr", "showing"], ["ar", "hidden"]]

    arabic = browser.find_elements("css selector", "[lang='ar']")
    assert len(arabic) >= 8  # cue list, each cue's text, title, description, track button
    assert {e.get_attribute("dir") for e in arabic} == {"rtl"}
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector(\".meta[lang='ar'] .title\"))"
        ".direction") == "rtl"

    title = browser.find_element("css selector", ".meta[lang='fr'] .title")
    cuts = title.find_elements("css selector", ".cut")
    assert [(c.get_attribute("data-cut"), c.get_attribute("data-at")) for c in cuts] == [
        (label, str(at)) for label, at in TITLE_CUTS]
    for cut, (_, at) in zip(cuts, TITLE_CUTS, strict=True):
        before = browser.execute_script(
            "const r = document.createRange(); r.setStart(arguments[0], 0);"
            "r.setEndBefore(arguments[1]); return r.toString();", title, cut)
        assert before == LONG_TITLE[:at]
    # The short Arabic title reaches no cut point.
    assert browser.find_elements("css selector", ".meta[lang='ar'] .cut") == []


def test_description_fold():
    assert fold_point("a\nb\nc\nd") == len("a\nb\nc")
    assert fold_point("x" * 300) == 157
    assert fold_point("short") == 5


def test_srt_to_vtt_keeps_styles_webvtt_has():
    srt = ('1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>haut</i> <font color="#ff0000">rouge'
           "</font>\n")
    assert srt_to_vtt(srt) == ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000 line:0\n"
                               "<i>haut</i> rouge\n")


# ----------------------------------------------------------------------------------- sign-off
@pytest.fixture
def strict(env, isolated):
    """The default channel publishes only approved capsules."""
    (isolated / "config.toml").write_text("[channels.default]\nrequire_approval = true\n",
                                          encoding="utf-8")


def approval_line(capsule: Path, what: str) -> str:
    return (f"capsule: error: {capsule}: {what} changed since the approval by Nadia Benali on "
            r"\d{4}-\d\d-\d\d \d\d:\d\d \(Africa/Casablanca\); run `capsule review "
            f"{capsule} -o DIR`, look, then --approve NAME again")


def test_publish_refuses_what_was_not_approved_or_changed_since(strict, sandbox, capsule):
    unapproved = run("publish", str(capsule))
    assert unapproved.exit_code == ExitCode.INVALID_INPUT
    assert unapproved.stderr.splitlines()[-1] == (
        f"capsule: error: {capsule}: not approved, and channel 'default' requires an approval "
        f"(require_approval); run `capsule review {capsule} -o DIR`, look, then --approve NAME")

    out = capsule.parent / "proof"
    assert run("review", str(capsule), "-o", str(out)).exit_code == 0
    signed = run("review", str(capsule), "-o", str(out), "--approve", "Nadia  Benali")
    assert signed.exit_code == 0, signed.stderr
    assert re.fullmatch(rf"{re.escape(str(capsule))}: approved by Nadia Benali on "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d \(Africa/Casablanca\)\n", signed.stdout)
    status = run("status", str(capsule))
    assert re.search(r"^approved by Nadia Benali on .*; unchanged since$", status.stdout, re.M)
    assert run("publish", str(capsule), "--dry-run").exit_code == 0

    # A caption track (not burned) changes: only it is named.
    fr = capsule.parent / "fr.srt"
    fr.write_text(base.SRT_FR.replace("Signalez", "Dénoncez"), encoding="utf-8")
    refused = run("publish", str(capsule))
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert re.fullmatch(approval_line(capsule, "captions fr"), refused.stderr.splitlines()[-1])
    assert not [t for t in sandbox.traffic if t[1].startswith(("/upload", "/youtube"))]
    status = run("status", str(capsule))
    assert "; changed since: captions fr" in status.stdout

    # The old proof no longer shows the capsule: approving it is refused.
    stale = run("review", str(capsule), "-o", str(out), "--approve", "Nadia Benali")
    assert stale.exit_code == ExitCode.INVALID_INPUT
    assert stale.stderr.splitlines()[-1] == (
        f"capsule: error: {out}: captions fr changed since this proof was written; run "
        f"`capsule review {capsule} -o {out}` and look again before approving")

    # A burned subtitle and the title change: the picture and each part are named.
    fr.write_text(base.SRT_FR, encoding="utf-8")
    ar = capsule.parent / "ar.srt"
    ar.write_text(base.SRT_AR.replace("شبهة", "شبهة!"), encoding="utf-8")
    capsule.write_text(capsule.read_text(encoding="utf-8").replace("numéro vert", "112"),
                       encoding="utf-8")
    refused = run("publish", str(capsule), "--dry-run")
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert re.fullmatch(approval_line(capsule, "picture \\(subtitles.ar\\), captions ar, "
                                               "title fr"), refused.stderr.splitlines()[-1])

    assert run("review", str(capsule), "-o", str(out)).exit_code == 0
    assert run("review", str(capsule), "-o", str(out), "--approve", "Nadia Benali").exit_code == 0
    result = run("publish", str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    assert all(s["state"] == "done" for s in json.loads(result.stdout)["steps"])


def test_approval_is_kept_in_the_journal(env, proof, capsule, isolated):
    from publish.journal import Journal
    from publish.review import latest_approval

    out, _ = proof
    assert run("review", str(capsule), "-o", str(out), "--approve", "Nadia").exit_code == 0
    with Journal(isolated / "data" / "journal.sqlite") as journal:
        approval = latest_approval(journal, capsule.resolve())
    assert approval is not None and approval.approved_by == "Nadia"
    main_fp = approval.fingerprints["main"]
    assert main_fp["picture"] == sha256(capsule.parent / "build" / "burned.mp4")
    assert sorted(k for k in main_fp if k not in ("picture", "picture inputs")) == [
        "captions ar", "captions fr", "category", "description ar", "description fr",
        "other metadata", "privacy and schedule", "tags", "thumbnail", "title ar", "title fr"]
    proof_fp = json.loads((out / "review.json").read_text(encoding="utf-8"))["fingerprints"]
    assert proof_fp == approval.fingerprints
    empty = run("review", str(capsule), "--approve", "  ")
    assert empty.exit_code == ExitCode.INVALID_INPUT
    neither = run("review", str(capsule))
    assert neither.exit_code == ExitCode.USAGE
    # A folder that is not a proof is never replaced.
    keep = capsule.parent / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run("review", str(capsule), "-o", str(keep))
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert refused.stderr.splitlines()[-1] == (
        f"capsule: error: {keep}: exists and is not a proof folder (no review.json); give a "
        "new or empty folder, it is replaced whole")
    assert [p.name for p in keep.iterdir()] == ["notes.txt"]


def test_vertical_video_is_proofed_in_a_vertical_frame(env, tmp_path, browser):
    folder = tmp_path / "short"
    folder.mkdir()
    make_clip(folder / "clip.mp4", seconds=2.0, size=(180, 320))
    (folder / "fr.srt").write_text(base.SRT_FR, encoding="utf-8")
    (folder / "ar.srt").write_text(base.SRT_AR, encoding="utf-8")
    manifest = folder / "capsule.toml"
    manifest.write_text(base.MANIFEST.replace('languages = ["ar", "fr"]', "languages = []"),
                        encoding="utf-8")
    out = folder / "proof"
    result = run("review", str(manifest), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "burning" not in result.stderr  # nothing burned: the source is what goes out
    assert sha256(out / "main" / "video.mp4") == sha256(folder / "clip.mp4")
    browser.get((out / "index.html").as_uri())
    frame = browser.find_element("css selector", ".frame")
    assert "vertical" in frame.get_attribute("class").split()
    assert frame.size["height"] > 1.7 * frame.size["width"]
    size = wait(lambda: browser.execute_script(
        "const v = document.querySelector('video'); return v.videoWidth && "
        "[v.videoWidth, v.videoHeight];"), what="the vertical video to load")
    assert size == [180, 320]
