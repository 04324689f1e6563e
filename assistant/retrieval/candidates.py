"""Candidates, then fusion: each signal's top units, and full scores for their union only.

Each signal proposes its own ``candidates`` best units among those the filters allow, the filter
applied inside the signal: FAISS over unit vectors (an ID selector), BM25 (scores masked, then
bm25s' top-k selection) and sentence vectors. Only the union is scored on every signal and
fused, so a query costs the signals' top-k searches plus a few hundred exact scores, whatever
the corpus size. When the candidates cover every allowed unit, the result is exactly that of
scoring every unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from assistant.index.bm25 import top_positions
from assistant.index.embedders import Vectors
from assistant.index.sentences import SegmentIndex
from assistant.index.vectors import VectorIndex
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.query import AnalyzedQuery

RetrievalMode = Literal["hybrid", "dense", "lexical"]
FusionMethod = Literal["weighted", "rrf"]
Positions = npt.NDArray[np.int64]
# Units whose dense scores set the low end of the dense scale (all of them in a smaller corpus
# or filter): full scoring takes it over every unit, the candidates alone would raise it.
FLOOR_SAMPLE = 256


@dataclass(frozen=True)
class RetrievalConfig:
    """How to rank; the defaults are the configuration the evaluation retained."""

    mode: RetrievalMode = "hybrid"
    fusion: FusionMethod = "weighted"
    dense_weight_fr: float = 0.7
    dense_weight_en: float = 0.9
    expansion_weight: float = 0.5
    rrf_k: int = 60
    list_boost: float = 0.1
    theme_boost: float = 0.2  # a list question naming a roadmap theme lifts that theme's list
    id_boost: float = 0.3  # a query writing a record's code ("B.1") lifts that record
    # Embed the query with the glossary terms it names spelled out. Measured side by side in
    # evals/reports: it ranks a little better, but the answers, tuned on the plain query, lose more.
    dense_expansion: bool = False
    sentence_weight: float = 0.5
    merge_overlaps: bool = True
    rerank_depth: int = 20
    # Units each signal proposes before fusion; the union is scored in full.
    candidates: int = 100

    def __post_init__(self) -> None:
        for name in ("dense_weight_fr", "dense_weight_en", "expansion_weight", "sentence_weight"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be greater than 0, got {self.candidates}")


class CandidateRanker:
    """Ranks units by fused scores computed over the union of the signals' candidates."""

    def __init__(
        self,
        vectors: VectorIndex,
        lexical: LexicalIndex | None,
        segments: SegmentIndex | None,
        config: RetrievalConfig,
        *,
        unit_count: int,
    ) -> None:
        self.vectors = vectors
        self.lexical = lexical
        self.segments = segments
        self.config = config
        self.unit_count = unit_count

    def rank(
        self,
        query: AnalyzedQuery,
        vector: Vectors | None,
        allowed: Positions | None,
        *,
        outlines: Positions | None = None,
        named: Positions | None = None,
        identified: Positions | None = None,
    ) -> tuple[Positions, npt.NDArray[np.float32]]:
        """Positions of the candidates, best first, with their fused scores.

        ``allowed`` are the positions passing the filters (``None``: all); ``outlines`` the
        units a list question lifts by ``list_boost``, ``named`` those it lifts by
        ``theme_boost`` (the outlines of themes it names), ``identified`` those any query
        lifts by ``id_boost`` (the records whose code it writes)."""
        if allowed is not None and allowed.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        lexical = self._lexical(query) if self.config.mode != "dense" else None
        if self.config.mode == "lexical":
            vector = None
        pool = self._candidates(query, vector, lexical, allowed, outlines, named)
        if identified is not None and identified.size and self.config.id_boost:
            scope = identified if allowed is None else np.intersect1d(identified, allowed)
            pool = np.union1d(pool, scope)
        if pool.size == 0:
            return pool, np.empty(0, dtype=np.float32)
        # Units no signal proposed mostly match no query term: their BM25 score, the floor of
        # the lexical scale when every unit is scored, is 0. The dense scale's floor is the
        # lowest score of a fixed sample of the allowed units (every one when they are few),
        # as full scoring takes the lowest of all.
        covered = pool.size == (self.unit_count if allowed is None else allowed.size)
        floor = None if covered else 0.0
        dense_floor = None
        if not covered and vector is not None:
            dense_floor = float(self._dense(vector, self._floor_sample(allowed)).min())
        scores = self._scores(query, vector, lexical, pool, outlines, named, floor, dense_floor)
        if identified is not None and identified.size and self.config.id_boost:
            lift = self.config.id_boost * np.isin(pool, identified)
            scores = (scores + lift).astype(scores.dtype, copy=False)
        order = np.argsort(-scores, kind="stable")
        return pool[order], scores[order]

    def _candidates(
        self,
        query: AnalyzedQuery,
        vector: Vectors | None,
        lexical: np.ndarray | None,
        allowed: np.ndarray | None,
        outlines: Positions | None,
        named: Positions | None,
    ) -> np.ndarray:
        """Sorted positions of the union of every signal's top candidates among ``allowed``.

        A list question also takes each signal's best outline units, and the outlines of the
        themes it names, since the list boosts can lift them above every signal's top."""
        depth = self.config.candidates
        scopes: list[np.ndarray | None] = [allowed]
        if query.wants_list and self.config.list_boost and outlines is not None and outlines.size:
            scopes.append(outlines if allowed is None else np.intersect1d(outlines, allowed))
        parts: list[np.ndarray] = []
        for scope in scopes:
            if scope is not None and scope.size == 0:
                continue
            if vector is not None:
                found = self.vectors.search(vector, depth, allowed=scope)
                parts.append(np.fromiter((p for p, _ in found), dtype=np.int64, count=len(found)))
                if self.segments is not None and self.config.sentence_weight:
                    parts.append(self.segments.top_units(vector, depth, self.unit_count, scope))
            if lexical is not None:
                parts.append(top_positions(lexical, depth, scope))
        if query.wants_list and self.config.theme_boost and named is not None:
            parts.append(named if allowed is None else np.intersect1d(named, allowed))
        if not parts:
            return np.empty(0, dtype=np.int64)
        pool = np.unique(np.concatenate(parts))
        if vector is None and pool.size < depth:
            # BM25 alone proposes only units matching a query term; as when every unit is
            # scored, units matching none follow them, at 0, in position order.
            scope = allowed if allowed is not None else np.arange(self.unit_count, dtype=np.int64)
            rest = np.setdiff1d(scope[: depth + pool.size], pool)[: depth - pool.size]
            pool = np.union1d(pool, rest)
        return pool

    def _scores(
        self,
        query: AnalyzedQuery,
        vector: Vectors | None,
        lexical: np.ndarray | None,
        pool: np.ndarray,
        outlines: Positions | None,
        named: Positions | None,
        floor: float | None = None,
        dense_floor: float | None = None,
    ) -> np.ndarray:
        """Fused scores of the candidates at ``pool``, aligned with it; ``floor`` and
        ``dense_floor`` lower the low end of the lexical and dense scales."""
        config = self.config
        fused: np.ndarray
        # Every mode ends on a 0-1 scale over the candidates, so the list boost means the same.
        if config.mode == "dense":
            fused = _minmax(self._dense(vector, pool), dense_floor)
        elif config.mode == "lexical" or lexical is None:
            fused = _minmax(lexical[pool] if lexical is not None else np.zeros(pool.size), floor)
        elif config.fusion == "rrf":
            fused = _rrf(self._dense(vector, pool), config.rrf_k)
            fused = _minmax(fused + _rrf(lexical[pool], config.rrf_k))
        else:
            weight = config.dense_weight_en if query.language == "en" else config.dense_weight_fr
            dense = _minmax(self._dense(vector, pool), dense_floor)
            fused = weight * dense + (1 - weight) * _minmax(lexical[pool], floor)
        if query.wants_list and config.list_boost and outlines is not None:
            # A list question is best answered by a unit that lists: an outline or an axis.
            fused = fused + config.list_boost * np.isin(pool, outlines)
        if query.wants_list and config.theme_boost and named is not None:
            # The list of the roadmap theme the query names, itself or through the glossary.
            fused = fused + config.theme_boost * np.isin(pool, named)
        return fused

    def _floor_sample(self, allowed: Positions | None) -> Positions:
        """Up to ``FLOOR_SAMPLE`` of the allowed units, evenly spread (all when fewer)."""
        size = self.unit_count if allowed is None else allowed.size
        if size <= FLOOR_SAMPLE:
            return np.arange(size, dtype=np.int64) if allowed is None else allowed
        spread = np.linspace(0, size - 1, FLOOR_SAMPLE).astype(np.int64)
        return spread if allowed is None else allowed[spread]

    def _dense(self, vector: Vectors | None, pool: np.ndarray) -> np.ndarray:
        if vector is None:  # pragma: no cover - only lexical mode has no vector
            raise ValueError("dense scores need the query vector")
        scores = self.vectors.scores(vector, pool)
        weight = self.config.sentence_weight
        if self.segments is None or not weight:
            return scores
        best = self.segments.best_of(vector, pool)
        best = np.where(best < 0, scores, best)  # a unit without sentences keeps its own score
        return (1 - weight) * scores + weight * best

    def _lexical(self, query: AnalyzedQuery) -> np.ndarray | None:
        if self.lexical is None:
            return None
        scores = self.lexical.scores(query.text)
        expansion = query.expansion
        if expansion and self.config.expansion_weight > 0:
            scores = scores + self.config.expansion_weight * self.lexical.scores(expansion)
        return scores


def _minmax(values: np.ndarray, floor: float | None = None) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    low = low if floor is None else min(low, floor)
    if high > low:
        return ((values - low) / (high - low)).astype(np.float32)
    return np.zeros(values.size, dtype=np.float32)


def _rrf(values: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros(values.size, dtype=np.float32)
    out[np.argsort(-values, kind="stable")] = 1.0 / (k + np.arange(1, values.size + 1))
    return out
