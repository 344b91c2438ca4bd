"""Metadata model: every rule of the validation checklist, all violations at once, exact body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from publish.youtube.metadata import (
    MetadataInvalid,
    VideoMetadata,
    category_id,
    load_metadata,
    parse_moment,
    tags_length,
)

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

BASE = {"title": "Le cœur bleu", "made_for_kids": False, "synthetic_media": False}


def violations(**fields) -> list[str]:
    return VideoMetadata.from_mapping({**BASE, **fields}).validate(now=NOW)


def test_minimal_valid_metadata_has_no_violation():
    assert violations() == []


# One case per rule: (fields, the exact violation line expected).
RULES = [
    ({"title": "   "}, "title: must not be empty"),
    ({"title": "x" * 101}, "title: 101 characters, at most 100 allowed"),
    ({"title": "a <b> c"}, "title: must not contain '<' or '>'"),
    ({"description": "é" * 2501},
     "description: 5002 bytes in UTF-8, at most 5000 allowed (Arabic and Tifinagh letters take "
     "2-3 bytes each)"),
    ({"description": "1 > 0"}, "description: must not contain '<' or '>'"),
    ({"tags": ["ok", " "]}, "tags: tag 2 is empty"),
    ({"tags": ["a,b"]}, "tags: tag 1 ('a,b') must not contain a comma (give tags as a list)"),
    ({"tags": ["<x>"]}, "tags: tag 1 ('<x>') must not contain '<' or '>'"),
    ({"tags": ["ab cd"] * 63},
     "tags: 503 characters counted as YouTube does (commas, and quotes around tags with "
     "spaces), at most 500 allowed"),
    ({"category": "Short Movies"},
     "category: 'Short Movies' is not an assignable category"),
    ({"privacy": "secret"}, "privacy: 'secret' must be one of public, unlisted, private"),
    ({"privacy": "public", "publish_at": "2026-12-01T10:00:00+01:00"},
     "publish_at: a scheduled video must be uploaded with privacy 'private' (YouTube makes it "
     "public at that time)"),
    ({"publish_at": "2026-11-01T10:00:00Z"},
     "publish_at: 2026-11-01T10:00:00Z is not in the future"),
    ({"publish_at": "tomorrow"},
     "publish_at: 'tomorrow' is not an RFC 3339 date-time (e.g. 2026-12-01T18:00:00+01:00)"),
    ({"made_for_kids": None},
     "made_for_kids: must be stated explicitly (true or false): YouTube requires the audience "
     "declaration"),
    ({"synthetic_media": None},
     "synthetic_media: must be stated explicitly (true or false): say whether the video "
     "contains realistic altered or synthetic content"),
    ({"made_for_kids": "maybe"}, "made_for_kids: must be true or false, got 'maybe'"),
    ({"license": "cc"}, "license: 'cc' must be one of youtube, creativeCommon"),
    ({"embeddable": 3}, "embeddable: must be true or false, got 3"),
    ({"default_language": "nb"},
     "default_language: 'nb' is not a YouTube language code (YouTube rejects 'nb'; use 'no')"),
    ({"default_audio_language": "fr_FR"},
     "default_audio_language: 'fr_FR' is not a YouTube language code (write 'fr-FR' with a "
     "hyphen)"),
    ({"localizations": {"ar": {"title": "القلب الأزرق"}}},
     "default_language: required when localizations are given (the language of the main title "
     "and description)"),
    ({"default_language": "fr", "localizations": {"xx": {"title": "t"}}},
     "localizations.xx: 'xx' is not a YouTube language code"),
    ({"default_language": "fr", "localizations": {"ar": {"title": "<>"}}},
     "localizations.ar.title: must not contain '<' or '>'"),
    ({"default_language": "fr", "localizations": {"zgh": {"description": "ⵜ" * 1700}}},
     "localizations.zgh.title: must not be empty"),
    ({"recording_date": "last week"},
     "recording_date: 'last week' is not an RFC 3339 date-time (e.g. 2026-12-01T18:00:00+01:00)"),
    ({"colour": "blue"}, "colour: unknown field"),
]


@pytest.mark.parametrize(("fields", "expected"), RULES, ids=[r[1].split(":")[0] + str(i)
                                                              for i, r in enumerate(RULES)])
def test_each_rule_names_its_field(fields, expected):
    found = violations(**fields)
    assert any(v.startswith(expected) for v in found), found


def test_all_violations_reported_at_once_in_one_line():
    meta = VideoMetadata.from_mapping({
        "title": "", "description": "<b>", "privacy": "public",
        "publish_at": "2027-01-01T00:00:00Z", "localizations": {"ar": {"title": "x" * 101}},
    })
    with pytest.raises(MetadataInvalid) as err:
        meta.check(now=NOW, source="meta.toml")
    fields = [v.split(":")[0] for v in err.value.violations]
    assert fields == ["title", "description", "publish_at", "made_for_kids", "synthetic_media",
                      "default_language", "localizations.ar.title"]
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("meta.toml: 7 metadata problems: title: must not be empty; ")


def test_localized_description_limit_counts_bytes_of_tifinagh():
    found = violations(default_language="fr",
                       localizations={"zgh": {"title": "ⴰⵙⵍⵖⵓ", "description": "ⵜ" * 1700}})
    assert found == ["localizations.zgh.description: 5100 bytes in UTF-8, at most 5000 allowed "
                     "(Arabic and Tifinagh letters take 2-3 bytes each)"]


def test_tags_length_counts_commas_and_quotes():
    assert tags_length(["Foo Baz"]) == 9
    assert tags_length(["a", "bc", "d e"]) == 1 + 2 + 5 + 2
    assert violations(tags=["x" * 500]) == []
    assert violations(tags=["x" * 499, "y"]) != []


def test_category_by_name_or_id():
    assert category_id("Nonprofits & Activism") == "29"
    assert category_id("nonprofits and activism") == "29"
    assert category_id(27) == "27"
    assert category_id("Short Movies") is None
    assert VideoMetadata.from_mapping({**BASE, "category": "Education"}).category == "27"


def test_publish_at_without_offset_is_casablanca_time():
    moment = parse_moment("2026-12-01T10:00:00")
    assert moment.utcoffset() == timedelta(hours=1)  # Morocco: UTC+1 outside Ramadan
    meta = VideoMetadata.from_mapping({**BASE, "publish_at": "2026-12-01T10:00:00"})
    assert meta.to_resource()["status"]["publishAt"] == "2026-12-01T09:00:00Z"


def test_resource_is_exactly_what_youtube_wants():
    meta = VideoMetadata.from_mapping({
        **BASE, "description": "Campagne", "tags": ["traite", "Cœur bleu"], "category": 29,
        "privacy": "private", "publish_at": "2026-12-01T10:00:00+01:00", "license": "youtube",
        "embeddable": False, "public_stats_viewable": True, "default_language": "fr",
        "default_audio_language": "ar", "recording_date": "2026-11-20",
        "localizations": {"ar": {"title": "القلب الأزرق", "description": "حملة"},
                          "zgh": {"title": "ⵓⵍ ⴰⵣⵔⵡⴰⵍ"}},
        "notify_subscribers": False,
    })
    assert meta.validate(now=NOW) == []
    assert meta.parts() == ["snippet", "status", "localizations", "recordingDetails"]
    assert meta.to_resource() == {
        "snippet": {"title": "Le cœur bleu", "description": "Campagne", "categoryId": "29",
                    "tags": ["traite", "Cœur bleu"], "defaultLanguage": "fr",
                    "defaultAudioLanguage": "ar"},
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False,
                   "license": "youtube", "embeddable": False, "publicStatsViewable": True,
                   "containsSyntheticMedia": False, "publishAt": "2026-12-01T09:00:00Z"},
        "localizations": {"ar": {"title": "القلب الأزرق", "description": "حملة"},
                          "zgh": {"title": "ⵓⵍ ⴰⵣⵔⵡⴰⵍ", "description": ""}},
        "recordingDetails": {"recordingDate": "2026-11-19T23:00:00Z"},
    }


def test_publish_at_never_sent_without_private():
    meta = VideoMetadata.from_mapping({**BASE, "privacy": "public",
                                       "publish_at": "2027-01-01T00:00:00Z"})
    assert "publishAt" not in meta.to_resource()["status"]


def test_toml_and_json_files_with_flag_overrides(tmp_path):
    toml = tmp_path / "meta.toml"
    toml.write_text(
        'title = "Le cœur bleu"\nmade_for_kids = false\nsynthetic_media = false\n'
        'category = "Education"\npublish_at = 2026-12-01T10:00:00+01:00\n'
        'default_language = "fr"\n[localizations.ar]\ntitle = "القلب الأزرق"\n',
        encoding="utf-8")
    meta = load_metadata(toml, {"tags": ["a"], "localizations": {"ar": {"description": "d"}}},
                         now=NOW)
    assert meta.category == "27" and meta.tags == ["a"]
    assert meta.localizations["ar"].title == "القلب الأزرق"
    assert meta.localizations["ar"].description == "d"
    assert meta.publish_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    js = tmp_path / "meta.json"
    js.write_text(json.dumps({**BASE, "privacy": "unlisted"}), encoding="utf-8")
    assert load_metadata(js, now=NOW).privacy == "unlisted"


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "meta.json"
    bad.write_text('{"title": ', encoding="utf-8")
    with pytest.raises(Exception, match=r"meta.json:1: invalid JSON"):
        load_metadata(bad)
    missing = tmp_path / "none.toml"
    with pytest.raises(Exception, match=r"none.toml: cannot read the metadata file"):
        load_metadata(missing)
    flagged = tmp_path / "m.toml"
    flagged.write_text('title = ""\n', encoding="utf-8")
    with pytest.raises(MetadataInvalid, match=r"^.*m\.toml: 3 metadata problems: title: "):
        load_metadata(flagged)


@pytest.mark.parametrize("value, problem", [
    ('localizations = ["ar"]', "localizations: must be a table: language = {title, description}"),
    ('localizations = {ar = "x"}', "localizations.ar: must be a table with title and description"),
])
def test_flags_over_a_malformed_file_localization_report_the_file_field(tmp_path, value, problem):
    path = tmp_path / "meta.toml"
    path.write_text('title = "t"\nmade_for_kids = false\nsynthetic_media = false\n'
                    f'default_language = "fr"\n{value}\n', encoding="utf-8")
    with pytest.raises(MetadataInvalid) as err:
        load_metadata(path, {"localizations": {"ar": {"title": "عنوان"}}}, now=NOW)
    assert str(err.value) == f"{path}: {problem}"


def test_titles_and_descriptions_get_direction_marks_counted_in_their_limits():
    from publish.youtube.metadata import VideoMetadata

    meta = VideoMetadata.from_mapping({
        "title": "الرقم الأخضر 0800 00 88 00", "description": "اتصلوا: 0800 00 88 00 #BlueHeart",
        "made_for_kids": False, "synthetic_media": False})
    assert meta.validate() == []
    snippet = meta.to_resource()["snippet"]
    assert snippet["title"] == "الرقم الأخضر \u200e0800 00 88 00\u200e"
    assert "\u200e#BlueHeart\u200e" in snippet["description"]
    long = VideoMetadata.from_mapping({"title": "ا" * 85 + " 0800 00 88 00",
                                       "made_for_kids": False, "synthetic_media": False})
    assert long.validate() == [
        "title: 101 characters (with 2 direction marks keeping its numbers in order), at most "
        "100 allowed"]
