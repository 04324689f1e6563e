"""Retrieval metrics judged on text: a unit answers when it contains a gold quote.

Judging by quotes rather than by chunk ids makes any chunking comparable with any other. A unit's
evidence is its indexed text plus, for records, the document passage they quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.types import Chunk

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def evidence(unit: Chunk, documents: Mapping[str, str]) -> str:
    """What a unit shows a reader: its text, its context, and the passage it comes from."""
    source = documents.get(unit.source.document, "")
    return squash(f"{unit.indexed_text}\n{source[unit.source.start : unit.source.end]}")


@dataclass(frozen=True)
class QuestionScore:
    """Metrics of one question for one configuration."""

    recall_at: dict[int, float]
    reciprocal_rank: float
    ndcg_at_10: float


def covered_quotes(quotes: Sequence[str], texts: Sequence[str]) -> list[int]:
    """For each unit (in rank order), how many quotes are first covered by it."""
    remaining = [squash(q) for q in quotes]
    newly: list[int] = []
    for text in map(squash, texts):
        found = [q for q in remaining if q in text]
        remaining = [q for q in remaining if q not in found]
        newly.append(len(found))
    return newly


def score_question(
    quotes: Sequence[str],
    ranked: Sequence[str],
    *,
    relevant_units: int,
    ks: Sequence[int] = (1, 5, 10),
) -> QuestionScore:
    """Recall@k (share of quotes found in the top k), reciprocal rank, nDCG@10.

    ``ranked`` are the evidence texts of the returned units in rank order; ``relevant_units`` is
    how many units of the whole index contain a quote (the ideal ranking for nDCG).
    """
    squashed = [squash(q) for q in quotes]
    newly = covered_quotes(quotes, ranked)
    recall = {k: sum(newly[:k]) / len(quotes) for k in ks}
    relevant = [any(q in squash(text) for q in squashed) for text in ranked[:10]]
    first = next((i for i, r in enumerate(relevant) if r), None)
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevant) if r)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(relevant_units, 10)))
    return QuestionScore(
        recall_at=recall,
        reciprocal_rank=0.0 if first is None else 1 / (first + 1),
        ndcg_at_10=dcg / ideal if ideal else 0.0,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
