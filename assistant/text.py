"""Small text helpers shared by filters and lexical analysis."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase without accents: ``Économie`` → ``economie``, for forgiving comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
