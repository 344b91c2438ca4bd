"""Preferred line breaks (BBC §3.4–3.5): after punctuation, before conjunctions and prepositions,
never after an article, no lone short word, no short line over a long one — in fr, en and ar,
in character mode (normalize) and on real pixels (the renderer)."""

from __future__ import annotations

import pytest

from captions import linebreaks
from captions.layout import NO_LINE_END, NO_LINE_START, wrap_text
from captions.linebreaks import break_cost
from captions.model import Cue, Span
from captions.normalize import normalize_track
from captions.reading import track_from_text
from captions.render import render_cue
from captions.style import Style


def lines(text: str, language: str, max_chars: int = 42) -> list[str]:
    return wrap_text(text, language, max_chars=max_chars)


@pytest.mark.parametrize(("language", "text", "expected"), [
    # after ":" rather than after the article that follows it
    ("fr", "Signalez tout soupçon : la ligne d'écoute est gratuite.",
     ["Signalez tout soupçon :", "la ligne d'écoute est gratuite."]),
    ("en", "Report any suspicion: the helpline is free of charge.",
     ["Report any suspicion:", "the helpline is free of charge."]),
    # after a comma rather than in the middle of the next phrase
    ("fr", "Si vous êtes victime ou témoin de traite, appelez le numéro vert gratuit",
     ["Si vous êtes victime ou témoin de traite,", "appelez le numéro vert gratuit"]),
    ("en", "If you are a victim or a witness, call the free helpline right now",
     ["If you are a victim or a witness,", "call the free helpline right now"]),
    # Arabic ":" and "،": not between the noun and its adjective (الزواج القسري)
    ("ar", "العمل القسري، الاستغلال، الزواج القسري: لنتعلم كيف نتعرف عليها.",
     ["العمل القسري، الاستغلال، الزواج القسري:", "لنتعلم كيف نتعرف عليها."]),
    ("ar", "إذا كنت ضحية أو شاهدا، اتصل بالرقم الأخضر المجاني الآن",
     ["إذا كنت ضحية أو شاهدا،", "اتصل بالرقم الأخضر المجاني الآن"]),
    # Arabic question mark ends the first line
    ("ar", "الـ\"برونكس\"، هل؟ تقرير ONUDC: 45% من الضحايا",
     ["الـ\"برونكس\"، هل؟", "تقرير ONUDC: 45% من الضحايا"]),
])
def test_breaks_after_punctuation(language, text, expected):
    assert lines(text, language, 42 if language != "ar" or "؟" not in text else 30) == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("fr", "Une victime n'est jamais coupable de ce qu'elle a subi.",
     ["Une victime n'est jamais coupable", "de ce qu'elle a subi."]),
    ("fr", "Elle travaillait sans salaire et sans papiers depuis trois ans chez eux",
     ["Elle travaillait sans salaire", "et sans papiers depuis trois ans chez eux"]),
    ("en", "Every year, thousands of women and children become victims of trafficking",
     ["Every year, thousands of women", "and children become victims of trafficking"]),
    ("en", "She worked without pay and without papers for three years in their house",
     ["She worked without pay and without papers", "for three years in their house"]),
    ("ar", "تعمل النساء في المنازل دون أجر ودون حماية من القانون",
     ["تعمل النساء في المنازل", "دون أجر ودون حماية من القانون"]),
])
def test_breaks_before_conjunctions_and_prepositions(language, text, expected):
    limit = 30 if language == "ar" else 42
    assert lines(text, language, limit) == expected


@pytest.mark.parametrize(("language", "text", "glue"), [
    ("fr", "Signalez tout soupçon : la ligne d'écoute est gratuite.", {"la"}),
    ("fr", "La traite des êtres humains est un crime puni par la loi", {"la", "des", "un", "par"}),
    ("en", "Trafficking in persons is a crime punished by the law", {"a", "by", "the", "in"}),
    ("ar", "أبلغوا عن أي شبهة في محيطكم: خط الإصغاء مجاني طوال اليوم", {"عن", "أي", "في"}),
])
@pytest.mark.parametrize("limit", range(32, 43, 2))
def test_no_line_ends_with_an_article_or_a_preposition(language, text, glue, limit):
    wrapped = lines(text, language, limit)
    assert " ".join(wrapped) == text
    assert not [line for line in wrapped[:-1] if line.split()[-1] in glue], wrapped


def test_names_stay_together():
    wrapped = lines("The National Commission against Human Trafficking is listening to you",
                    "en")
    assert any("Human Trafficking" in line for line in wrapped), wrapped


def test_no_short_line_over_a_long_one_when_a_balanced_split_exists():
    # "close / to home, too." would break before a preposition but leave 13 of 44 characters
    assert lines("Human trafficking happens close to home, too.", "en") == [
        "Human trafficking happens", "close to home, too."]


def test_no_lone_short_word_in_arabic():
    wrapped = lines("اتصلوا بالرقم الأخضر المجاني الآن", "ar", 28)
    assert all(len(line.split()) > 1 for line in wrapped), wrapped


def test_author_breaks_win_a_close_call():
    # Both splits are legal and balanced; the author's is kept.
    assert lines("Ensemble contre la traite\ndes êtres humains, agissons", "fr", 30) == [
        "Ensemble contre la traite", "des êtres humains, agissons"]


@pytest.mark.parametrize("limit", range(8, 30))
def test_percent_never_starts_and_guillemet_never_ends_a_line(limit):
    for text in ("Le taux atteint 45 % cette année dans la région",
                 "Il a dit « Oui » hier soir à la police"):
        for line in lines(text, "fr", limit):
            assert line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END, (limit, line)


@pytest.mark.parametrize(("before", "after", "language", "expected"), [
    ("traite.", "Appelez", "fr", linebreaks.AFTER_SENTENCE),
    ("danger\u00a0?»", "Oui", "fr", linebreaks.AFTER_SENTENCE),  # closing quote skipped
    ("هل؟", "تقرير", "ar", linebreaks.AFTER_SENTENCE),
    ("soupçon\u00a0:", "la", "fr", linebreaks.AFTER_CLAUSE),
    ("القسري:", "لنتعلم", "ar", linebreaks.AFTER_CLAUSE),
    ("exploitation,", "forced", "en", linebreaks.AFTER_COMMA),
    ("الاستغلال،", "الزواج", "ar", linebreaks.AFTER_COMMA),
    ("coupable", "de", "fr", linebreaks.BEFORE_LINK),
    ("coupable", "d'aide", "fr", linebreaks.BEFORE_LINK),  # elision: d' = de
    ("women", "and", "en", linebreaks.BEFORE_LINK),
    ("المنازل", "دون", "ar", linebreaks.BEFORE_LINK),
    ("call", "the", "en", linebreaks.BEFORE_DETERMINER),
    ("happens", "close", "en", linebreaks.PLAIN),
    ("tout", "la", "fr", linebreaks.BEFORE_DETERMINER + linebreaks.GLUE),
    ("soupçon", "ligne", "fr", linebreaks.PLAIN),
    ("la", "ligne", "fr", linebreaks.PLAIN + linebreaks.GLUE),
    ("the", "helpline", "en", linebreaks.PLAIN + linebreaks.GLUE),
    ("فِي", "المنطقة", "ar", linebreaks.PLAIN + linebreaks.GLUE),  # harakat ignored
    ("n'est", "jamais", "fr", linebreaks.PLAIN + linebreaks.GLUE),  # negation kept whole
    ("M.", "Dupont", "fr", linebreaks.PLAIN + linebreaks.GLUE),  # not a sentence end
    ("ⴰⵙⵏⵣⵉ", "ⵏ", "zgh", linebreaks.BEFORE_LINK),
    ("ⵏ", "ⵢⵉⵎⴷⴰⵏⵏ", "zgh", linebreaks.PLAIN + linebreaks.GLUE),
    ("National", "Commission", "en", linebreaks.PLAIN + linebreaks.INSIDE_NAME),
    ("la", "ligne", "xx", linebreaks.PLAIN),  # unknown language: punctuation rules only
])
def test_break_costs(before, after, language, expected):
    assert break_cost(before, after, language) == pytest.approx(expected)
    assert break_cost(before, after, language, authored=True) == pytest.approx(
        max(0.0, expected - linebreaks.AUTHOR_BONUS))


def test_normalize_uses_the_preferences():
    source = ("1\n00:00:01,000 --> 00:00:05,000\nSignalez tout soupçon : la ligne d'écoute "
              "est gratuite.\n")
    out = normalize_track(track_from_text(source, "srt", language="fr"))
    assert out.split("\n")[2:4] == ["Signalez tout soupçon\u00a0:",
                                    "la ligne d'écoute est gratuite."]


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("fr", "Signalez tout soupçon : la ligne d'écoute est gratuite.",
     ("Signalez tout soupçon :", "la ligne d'écoute est gratuite.")),
    ("en", "Report any suspicion: the helpline is free of charge.",
     ("Report any suspicion:", "the helpline is free of charge.")),
    ("ar", "أبلغوا عن أي شبهة في محيطكم: خط الإصغاء مجاني طوال اليوم",
     ("أبلغوا عن أي شبهة في محيطكم:", "خط الإصغاء مجاني طوال اليوم")),
])
def test_rendered_lines_follow_the_preferences(language, text, expected):
    rendered = render_cue(Cue(1, 0, 4000, [[Span(text)]]), language, 640, 360, Style())
    assert rendered.lines == expected
