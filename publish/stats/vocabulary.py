"""The campaign report's own words and formats in en, fr and ar — every string it shows is here.

The report is a document handed to partners, in the language they read: its headings, labels,
numbers and dates follow `--lang`, whatever the interface language of the CLI (gettext, #18).
Numbers: en 12,345.6 · fr 12 345,6 (narrow no-break space) · ar 12.345,6 with Western digits
(as written in Morocco, CLDR ar-MA). Dates: 4 Dec 2026 · 4 déc. 2026 · 4 دجنبر 2026.
"""

from __future__ import annotations

from datetime import date

from config.i18n import _

LANGUAGES = ("en", "fr", "ar")

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Campaign report", "fr": "Rapport de campagne", "ar": "تقرير الحملة"},
    "all_videos": {"en": "All tracked videos", "fr": "Toutes les vidéos suivies",
                   "ar": "كل الفيديوهات المتابعة"},
    "period": {"en": "Period", "fr": "Période", "ar": "الفترة"},
    "previous": {"en": "previous period", "fr": "période précédente",
                 "ar": "الفترة السابقة"},
    "generated": {"en": "Generated", "fr": "Généré le", "ar": "أُنشئ في"},
    "last_collection": {"en": "last collection", "fr": "dernière collecte",
                        "ar": "آخر جمع للبيانات"},
    "summary": {"en": "Summary", "fr": "En bref", "ar": "ملخص"},
    "views": {"en": "Views", "fr": "Vues", "ar": "المشاهدات"},
    "lifetime_views": {"en": "Views since publication", "fr": "Vues depuis la publication",
                       "ar": "المشاهدات منذ النشر"},
    "period_views": {"en": "Views in the period", "fr": "Vues sur la période",
                     "ar": "المشاهدات خلال الفترة"},
    "watch_time": {"en": "Watch time (hours)", "fr": "Durée de visionnage (heures)",
                   "ar": "مدة المشاهدة (ساعات)"},
    "reach": {"en": "Reach by country", "fr": "Portée par pays", "ar": "الانتشار حسب البلد"},
    "best": {"en": "Best capsule", "fr": "Meilleure capsule", "ar": "أفضل كبسولة"},
    "completion": {"en": "Watched to the end", "fr": "Regardé jusqu’au bout",
                   "ar": "شوهد حتى النهاية"},
    "average_viewed": {"en": "Average share viewed", "fr": "Part moyenne regardée",
                       "ar": "متوسط الجزء المشاهد"},
    "subscribers": {"en": "Subscribers (net)", "fr": "Abonnés (solde)",
                    "ar": "المشتركون (الصافي)"},
    "shares": {"en": "Shares", "fr": "Partages", "ar": "المشاركات"},
    "likes": {"en": "Likes", "fr": "J’aime", "ar": "الإعجابات"},
    "capsules": {"en": "Capsules", "fr": "Capsules", "ar": "الكبسولات"},
    "capsule": {"en": "Capsule", "fr": "Capsule", "ar": "الكبسولة"},
    "versions": {"en": "Versions", "fr": "Versions", "ar": "النسخ"},
    "version": {"en": "Version", "fr": "Version", "ar": "النسخة"},
    "countries": {"en": "Countries", "fr": "Pays", "ar": "البلدان"},
    "country": {"en": "Country", "fr": "Pays", "ar": "البلد"},
    "traffic": {"en": "Traffic sources", "fr": "Sources de trafic", "ar": "مصادر الزيارات"},
    "source": {"en": "Source", "fr": "Source", "ar": "المصدر"},
    "devices": {"en": "Devices", "fr": "Appareils", "ar": "الأجهزة"},
    "device": {"en": "Device", "fr": "Appareil", "ar": "الجهاز"},
    "retention": {"en": "Audience retention", "fr": "Rétention de l’audience",
                  "ar": "الاحتفاظ بالجمهور"},
    "retention_axis": {"en": "share of the video", "fr": "part de la vidéo",
                       "ar": "الجزء من الفيديو"},
    "watching_axis": {"en": "still watching", "fr": "regardent encore",
                      "ar": "ما زالوا يشاهدون"},
    "daily_views": {"en": "Views per day", "fr": "Vues par jour", "ar": "المشاهدات يوميا"},
    "this_period": {"en": "this period", "fr": "cette période", "ar": "هذه الفترة"},
    "change": {"en": "Change", "fr": "Évolution", "ar": "التغير"},
    "video": {"en": "Video", "fr": "Vidéo", "ar": "الفيديو"},
    "language": {"en": "Language", "fr": "Langue", "ar": "اللغة"},
    "one_snapshot": {"en": "One collection so far: figures as of {when}. Daily charts appear "
                           "once views are known on two different days.",
                     "fr": "Une seule collecte pour l’instant : chiffres au {when}. Les "
                           "graphiques par jour apparaîtront quand les vues seront connues "
                           "sur deux jours différents.",
                     "ar": "جمع واحد للبيانات حتى الآن: الأرقام بتاريخ {when}. تظهر الرسوم "
                           "اليومية عندما تُعرف المشاهدات في يومين مختلفين."},
    "no_analytics": {"en": "No YouTube Analytics rows for this period: run `capsule stats "
                           "collect --analytics` with a login that allows yt-analytics.readonly.",
                     "fr": "Aucune donnée YouTube Analytics pour cette période : lancez "
                           "`capsule stats collect --analytics` avec une connexion autorisant "
                           "yt-analytics.readonly.",
                     "ar": "لا توجد بيانات YouTube Analytics لهذه الفترة: شغّل "
                           "`capsule stats collect --analytics` بحساب يسمح بـ "
                           "yt-analytics.readonly."},
    "countries_note": {"en": "YouTube Analytics gives countries per month, not per day: a month "
                             "that straddles the period counts pro rata of its days.",
                       "fr": "YouTube Analytics donne les pays par mois, pas par jour : un mois "
                             "à cheval sur la période compte au prorata de ses jours.",
                       "ar": "يقدّم YouTube Analytics البلدان شهريا لا يوميا: يُحتسب الشهر "
                             "المتداخل مع الفترة بنسبة أيامه."},
    "top_country": {"en": "First country", "fr": "Premier pays", "ar": "البلد الأول"},
    "finished_there": {"en": "Watched to the end there (est.)",
                       "fr": "Regardé jusqu’au bout là-bas (est.)",
                       "ar": "شوهد حتى النهاية هناك (تقدير)"},
    "top_source": {"en": "First source", "fr": "Première source", "ar": "المصدر الأول"},
    "none": {"en": "none", "fr": "aucun", "ar": "لا شيء"},
    "main": {"en": "main", "fr": "principale", "ar": "الرئيسية"},
    "short": {"en": "Short", "fr": "Short", "ar": "قصير"},
    "missing": {"en": "deleted or private", "fr": "supprimée ou privée",
                "ar": "محذوف أو خاص"},
}

COUNTRIES: dict[str, dict[str, str]] = {
    "MA": {"en": "Morocco", "fr": "Maroc", "ar": "المغرب"},
    "FR": {"en": "France", "fr": "France", "ar": "فرنسا"},
    "DZ": {"en": "Algeria", "fr": "Algérie", "ar": "الجزائر"},
    "TN": {"en": "Tunisia", "fr": "Tunisie", "ar": "تونس"},
    "BE": {"en": "Belgium", "fr": "Belgique", "ar": "بلجيكا"},
    "ES": {"en": "Spain", "fr": "Espagne", "ar": "إسبانيا"},
    "CA": {"en": "Canada", "fr": "Canada", "ar": "كندا"},
    "US": {"en": "United States", "fr": "États-Unis", "ar": "الولايات المتحدة"},
    "NL": {"en": "Netherlands", "fr": "Pays-Bas", "ar": "هولندا"},
    "DE": {"en": "Germany", "fr": "Allemagne", "ar": "ألمانيا"},
    "IT": {"en": "Italy", "fr": "Italie", "ar": "إيطاليا"},
    "GB": {"en": "United Kingdom", "fr": "Royaume-Uni", "ar": "المملكة المتحدة"},
    "SN": {"en": "Senegal", "fr": "Sénégal", "ar": "السنغال"},
    "MR": {"en": "Mauritania", "fr": "Mauritanie", "ar": "موريتانيا"},
    "EG": {"en": "Egypt", "fr": "Égypte", "ar": "مصر"},
    "SA": {"en": "Saudi Arabia", "fr": "Arabie saoudite", "ar": "السعودية"},
    "AE": {"en": "United Arab Emirates", "fr": "Émirats arabes unis", "ar": "الإمارات"},
    "CH": {"en": "Switzerland", "fr": "Suisse", "ar": "سويسرا"},
}

TRAFFIC: dict[str, dict[str, str]] = {
    "SHORTS": {"en": "Shorts feed", "fr": "Flux Shorts", "ar": "خلاصة Shorts"},
    "YT_SEARCH": {"en": "YouTube search", "fr": "Recherche YouTube", "ar": "البحث في YouTube"},
    "RELATED_VIDEO": {"en": "Suggested videos", "fr": "Vidéos suggérées",
                      "ar": "الفيديوهات المقترحة"},
    "EXT_URL": {"en": "External sites", "fr": "Sites externes", "ar": "مواقع خارجية"},
    "SUBSCRIBER": {"en": "Subscriptions", "fr": "Abonnements", "ar": "الاشتراكات"},
    "PLAYLIST": {"en": "Playlists", "fr": "Playlists", "ar": "قوائم التشغيل"},
    "NO_LINK_OTHER": {"en": "Direct or unknown", "fr": "Direct ou inconnu",
                      "ar": "مباشر أو غير معروف"},
    "YT_CHANNEL": {"en": "Channel pages", "fr": "Pages de chaîne", "ar": "صفحات القناة"},
    "YT_OTHER_PAGE": {"en": "Other YouTube pages", "fr": "Autres pages YouTube",
                      "ar": "صفحات YouTube أخرى"},
    "NOTIFICATION": {"en": "Notifications", "fr": "Notifications", "ar": "الإشعارات"},
    "END_SCREEN": {"en": "End screens", "fr": "Écrans de fin", "ar": "الشاشات الختامية"},
    "ADVERTISING": {"en": "Advertising", "fr": "Publicité", "ar": "الإعلانات"},
}

DEVICES: dict[str, dict[str, str]] = {
    "MOBILE": {"en": "Phone", "fr": "Téléphone", "ar": "الهاتف"},
    "DESKTOP": {"en": "Computer", "fr": "Ordinateur", "ar": "الحاسوب"},
    "TABLET": {"en": "Tablet", "fr": "Tablette", "ar": "اللوحي"},
    "TV": {"en": "TV", "fr": "Télévision", "ar": "التلفاز"},
    "GAME_CONSOLE": {"en": "Game console", "fr": "Console", "ar": "جهاز الألعاب"},
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "ar": {"en": "Arabic", "fr": "arabe", "ar": "العربية"},
    "fr": {"en": "French", "fr": "français", "ar": "الفرنسية"},
    "en": {"en": "English", "fr": "anglais", "ar": "الإنجليزية"},
    "zgh": {"en": "Tamazight", "fr": "amazighe", "ar": "الأمازيغية"},
    "es": {"en": "Spanish", "fr": "espagnol", "ar": "الإسبانية"},
}

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
    # The month names used in Morocco (ar-MA).
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر",
           "أكتوبر", "نونبر", "دجنبر"),
}

_SEPARATORS = {"en": (",", "."), "fr": ("\u202f", ","), "ar": (".", ",")}


class Words:
    """The report's vocabulary and formats in one language."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(_("report language {lang!r}: use one of {LANGUAGES}").format(
                                 lang=lang, LANGUAGES=', '.join(LANGUAGES)))
        self.lang = lang
        self.rtl = lang == "ar"

    def __getitem__(self, key: str) -> str:
        return TEXT[key][self.lang]

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        group, decimal = _SEPARATORS[self.lang]
        text = f"{value:,.{digits}f}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", group)

    def percent(self, share: float | None, digits: int = 1) -> str:
        if share is None:
            return "—"
        number = self.number(100 * share, digits)
        return {"en": f"{number}%", "fr": f"{number}\u202f%", "ar": f"{number}\u202f%"}[
            self.lang]

    def change(self, now: float | None, before: float | None) -> str:
        """+12.5% against the previous period; — when there is nothing to compare with."""
        if now is None or not before:
            return "—"
        share = (now - before) / before
        return ("+" if share >= 0 else "−") + self.percent(abs(share))

    def date(self, day: date) -> str:
        return f"{day.day} {MONTHS[self.lang][day.month - 1]} {day.year}"

    def month(self, day: date) -> str:
        return f"{MONTHS[self.lang][day.month - 1]} {day.year}"

    def country(self, code: str) -> str:
        return COUNTRIES.get(code, {}).get(self.lang, code)

    def traffic(self, code: str) -> str:
        return TRAFFIC.get(code, {}).get(self.lang, code.replace("_", " ").capitalize())

    def device(self, code: str) -> str:
        return DEVICES.get(code, {}).get(self.lang, code.capitalize())

    def language_name(self, code: str | None) -> str:
        if not code:
            return "—"
        return LANGUAGE_NAMES.get(code, {}).get(self.lang, code)

    def variant(self, name: str | None) -> str:
        name = name or "main"
        return TEXT[name][self.lang] if name in ("main", "short") else name
