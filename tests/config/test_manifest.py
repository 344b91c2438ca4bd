"""The capsule manifest: typed result, relative paths, errors naming file, line and key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.errors import ConfigError
from config.manifest import load_manifest, render_manifest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "capsule.toml"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"\0")
    (tmp_path / "subs").mkdir()
    for lang in ("fr", "ar"):
        (tmp_path / "subs" / f"{lang}.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nx\n")
    return tmp_path


BASE = """\
[video]
source = "clip.mp4"

[subtitles.fr]
file = "subs/fr.srt"

[subtitles.ar]
file = "subs/ar.srt"
encoding = "cp1256"

[burn]
languages = ["ar"]

[metadata]
title = "T"
"""


def manifest(folder: Path, text: str) -> Path:
    path = folder / "capsule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_manifest_loads():
    capsule = load_manifest(EXAMPLE)
    assert capsule.name == "Blue Heart 2027"
    assert capsule.video == EXAMPLE.parent / "blue-heart.mp4"
    assert list(capsule.subtitles) == ["fr", "ar", "zgh", "en"]
    assert capsule.burn == ["ar", "fr"]
    assert capsule.captions == ["fr", "ar", "zgh", "en"]
    assert capsule.caption_names["zgh"] == "ⵜⴰⵎⴰⵣⵉⵖⵜ"
    assert capsule.metadata["publish_at"] == datetime(2027, 7, 30, 10, 0,
                                                      tzinfo=ZoneInfo("Africa/Casablanca"))
    assert capsule.playlist.create is True
    assert capsule.thumbnail.at == "00:00:09"


def test_paths_are_relative_to_the_manifest(folder):
    capsule = load_manifest(manifest(folder, BASE))
    assert capsule.video == folder / "clip.mp4"
    assert capsule.subtitles["ar"].path == folder / "subs" / "ar.srt"
    assert capsule.subtitles["ar"].encoding == "cp1256"
    assert capsule.burn_output == folder / "build" / "clip.burned.mp4"
    assert capsule.captions == ["fr", "ar"]  # default: every subtitle language
    assert capsule.name == folder.name


@pytest.mark.parametrize(("text", "message"), [
    (BASE.replace('source = "clip.mp4"', 'source = "missing.mp4"'),
     "{p}:2: video.source: file not found: {f}/missing.mp4"),
    (BASE.replace('languages = ["ar"]', 'languages = ["de"]'),
     "{p}:12: burn.languages: 'de' has no [subtitles.de] table"),
    (BASE.replace('encoding = "cp1256"', 'encoding = "klingon"'),
     "{p}:9: subtitles.ar.encoding: unknown encoding 'klingon'"),
    (BASE + "\n[thumbnail]\nfile = 'a.png'\nat = '3'\n",
     "{p}:17: thumbnail: give either file = \"…\" or at = \"00:00:05\""),
    (BASE + "\n[playlst]\ntitle = 'x'\n",
     "{p}:17: playlst: unknown section (known: capsule, video, subtitles, burn, captions, "
     "metadata, thumbnail, playlist, schedule, variants)"),
    (BASE + "\n[schedule]\npublish_at = 'tomorrow'\n",
     "{p}:18: schedule.publish_at: expected a date and time such as 2026-07-30T10:00, "
     "got 'tomorrow'"),
    (BASE.replace("[burn]\n", "[burn]\ncolour = 'red'\n"),
     "{p}:12: burn.colour: unknown key (known: languages, style, output)"),
    (BASE.replace('languages = ["ar"]', 'languages = ["ar", "fr", "fr"]'),
     "{p}:12: burn.languages: a language is listed twice"),
])
def test_errors_name_file_line_and_key(folder, text, message):
    path = manifest(folder, text)
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    assert str(info.value) == message.format(p=path, f=folder)


def test_schedule_timezone_applies_to_naive_times(folder):
    path = manifest(folder, BASE + "\n[schedule]\npublish_at = 2027-07-30T10:00:00\n"
                    "timezone = 'Europe/Paris'\n")
    moment = load_manifest(path).metadata["publish_at"]
    assert moment.utcoffset().total_seconds() == 7200


def test_rendered_manifest_round_trips(folder):
    text = render_manifest(folder / "clip.mp4", [("fr", folder / "subs/fr.srt"),
                                                 ("ar", folder / "subs/ar.srt")],
                           base=folder, title="Clip", duration_s=12.0, size=(640, 360))
    capsule = load_manifest(manifest(folder, text))
    assert capsule.burn == ["ar", "fr"]
    assert capsule.metadata["made_for_kids"] is False
    assert "# 640x360, 12.0 s" in text


def test_missing_manifest(tmp_path):
    with pytest.raises(ConfigError, match=r"manifest not found \(create one with"):
        load_manifest(tmp_path / "capsule.toml")


def test_campaign_key(folder):
    capsule = load_manifest(manifest(folder, '[capsule]\nname = "traite"\ncampaign = "Traite '
                                             '2026"\n\n' + BASE))
    assert (capsule.name, capsule.campaign) == ("traite", "Traite 2026")
    assert load_manifest(manifest(folder, BASE)).campaign is None
    with pytest.raises(ConfigError, match=r"capsule\.campaign: expected a string"):
        load_manifest(manifest(folder, "[capsule]\ncampaign = 3\n\n" + BASE))


VARIANTS = BASE + """\
default_language = "fr"

[metadata.localizations.ar]
title = "عنوان"
description = "وصف"

[playlist]
title = "Campagne"

[variants.short]
start = "00:12"
end = 52.5
aspect = "9:16"
fit = "crop"
x = 0.3
burn = ["fr"]

[variants.short.metadata]
title = "T #Shorts"
playlist = "Shorts de la campagne"
publish_at = 2030-07-30T10:00:00

[variants.ar]
burn = ["ar"]

[variants.ar.metadata]
default_language = "ar"
captions = ["ar"]
"""


def test_variants_inherit_and_override(folder):
    capsule = load_manifest(manifest(folder, VARIANTS))
    short, ar = capsule.variants["short"], capsule.variants["ar"]
    assert [v.variant or "main" for v in capsule.videos()] == ["main", "short", "ar"]
    assert (short.shape.start, short.shape.end, short.shape.x) == ("00:12", 52.5, 0.3)
    assert short.key == f"{capsule.path}#short" and capsule.key == str(capsule.path)
    assert short.burn == ["fr"] and short.captions == ["fr", "ar"]
    assert short.metadata["title"] == "T #Shorts"
    assert short.metadata["publish_at"] == datetime(2030, 7, 30, 10, 0,
                                                    tzinfo=ZoneInfo("Africa/Casablanca"))
    assert (short.playlist.title, short.playlist.create) == ("Shorts de la campagne", True)
    assert short.burn_output == folder / "build" / "clip.short.mp4"
    # The Arabic version: Arabic title and description first, the French as a localization.
    assert (ar.metadata["title"], ar.metadata["description"]) == ("عنوان", "وصف")
    assert ar.metadata["localizations"] == {"fr": {"title": "T"}}
    assert ar.captions == ["ar"] and ar.playlist.title == "Campagne"
    assert capsule.renders and short.renders and ar.renders


@pytest.mark.parametrize(("change", "key", "message"), [
    ('fit = "crop"', "variants.short.zoom", "unknown key (known: start, end, aspect, fit, x, "
                                            "burn, metadata)"),
    ('burn = ["fr"]', "variants.short.burn", "'de' has no [subtitles.de] table"),
    ('x = 0.3', "variants.short.x", 'x is the focus of fit = "crop" only'),
    ('end = 52.5', "variants.short.end", 'expected a time such as "00:12" or 12.5 (seconds)'),
])
def test_variant_errors_name_the_line(folder, change, key, message):
    replacement = {'fit = "crop"': 'zoom = 2', 'burn = ["fr"]': 'burn = ["de"]',
                   'x = 0.3': 'x = 0.3\nfit = "blur"', 'end = 52.5': 'end = true'}[change]
    text = VARIANTS.replace(change, replacement)
    if change == "x = 0.3":
        text = text.replace('fit = "crop"\n', "")
    with pytest.raises(ConfigError) as caught:
        load_manifest(manifest(folder, text))
    line = text.splitlines().index(replacement.splitlines()[0]) + 1
    assert str(caught.value) == f"{folder / 'capsule.toml'}:{line}: {key}: {message}"


def test_variant_name_is_checked(folder):
    with pytest.raises(ConfigError, match=r"variants.Main: a variant's name is lowercase"):
        load_manifest(manifest(folder, VARIANTS.replace("[variants.ar]", "[variants.Main]")
                               .replace("[variants.ar.metadata]", "[variants.Main.metadata]")))
