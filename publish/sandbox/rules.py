"""YouTube's server-side metadata rules and reference lists, as the sandbox enforces them.

Kept apart from `publish/metadata.py` on purpose: that module is capsule's own preflight; this
one plays YouTube. Two independent readings of youtube-api.md §7 let the tests catch a
preflight that lets through what the server would refuse.
"""

from __future__ import annotations

from typing import Any

from publish.sandbox.clock import parse_rfc3339
from publish.sandbox.errors import ApiError

# videoCategories.list regionCode=US (ids and titles as YouTube lists them; assignable flag).
CATEGORIES: dict[str, tuple[str, bool]] = {
    "1": ("Film & Animation", True), "2": ("Autos & Vehicles", True), "10": ("Music", True),
    "15": ("Pets & Animals", True), "17": ("Sports", True), "18": ("Short Movies", False),
    "19": ("Travel & Events", True), "20": ("Gaming", True), "21": ("Videoblogging", False),
    "22": ("People & Blogs", True), "23": ("Comedy", True), "24": ("Entertainment", True),
    "25": ("News & Politics", True), "26": ("Howto & Style", True), "27": ("Education", True),
    "28": ("Science & Technology", True), "29": ("Nonprofits & Activism", True),
    "30": ("Movies", False), "31": ("Anime/Animation", False), "32": ("Action/Adventure", False),
    "33": ("Classics", False), "34": ("Comedy", False), "35": ("Documentary", False),
    "36": ("Drama", False), "37": ("Family", False), "38": ("Foreign", False),
    "39": ("Horror", False), "40": ("Sci-Fi/Fantasy", False), "41": ("Thriller", False),
    "42": ("Shorts", False), "43": ("Shows", False), "44": ("Trailers", False),
}
# Regions where the sandbox knows the list; others answer with the US list (like a default).
REGIONS = ("US", "MA", "FR", "GB", "DZ", "TN", "BE", "CA", "ES", "DE")

# i18nLanguages.list (hl=en): a subset with the codes this project meets; `nb` is absent
# (YouTube rejects it), `no` is present.
LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bangla", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "en-GB": "English (United Kingdom)", "en-IN": "English (India)", "es": "Spanish",
    "es-419": "Spanish (Latin America)", "es-US": "Spanish (United States)",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fil": "Filipino",
    "fr": "French", "fr-CA": "French (Canada)", "gl": "Galician", "gu": "Gujarati",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "iw": "Hebrew", "ja": "Japanese", "ka": "Georgian",
    "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ky": "Kyrgyz",
    "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "my": "Burmese", "ne": "Nepali",
    "nl": "Dutch", "no": "Norwegian", "or": "Odia", "pa": "Punjabi", "pl": "Polish",
    "pt": "Portuguese (Brazil)", "pt-PT": "Portuguese (Portugal)", "ro": "Romanian",
    "ru": "Russian", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sr-Latn": "Serbian (Latin)", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "zh-CN": "Chinese",
    "zh-HK": "Chinese (Hong Kong)", "zh-TW": "Chinese (Taiwan)", "zu": "Zulu",
    "ber": "Berber", "kab": "Kabyle", "tzm": "Central Atlas Tamazight",
    "zgh": "Standard Moroccan Tamazight",
}

TITLE_MAX = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX = 500
CAPTION_NAME_MAX = 150


def _video_error(reason: str, message: str, location: str) -> ApiError:
    return ApiError(400, reason, message, domain="youtube.video", location=location,
                    location_type="other")


def check_video(body: dict[str, Any], parts: list[str], *, updating: bool,
                ever_public: bool = False) -> None:
    """Raise the 400 YouTube gives for the first broken rule of a Video body (§7)."""
    snippet = body.get("snippet") if "snippet" in parts else None
    status = body.get("status") if "status" in parts else None
    if snippet is not None:
        _check_snippet(snippet, updating=updating)
    elif updating and "snippet" in parts:
        raise _video_error("invalidTitle", "The request metadata specifies an invalid or empty "
                           "video title.", "body.snippet.title")
    if status is not None:
        _check_status(status, ever_public=ever_public)
    if "localizations" in parts and body.get("localizations"):
        default = (body.get("snippet") or {}).get("defaultLanguage")
        if not default:
            raise _video_error("defaultLanguageNotSet", "The request is trying to add "
                               "localized video details without specifying the default "
                               "language of the video details.", "body.snippet.defaultLanguage")
        for lang, texts in body["localizations"].items():
            if lang not in LANGUAGES:
                raise _video_error("invalidVideoMetadata", f"The request metadata is invalid: "
                                   f"unknown localization language '{lang}'.",
                                   f"body.localizations.{lang}")
            _check_title(texts.get("title", ""), f"body.localizations.{lang}.title")
            _check_description(texts.get("description", ""),
                               f"body.localizations.{lang}.description")
    if "recordingDetails" in parts and body.get("recordingDetails"):
        recorded = body["recordingDetails"].get("recordingDate")
        if recorded is not None and parse_rfc3339(str(recorded)) is None:
            raise _video_error("invalidRecordingDetails", "The metadata object contains "
                               "invalid recording details.",
                               "body.recordingDetails.recordingDate")


def _check_snippet(snippet: dict[str, Any], *, updating: bool) -> None:
    _check_title(snippet.get("title"), "body.snippet.title")
    _check_description(snippet.get("description", ""), "body.snippet.description")
    tags = snippet.get("tags") or []
    if not isinstance(tags, list) or any(
            not isinstance(t, str) or not t.strip() or set(t) & set("<>,") for t in tags) or (
            sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)
            > TAGS_MAX):
        raise _video_error("invalidTags", "The request metadata specifies invalid video "
                           "keywords.", "body.snippet.tags")
    category = snippet.get("categoryId")
    if (category is None and updating) or (
            category is not None and not CATEGORIES.get(str(category), ("", False))[1]):
        raise _video_error("invalidCategoryId", "The snippet.categoryId property specifies an "
                           "invalid category ID. Use the videoCategories.list method to "
                           "retrieve supported categories.", "body.snippet.categoryId")
    language = snippet.get("defaultLanguage")
    if language is not None and language not in LANGUAGES:
        raise _video_error("invalidVideoMetadata", f"The request metadata is invalid: unknown "
                           f"defaultLanguage '{language}'.", "body.snippet.defaultLanguage")


def _check_title(title: Any, location: str) -> None:
    if (not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX
            or set(title) & set("<>")):
        raise _video_error("invalidTitle", "The request metadata specifies an invalid or empty "
                           "video title.", location)


def _check_description(text: Any, location: str) -> None:
    if (not isinstance(text, str) or len(text.encode("utf-8")) > DESCRIPTION_MAX_BYTES
            or set(text) & set("<>")):
        raise _video_error("invalidDescription", "The request metadata specifies an invalid "
                           "video description.", location)


def _check_status(status: dict[str, Any], *, ever_public: bool) -> None:
    privacy = status.get("privacyStatus", "public")
    if privacy not in ("public", "unlisted", "private") or status.get("license", "youtube") \
            not in ("youtube", "creativeCommon") or any(
            key in status and not isinstance(status[key], bool)
            for key in ("embeddable", "publicStatsViewable", "selfDeclaredMadeForKids",
                        "containsSyntheticMedia")):
        raise _video_error("invalidVideoMetadata", "The request metadata is invalid.",
                           "body.status")
    publish_at = status.get("publishAt")
    if publish_at is not None:
        when = parse_rfc3339(str(publish_at))
        if when is None or privacy != "private" or ever_public:
            raise _video_error("invalidPublishAt", "The request metadata specifies an invalid "
                               "scheduled publishing time.", "body.status.publishAt")


def check_caption(snippet: dict[str, Any] | None, *, inserting: bool) -> None:
    """captions.insert/update snippet rules (§8, E4)."""
    if not isinstance(snippet, dict):
        raise ApiError(400, "required", "Required parameter: snippet", domain="youtube.caption",
                       location="snippet", location_type="body")
    if inserting:
        for key in ("videoId", "language"):
            if not snippet.get(key):
                raise ApiError(400, "required", f"Required parameter: snippet.{key}",
                               domain="youtube.caption", location=f"snippet.{key}",
                               location_type="body")
    name = snippet.get("name", "")
    if name is not None and len(str(name)) > CAPTION_NAME_MAX:
        raise ApiError(400, "nameTooLong", "The caption track name is too long.",
                       domain="youtube.caption", location="body.snippet.name",
                       location_type="other")
