"""Where a subtitle line should break: the cost of each break point, by language.

Layout (`captions.layout.wrap_offsets`) picks the fewest lines, then the set of breaks with the
lowest total cost: the break costs below plus the shape costs of the lines it makes. The rules
(BBC subtitle guidelines §3.4–3.5, Netflix French and Arabic guides; shared reference §1):

- Best: after the end of a sentence (`. ! ? …` `؟`), then after `: ;` `؛`, then after a comma
  (`,` `،`): the reader's pause falls where the line ends.
- Good: before a conjunction or a preposition (`et`, `mais`, `de`, `pour`; `and`, `of`, `to`;
  the free-standing Arabic ones such as `في`, `من`, `على`, `أو` — prefixed `و` `ب` `ل` are part
  of their word; Tamazight `ⵏ`, `ⴷ`, `ⵙ`), a little less good before an article or a
  determiner (a new noun phrase starts there).
- Bad: a line that ends with a word that belongs to what follows — an article, a determiner, a
  preposition, a conjunction, a subject pronoun, a negation particle (`la`, `the`, `de`, `ne`,
  `n'est`, `في`, `لا`, `ⵏ`) — or a break inside a name (two capitalised words); the break is
  still legal, just expensive, so a text with no better place can use it.
- Never (not decided here but in layout): inside a word, before `? ! : ; » ) , %` or `؟ ، ؛`, after
  `« ( [`.
- A break where the author broke the line is a little cheaper: authors know their sentence.

Words are compared without bidi controls, combining marks (harakat) or tatweel, case-folded,
so `فِي` is `في` and `La` is `la`.
"""

from __future__ import annotations

import unicodedata

from .bidi import CONTROLS

# Costs of a break, in units of "a whole line of imbalance" (see layout.wrap_offsets).
AFTER_SENTENCE = 0.0
AFTER_CLAUSE = 0.10  # : ; ؛
AFTER_COMMA = 0.20  # , ،
BEFORE_LINK = 0.35  # a conjunction or a preposition starts the next line
BEFORE_DETERMINER = 0.50  # an article or a determiner starts the next line
PLAIN = 0.60
GLUE = 0.80  # added when the line ends with a word that belongs to the next one
INSIDE_NAME = 1.00  # added between two capitalised words (a name)
AUTHOR_BONUS = 0.20  # taken off where the author broke the line

SENTENCE_END = frozenset(".!?…؟۔")
CLAUSE_END = frozenset(":;؛")
COMMA = frozenset(",،")
_CLOSERS = "»\"”’')]›"
_OPENERS = "«\"“‘'(["
_APOSTROPHES = "'’"
# Abbreviations whose final dot does not end a sentence (French and English titles).
_ABBREVIATIONS = frozenset(("m.", "mme.", "mlle.", "me.", "pr.", "dr.", "st.", "mr.", "mrs.",
                            "ms.", "prof.", "n°.", "no."))

# Words that introduce what follows: a line may start with them (good), not end with them.
_LINKS = {
    "fr": (
        "et ou mais donc car ni or que qui quand si lorsque parce puisque comme dont où afin "
        "à au aux de des du dans en par pour sur sans avec chez contre vers entre depuis "
        "pendant sous après avant auprès jusque malgré selon envers"
    ),
    "en": (
        "and or but nor so because if unless when while where whether that which who whom whose "
        "than as of to in on at for from with by about into onto through without against after "
        "before under over between during via toward towards"
    ),
    "ar": (
        "أو ثم لكن بل أن إن أنّ إنّ لأن كي لكي إذا عندما حيث كما الذي التي الذين اللذين اللتين "
        "اللواتي في من على إلى الى عن مع حول ضد بين عند منذ خلال بعد قبل دون لدى نحو عبر حتى "
        "بسبب"
    ),
    # Tamazight (Tifinagh): d "and/with", n "of", s "with/by", g "in", xf "on", ɣr "to",
    # i "to/for", zi "from", ar "until", nna "who/which", mi "when", ma "if".
    "zgh": "ⴷ ⵏ ⵙ ⴳ ⵅⴼ ⵖⵔ ⵉ ⵣⵉ ⴰⵔ ⵏⵏⴰ ⵎⵉ ⵎⴰ",
}
# Articles and determiners: a new noun phrase may start a line; a line never ends with them.
_DETERMINERS = {
    "fr": ("le la les l un une ce cet cette ces mon ma mes ton ta tes son sa ses notre nos "
           "votre vos leur leurs chaque tout toute tous toutes aucun aucune quel quelle quels "
           "quelles plusieurs"),
    "en": "the a an this these those my your his her its our their every each any no some",
    "ar": "هذا هذه ذلك تلك هؤلاء أولئك كل أي بعض جميع",
    "zgh": "ⴽⵓ",
}
# Words that never end a line but do not make a good line start either: subject pronouns,
# negation particles, auxiliaries and particles bound to the verb that follows.
_BOUND = {
    "fr": "je tu il elle on nous vous ils elles ne se",
    "en": "i we they he she not can could will would shall should must may might",
    "ar": "لا لم لن قد ما سوف",
    "zgh": "ⴰⴷ ⵓⵔ ⴷⴰ",
}
# French elisions: the part before the apostrophe stands for a whole word.
_ELISIONS = {"l": "le", "d": "de", "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque",
             "puisqu": "puisque", "n": "ne", "s": "se", "j": "je", "c": "ce", "m": "me",
             "t": "te"}


def _words(spec: dict[str, str]) -> dict[str, frozenset[str]]:
    return {lang: frozenset(_fold(w) for w in text.split()) for lang, text in spec.items()}


def _fold(word: str) -> str:
    """Case-folded, without bidi/format controls, combining marks or tatweel."""
    kept = (ch for ch in word if ch not in CONTROLS and ch != "\u0640"
            and unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    return "".join(kept).casefold()


LINKS = _words(_LINKS)
DETERMINERS = _words(_DETERMINERS)
BOUND = _words(_BOUND)


def _lists(language: str | None) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    primary = (language or "").lower().replace("_", "-").split("-")[0]
    primary = {"tzm": "zgh", "ber": "zgh", "shi": "zgh", "rif": "zgh"}.get(primary, primary)
    empty: frozenset[str] = frozenset()
    return LINKS.get(primary, empty), DETERMINERS.get(primary, empty), BOUND.get(primary, empty)


def _core(word: str) -> str:
    """The word without opening/closing punctuation around it, folded."""
    return _fold(word).strip(_OPENERS + _CLOSERS)


def _head(word: str) -> str:
    """What the word stands for at its start: `d'aide` → `de`, `l'ONUDC` → `le`."""
    core = _core(word)
    for mark in _APOSTROPHES:
        if mark in core:
            before = core.split(mark, 1)[0]
            return _ELISIONS.get(before, before)
    return core


def _last_mark(word: str) -> str:
    """The last punctuation that counts for a pause: closing quotes and brackets skipped."""
    stripped = "".join(ch for ch in word if ch not in CONTROLS).rstrip(_CLOSERS)
    return stripped[-1:] if stripped else ""


def _capitalised(word: str) -> bool:
    visible = "".join(ch for ch in word if ch not in CONTROLS).lstrip(_OPENERS)
    return visible[:1].isupper()


def break_cost(before: str, after: str, language: str | None, *, authored: bool = False) -> float:
    """The cost of ending a line with the word `before` and starting the next with `after`."""
    links, determiners, bound = _lists(language)
    mark = _last_mark(before)
    folded = _fold(before)
    if mark in SENTENCE_END and folded not in _ABBREVIATIONS:
        cost = AFTER_SENTENCE
    elif mark in CLAUSE_END:
        cost = AFTER_CLAUSE
    elif mark in COMMA:
        cost = AFTER_COMMA
    else:
        head = _head(after)
        if head in links:
            cost = BEFORE_LINK
        elif head in determiners:
            cost = BEFORE_DETERMINER
        else:
            cost = PLAIN
        ending = _core(before)
        negation = any(a in ending for a in _APOSTROPHES) and _head(before) == "ne"  # n'est
        if ending in links or ending in determiners or ending in bound or negation \
                or folded in _ABBREVIATIONS:
            cost += GLUE
        elif _capitalised(before) and _capitalised(after):
            cost += INSIDE_NAME
    if authored:
        cost = max(0.0, cost - AUTHOR_BONUS)
    return cost
