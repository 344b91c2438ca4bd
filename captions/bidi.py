"""Bidirectional levels and visual order for one line of a cue (a compact Unicode bidi algorithm).

Raqm does bidi inside one draw call, but Pillow has no font fallback: a line that mixes fonts
(ONUDC in Noto Sans inside Arabic in Noto Sans Arabic) is drawn as several runs, and the runs
must be put in visual order ourselves. This module implements UAX #9 rules X1–X10 (explicit
embeddings, overrides and isolates), W1–W7, N1–N2, I1–I2 and the line rules L1–L2, with one
simplification: an isolate is resolved like an embedding (its content does not influence the
neutrals around it, which is what isolates are for, but runs are not stitched across it).

The paragraph level is given by the caller (from the cue's language), never guessed from the
first strong letter: an Arabic cue that starts with "ONUDC" is still right-to-left.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MAX_DEPTH = 125

EMBEDDINGS = {"\u202a": ("L", False), "\u202b": ("R", False),  # LRE, RLE
              "\u202d": ("L", True), "\u202e": ("R", True)}  # LRO, RLO
ISOLATES = {"\u2066": "L", "\u2067": "R", "\u2068": None}  # LRI, RLI, FSI
PDF, PDI = "\u202c", "\u2069"
MARKS = {"\u200e", "\u200f", "\u061c"}  # LRM, RLM, ALM: strong, zero-width
CONTROLS = frozenset([*EMBEDDINGS, *ISOLATES, PDF, PDI, *MARKS])

_STRONG_R = {"R", "AL"}
_NEUTRAL = {"B", "S", "WS", "ON", "LRI", "RLI", "FSI", "PDI"}


def is_control(char: str) -> bool:
    """A bidi formatting character: honoured by the algorithm, never drawn."""
    return char in CONTROLS


def strip_controls(text: str) -> str:
    return "".join(ch for ch in text if ch not in CONTROLS)


def _first_strong(text: str, start: int) -> str | None:
    """Direction of the first strong character after `start`, up to the matching PDI (P2/P3)."""
    depth = 0
    for ch in text[start:]:
        if ch in ISOLATES:
            depth += 1
        elif ch == PDI:
            if depth == 0:
                return None
            depth -= 1
        elif depth == 0:
            kind = unicodedata.bidirectional(ch)
            if kind == "L":
                return "L"
            if kind in _STRONG_R:
                return "R"
    return None


def _next_level(level: int, direction: str) -> int:
    if direction == "R":
        return level + 1 if level % 2 == 0 else level + 2
    return level + 2 if level % 2 == 1 else level + 1


def _explicit(text: str, base: int) -> tuple[list[int], list[str], list[bool]]:
    """X1–X9: each character's embedding level and class; removed[i] for controls (X9)."""
    levels, classes, removed = [], [], []
    stack: list[tuple[int, str | None, bool]] = [(base, None, False)]  # level, override, isolate
    for i, ch in enumerate(text):
        kind = unicodedata.bidirectional(ch) or "L"
        level, override, _ = stack[-1]
        if ch in EMBEDDINGS:
            direction, is_override = EMBEDDINGS[ch]
            new = _next_level(level, direction)
            if new <= MAX_DEPTH:
                stack.append((new, direction if is_override else None, False))
            levels.append(level), classes.append("BN"), removed.append(True)
        elif ch in ISOLATES:
            direction = ISOLATES[ch] or _first_strong(text, i + 1) or "L"
            levels.append(level), classes.append(override or kind), removed.append(False)
            new = _next_level(level, direction)
            stack.append((new if new <= MAX_DEPTH else level, None, True))
        elif ch == PDI:
            while len(stack) > 1 and not stack[-1][2]:
                stack.pop()
            if len(stack) > 1:
                stack.pop()
            level, override, _ = stack[-1]
            levels.append(level), classes.append(override or kind), removed.append(False)
        elif ch == PDF:
            if len(stack) > 1 and not stack[-1][2]:
                stack.pop()
            levels.append(level), classes.append("BN"), removed.append(True)
        else:
            if kind == "BN":
                removed.append(True)
            else:
                removed.append(False)
            levels.append(level)
            classes.append(override if override and kind != "BN" else kind)
    return levels, classes, removed


def _resolve_run(classes: list[str], level: int, sos: str, eos: str) -> list[str]:
    """W1–W7 and N1–N2 on one level run; returns resolved types (L, R, EN, AN)."""
    t = list(classes)
    prev = sos
    for i, kind in enumerate(t):  # W1
        if kind == "NSM":
            t[i] = "ON" if prev in ("LRI", "RLI", "FSI", "PDI") else prev
        prev = t[i]
    last_strong = sos
    for i, kind in enumerate(t):  # W2, W3
        if kind in ("L", "R", "AL"):
            last_strong = kind
        if kind == "EN" and last_strong == "AL":
            t[i] = "AN"
    t = ["R" if kind == "AL" else kind for kind in t]
    for i in range(1, len(t) - 1):  # W4
        if t[i] == "ES" and t[i - 1] == "EN" == t[i + 1]:
            t[i] = "EN"
        elif t[i] == "CS" and t[i - 1] == t[i + 1] and t[i - 1] in ("EN", "AN"):
            t[i] = t[i - 1]
    i = 0
    while i < len(t):  # W5
        if t[i] == "ET":
            j = i
            while j < len(t) and t[j] == "ET":
                j += 1
            if (i > 0 and t[i - 1] == "EN") or (j < len(t) and t[j] == "EN"):
                t[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    t = ["ON" if kind in ("ES", "ET", "CS") else kind for kind in t]  # W6
    last_strong = sos
    for i, kind in enumerate(t):  # W7
        if kind in ("L", "R"):
            last_strong = kind
        elif kind == "EN" and last_strong == "L":
            t[i] = "L"
    embedding = "R" if level % 2 else "L"
    i = 0
    while i < len(t):  # N1, N2
        if t[i] in _NEUTRAL:
            j = i
            while j < len(t) and t[j] in _NEUTRAL:
                j += 1
            before = sos if i == 0 else ("R" if t[i - 1] in ("R", "EN", "AN") else "L")
            after = eos if j == len(t) else ("R" if t[j] in ("R", "EN", "AN") else "L")
            t[i:j] = [before if before == after else embedding] * (j - i)
            i = j
        else:
            i += 1
    return t


def levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of every character of one line (controls included).

    `rtl` is the paragraph direction. Controls get the level of their neighbour; they are
    removed before drawing anyway.
    """
    base = 1 if rtl else 0
    if not text:
        return []
    raw, classes, removed = _explicit(text, base)
    kept = [i for i in range(len(text)) if not removed[i]]
    result = list(raw)
    # Level runs over the kept characters (X10), each resolved with its sos/eos.
    start = 0
    while start < len(kept):
        end = start
        while end < len(kept) and raw[kept[end]] == raw[kept[start]]:
            end += 1
        level = raw[kept[start]]
        before = raw[kept[start - 1]] if start > 0 else base
        after = raw[kept[end]] if end < len(kept) else base
        sos = "R" if max(level, before) % 2 else "L"
        eos = "R" if max(level, after) % 2 else "L"
        run = [kept[k] for k in range(start, end)]
        resolved = _resolve_run([classes[k] for k in run], level, sos, eos)
        for k, kind in zip(run, resolved, strict=True):  # I1, I2
            if level % 2 == 0:
                result[k] = level + (1 if kind == "R" else 2 if kind in ("AN", "EN") else 0)
            else:
                result[k] = level + (1 if kind in ("L", "EN", "AN") else 0)
        start = end
    # L1: trailing whitespace and isolate controls go back to the paragraph level.
    i = len(text) - 1
    while i >= 0 and (unicodedata.bidirectional(text[i]) in ("WS", "S", "B", "BN")
                      or text[i] in CONTROLS):
        result[i] = base
        i -= 1
    for i in range(len(text)):  # removed characters follow their predecessor
        if removed[i]:
            result[i] = result[i - 1] if i > 0 else base
    return result


def visual_order(run_levels: Sequence[int]) -> list[int]:
    """L2: the indices of runs (or characters) from left to right, given their levels."""
    order = list(range(len(run_levels)))
    if not order:
        return order
    highest = max(run_levels)
    lowest_odd = min((lv for lv in run_levels if lv % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if run_levels[order[i]] >= level:
                j = i
                while j < len(order) and run_levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order
