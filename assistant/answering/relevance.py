"""How close a sentence of a retrieved unit comes to answering the question.

Cosine similarity alone ranks a sentence that sounds like the question above the one that holds
its rare words. Over the 619 questions of evals/ (1,058 key facts), the sentence holding the key
fact comes first among the retrieved units' sentences for 29 % of them by cosine alone, and for
37 % once two things are added: the share of the question's weight the sentence carries (its
content words, weighted by their inverse document frequency in the corpus) and a small prior
for the rank of its unit. On batch 13, written before this ranking and never used to tune it,
the figures are 25 % and 33 % (`python evals/sentence_ranking.py`). English questions are ranked
by cosine alone: their words are not the documents'. The weights are computed over the corpus
being served, so another territory's documents get their own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

COVERAGE_WEIGHT = 0.1  # added for a sentence carrying all of the question's weight
RANK_STEP = 0.01  # taken off per rank of the sentence's unit among the retrieved units


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of each stem of the corpus (BM25's, never negative)."""

    idf: Mapping[str, float]

    @classmethod
    def of(cls, documents: Iterable[Iterable[str]]) -> TermWeights:
        """Weights over documents given as their stems."""
        frequency: Counter[str] = Counter()
        count = 0
        for stems in documents:
            frequency.update(set(stems))
            count += 1
        return cls.from_frequencies(frequency, count)

    @classmethod
    def from_frequencies(cls, frequencies: Mapping[str, int], count: int) -> TermWeights:
        """Weights from how many of ``count`` documents hold each stem (a BM25 index's)."""
        return cls({stem: _idf(n, count) for stem, n in frequencies.items()})

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.idf)

    def coverage(self, asked: frozenset[str], said: Iterable[str]) -> float:
        """The share of the weight of the ``asked`` stems that ``said`` carries (0 to 1). A
        stem the corpus never uses weighs nothing: no sentence can carry it."""
        total = sum(self.idf.get(stem, 0.0) for stem in asked)
        if total == 0:
            return 0.0
        return sum(self.idf.get(stem, 0.0) for stem in asked & set(said)) / total


def _idf(frequency: int, count: int) -> float:
    return math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))


def relevance(similarity: float, coverage: float, rank: int) -> float:
    """A sentence's score: its cosine to the question, plus what it carries of the question's
    weight, minus a little per rank of its unit."""
    return similarity + COVERAGE_WEIGHT * coverage - RANK_STEP * rank
