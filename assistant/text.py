"""Small text helpers shared by filters and lexical analysis."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


# Answering folds the same words and sentences of the index on every request: kept, bounded.
@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Lowercase without accents: ``Économie`` → ``economie``, for forgiving comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` narrowed so that ``text[start:end]`` has no outer whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_FRENCH_HINTS = frozenset(
    "le la les des du de un une et est sont pour dans sur avec quel quelle quels quelles qui que "
    "quoi comment combien pourquoi où au aux ce cette ces mon ma mes notre nos il elle on y a "
    "pas ne plus ou".split()
)
_ENGLISH_HINTS = frozenset(
    "the a an and is are for in on with what which who how many much why where of to does do "
    "can my our any there this that these those it be get did its by has have their they we i "
    "you your from at was were will would should could when whose".split()
)


def detect_language(text: str) -> str:
    """``"en"`` when the text reads as English, else ``"fr"`` (the corpus's language)."""
    words = [w.strip(".,;:!?'\"()") for w in text.lower().replace("’", "'").split()]
    words = [w.split("'")[-1] for w in words]
    # Each accented word counts for French, unless it is a name ("Rennes Métropole's roadmap"
    # is English) or a loanword among English words ("a repair café").
    common = [w for w in text.replace("’", "'").split() if not w[:1].isupper()]
    accented = sum(any(ch in word for ch in "éèêàùçôîûœ") for word in common)
    english = sum(w in _ENGLISH_HINTS for w in words)
    french = sum(w in _FRENCH_HINTS for w in words) + accented
    return "en" if english > french else "fr"
