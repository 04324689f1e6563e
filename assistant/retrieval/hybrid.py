"""Online retrieval: a query (and filters) to ranked, non-redundant units of the index.

Candidates, then fusion (``assistant.retrieval.candidates``): each signal (FAISS over unit
vectors, BM25, sentence vectors) gives its own top ``candidates`` units among those passing the
filters (the filter is applied inside each signal), only the union is scored and fused, and
``Hit`` objects are made only for what is returned. Hybrid by default: BM25 over French-analysed
text and dense e5 similarity, each min-max normalised over the candidates, then summed with a
weight that depends on the query's language (multilingual e5 understands English questions;
French BM25 does not). A normalised weighted sum beat reciprocal rank fusion on this corpus (see
evals/). Queries that mention a glossary term get its expansion and synonyms added on the
lexical side.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.errors import IndexMismatchError, InvalidQueryError
from assistant.index.embedders import Embedder, Vectors
from assistant.index.sentences import SegmentIndex
from assistant.index.store import REBUILD_HINT
from assistant.index.vectors import VectorIndex
from assistant.retrieval.candidates import CandidateRanker
from assistant.retrieval.candidates import FusionMethod as FusionMethod
from assistant.retrieval.candidates import RetrievalConfig as RetrievalConfig
from assistant.retrieval.candidates import RetrievalMode as RetrievalMode
from assistant.retrieval.filters import FilterIndex, FilterSpec
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.identifiers import Identifiers
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.query import AnalyzedQuery, analyze
from assistant.retrieval.rerank import Reranker
from assistant.retrieval.territories import Gazetteer
from assistant.text import fold
from assistant.types import Chunk, Hit

MAX_QUERY_CHARS = 2000
MAX_TOP_K = 100


def check_query(query: str) -> str:
    """The query stripped; ``InvalidQueryError`` when it is empty or too long."""
    stripped = query.strip()
    if not stripped:
        raise InvalidQueryError("query must not be empty")
    if len(stripped) > MAX_QUERY_CHARS:
        raise InvalidQueryError(
            f"query is {len(stripped)} characters long; the maximum is {MAX_QUERY_CHARS}"
        )
    return stripped


def check_top_k(top_k: int) -> int:
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQueryError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
    return top_k


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits, with what the query asked for and its vector (``None`` in lexical mode)."""

    hits: list[Hit]
    query: AnalyzedQuery
    vector: Vectors | None


class Retriever:
    """Ranks the units of an index for a query, filters applied before ranking."""

    def __init__(
        self,
        units: Sequence[Chunk],
        vectors: VectorIndex,
        embedder: Embedder,
        *,
        config: RetrievalConfig | None = None,
        glossary: Glossary | None = None,
        reranker: Reranker | None = None,
        segments: SegmentIndex | None = None,
        gazetteer: Gazetteer | None = None,
        lexical: LexicalIndex | None = None,
    ) -> None:
        if len(units) != len(vectors):
            raise IndexMismatchError(
                f"{len(vectors)} vectors for {len(units)} units", hint=REBUILD_HINT
            )
        self.units = list(units)
        self.vectors = vectors
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.glossary = glossary or Glossary([])
        self.reranker = reranker
        self.segments = segments
        self.gazetteer = gazetteer
        if lexical is not None and lexical.size != len(self.units):
            raise IndexMismatchError(
                f"the BM25 index holds {lexical.size} units, the index {len(self.units)}",
                hint=REBUILD_HINT,
            )
        # An index built before BM25 was saved with it gets its BM25 made here.
        self.lexical = lexical or LexicalIndex([u.indexed_text for u in self.units])
        self.filter_index = FilterIndex(self.units)
        self.ranker = CandidateRanker(
            self.vectors, self.lexical, self.segments, self.config, unit_count=len(self.units)
        )
        # The outline of each roadmap theme, with the theme's name folded.
        self._theme_outlines = [
            (i, [fold(str(t)) for t in _as_list(u.metadata.get("theme"))])
            for i, u in enumerate(self.units)
            if u.metadata.get("group") == "theme"
        ]
        self.identifiers = Identifiers(self.units)
        self._outlines = np.flatnonzero([bool(u.metadata.get("group")) for u in self.units]).astype(
            np.int64
        )

    @property
    def config(self) -> RetrievalConfig:
        """How to rank; replacing it re-configures the ranking of the next queries."""
        return self._config

    @config.setter
    def config(self, value: RetrievalConfig) -> None:
        self._config = value
        ranker: CandidateRanker | None = self.__dict__.get("ranker")
        if ranker is not None:
            ranker.config = value

    def check_dimensions(self) -> None:
        """Refuse an embedder whose vectors cannot be compared with the index's."""
        if self.embedder.dim != self.vectors.dim:
            raise IndexMismatchError(
                f"the embedder gives {self.embedder.dim}-d vectors, "
                f"the index holds {self.vectors.dim}-d ones",
                hint=REBUILD_HINT,
            )

    def retrieve(
        self, query: str, *, top_k: int = 5, filters: FilterSpec | None = None
    ) -> list[Hit]:
        """The ``top_k`` best units for ``query`` among those matching ``filters``."""
        return self.search(query, top_k=top_k, filters=filters).hits

    def search(
        self, query: str, *, top_k: int = 5, filters: FilterSpec | None = None
    ) -> SearchResult:
        """Like ``retrieve``, with the query's analysis and vector for later stages.

        A query comparing territories ("Nantes ou Rennes ?") is searched once per territory,
        each given its share of the results, so that one territory cannot fill them all.
        """
        query = check_query(query)
        check_top_k(top_k)
        analysis = analyze(query, self.glossary)
        vector = None
        if self.config.mode != "lexical":
            dense_text = analysis.dense_text if self.config.dense_expansion else query
            vector = self.embedder.embed_query(dense_text)
        hits = self._rank(analysis, vector, top_k, filters)
        places = self._compared_places(query, filters)
        if len(places) >= 2:
            share = max(1, top_k // len(places))
            per_place = [
                self._rank(analysis, vector, share, {**(filters or {}), "territory": place})
                for place in places
            ]
            hits = _interleave([hits, *per_place], top_k)
        if self.reranker is not None:
            hits = self.reranker.rerank(query, hits)
        return SearchResult(hits[:top_k], analysis, vector)

    def _rank(
        self,
        analysis: AnalyzedQuery,
        vector: Vectors | None,
        top_k: int,
        filters: FilterSpec | None,
    ) -> list[Hit]:
        allowed = self.filter_index.allowed(filters)
        if allowed is not None and allowed.size == 0:
            return []
        named = None
        if analysis.wants_list and self.config.theme_boost:
            named = np.flatnonzero(self._themes_named(analysis)).astype(np.int64)
        positions, scores = self.ranker.rank(
            analysis,
            vector,
            allowed,
            outlines=self._outlines,
            named=named,
            identified=self.identifiers.named(analysis.text),
        )
        hits = (Hit(self.units[p], float(s)) for p, s in zip(positions, scores, strict=True))
        depth = max(top_k, self.config.rerank_depth if self.reranker else top_k)
        return merge_overlaps(hits, depth) if self.config.merge_overlaps else _first(hits, depth)

    def _compared_places(self, query: str, filters: FilterSpec | None) -> list[str]:
        if self.gazetteer is None or (filters and "territory" in filters):
            return []
        return [place.name for place in self.gazetteer.find(query) if place.covered]

    def themes_named(self, query: AnalyzedQuery) -> frozenset[str]:
        """The ids of the theme outlines whose theme the query names (itself or through the
        glossary)."""
        named = self._themes_named(query)
        return frozenset(self.units[i].id for i in np.flatnonzero(named))

    def _themes_named(self, query: AnalyzedQuery) -> np.ndarray:
        words = fold(f"{query.text} {query.expansion}")
        named = np.zeros(len(self.units), dtype=np.float32)
        for position, themes in self._theme_outlines:
            named[position] = any(theme in words for theme in themes)
        return named


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value] if value else []


def _interleave(rankings: Sequence[list[Hit]], limit: int) -> list[Hit]:
    """Round-robin over rankings, each unit once, up to ``limit`` hits."""
    merged: list[Hit] = []
    seen: set[str] = set()
    for depth in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if depth < len(ranking) and ranking[depth].chunk.id not in seen:
                seen.add(ranking[depth].chunk.id)
                merged.append(ranking[depth])
    return merged[:limit]


def _first(hits: Iterator[Hit], limit: int) -> list[Hit]:
    return [hit for _, hit in zip(range(limit), hits, strict=False)]


def merge_overlaps(hits: Iterable[Hit], limit: int) -> list[Hit]:
    """Drop near-duplicates: units whose source spans are mostly the same text.

    Two units are near-duplicates when they share at least half of the longer one's span (so an
    action quoting one bullet of a passage is not a duplicate of the whole passage). Overlapping
    passages keep the better-ranked one; when a record quotes the same passage as a passage unit,
    the record stays (it carries an id and fields), at the better of the two ranks.
    """
    kept: list[Hit] = []
    for hit in hits:
        twin = next((i for i, k in enumerate(kept) if _overlapping(k.chunk, hit.chunk)), None)
        if twin is None:
            kept.append(hit)
        elif kept[twin].chunk.kind == "passage" and hit.chunk.kind != "passage":
            kept[twin] = replace(hit, score=kept[twin].score)
        if len(kept) >= limit:
            break
    return kept


def _overlapping(a: Chunk, b: Chunk) -> bool:
    # Records are distinct entities even when they quote neighbouring text (an outline and its
    # first item share a source span): only passages can duplicate something.
    if a.source.document != b.source.document or "passage" not in (a.kind, b.kind):
        return False
    shared = min(a.source.end, b.source.end) - max(a.source.start, b.source.start)
    longest = max(a.source.end - a.source.start, b.source.end - b.source.start)
    return longest > 0 and shared >= 0.5 * longest
