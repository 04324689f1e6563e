"""Lexical retrieval: BM25 over French-analysed text (stop words, Snowball stemming, no accents).

The BM25 arrays are built by ``assistant build`` from this analyser's terms and saved with the
build (``assistant.index.bm25``); an index saved without them gets them made at load.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

from assistant.index.bm25 import TermIndex
from assistant.text import fold

# bm25s sets its own logger to DEBUG on import; leave the level to the application.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

_WORD = re.compile(r"\w+", re.UNICODE)
# Question words and fillers: they say what is asked, not what it is about.
_QUESTION_WORDS = {
    "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles",
    "comment", "combien", "pourquoi", "quoi", "qui", "que", "quand", "ou", "est", "sont",
    "ce", "cest", "estce", "y", "a", "t", "il", "elle", "on", "peut", "peuvent", "faut",
    "what", "which", "how", "who", "whom", "where", "when", "why", "does", "do", "did",
    "is", "are", "was", "were", "there", "any", "can", "could", "should", "would",
}  # fmt: skip
STOP_WORDS = frozenset(fold(w) for w in (*STOPWORDS_FRENCH, *STOPWORDS_EN, *_QUESTION_WORDS))


class FrenchAnalyzer:
    """Text to index terms: words, minus stop words, stemmed in French, accents folded."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("french")
        self._lock = threading.Lock()  # a Snowball stemmer is not safe to share between threads
        # Answering analyses the same sentences of the index on every request: done once each.
        self._terms = lru_cache(maxsize=32_768)(self._analyse)

    def __call__(self, text: str) -> list[str]:
        return list(self._terms(text))

    def _analyse(self, text: str) -> tuple[str, ...]:
        words = [w for w in _WORD.findall(text.lower()) if fold(w) not in STOP_WORDS]
        with self._lock:
            stems = self._stemmer.stemWords(words)
        return tuple(fold(stem) for stem in stems)


class LexicalIndex:
    """BM25 (Lucene variant) over the indexed text of units, position ``i`` being unit ``i``."""

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.analyzer = FrenchAnalyzer()
        self.terms = TermIndex.build([self.analyzer(text) for text in texts], k1=k1, b=b)
        self.size = self.terms.size

    @classmethod
    def over(cls, terms: TermIndex) -> LexicalIndex:
        """Queries analysed by this module's analyser, scored on saved BM25 arrays."""
        index = cls.__new__(cls)
        index.analyzer = FrenchAnalyzer()
        index.terms = terms
        index.size = terms.size
        return index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every unit for the query (zeros when no query term is indexed)."""
        return self.terms.scores(self.analyzer(query))
