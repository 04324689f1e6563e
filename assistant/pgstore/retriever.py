"""Retrieval in PostgreSQL: candidates from HNSW and ``tsvector``, fused in SQL.

One statement per ranking: the nearest units (HNSW over unit vectors), the units of the nearest
sentences (HNSW over sentence vectors) and the best BM25 matches (the query analysed by the
build's French text search configuration, scored from the postings the build derived from the
units' ``tsvector``: only the query terms' postings are read) make the candidate pool; each
candidate gets its exact dense score (the unit's cosine blended with its best sentence's) and
its BM25 score; both are min-max normalised over the pool and summed with
the language's dense weight, plus the list and theme boosts, as ``assistant.retrieval.hybrid`` does.
Filters are SQL conditions on the build's filter columns, inside every signal.

``PgRetriever`` is a ``Retriever``: the answerer, the scheme finder and the service use it
unchanged. It keeps the units in memory because the answering layer reads them; the vectors,
the sentences and the lexical index stay in the database.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.errors import IndexMismatchError, InvalidQueryError
from assistant.index.embedders import Embedder, Vectors
from assistant.index.sentences import SegmentIndex
from assistant.index.store import REBUILD_HINT, LoadedIndex, Manifest, check_compatible
from assistant.index.vectors import VectorIndex
from assistant.pgstore.schema import (
    PARTIAL_KEYS,
    BuildInfo,
    DatabaseError,
    connect,
    filter_column,
    require_current,
)
from assistant.retrieval.filters import FilterSpec, UnitFilter
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import (
    RetrievalConfig,
    Retriever,
    SearchResult,
    check_query,
    check_top_k,
    merge_overlaps,
)
from assistant.retrieval.identifiers import Identifiers
from assistant.retrieval.lexical import STOP_WORDS
from assistant.retrieval.query import AnalyzedQuery, analyze
from assistant.retrieval.rerank import Reranker
from assistant.retrieval.territories import Gazetteer
from assistant.text import fold
from assistant.types import Chunk, Hit, SourceSpan

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
# Fused rows fetched per hit wanted: near-duplicate passages are dropped after the query.
_OVERFETCH = 4


class PostgresStore:
    """A connection to the current build of the database, shared by the retriever's parts."""

    def __init__(self, url: str, *, ef_search: int = 100, candidates: int = 100) -> None:
        self.url = url
        self.conn = connect(url)
        self.info: BuildInfo = require_current(self.conn, url)
        self.candidates = candidates
        self.lock = threading.Lock()
        # ef_search bounds how many neighbours one HNSW scan returns: at least the candidates.
        self.execute(f"SET hnsw.ef_search = {min(max(ef_search, candidates), 1000)}")
        try:
            # pgvector >= 0.8: a filtered HNSW scan goes on until enough rows pass the filter.
            self.execute("SET hnsw.iterative_scan = relaxed_order")
        except DatabaseError:
            logger.info("pgvector < 0.8: filtered HNSW scans may return fewer candidates")

    @property
    def tables(self) -> Any:
        return self.info.tables

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        import psycopg

        with self.lock:
            try:
                cursor = self.conn.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []
            except psycopg.Error as exc:
                raise DatabaseError(
                    f"PostgreSQL query failed: {str(exc).strip().splitlines()[0]}",
                    hint="check that the database is up and the build tables exist",
                ) from exc

    def units(self) -> list[Chunk]:
        rows = self.execute(
            f"""SELECT id, kind, body, context, document, section, start_offset, end_offset,
                metadata FROM {self.tables.units} ORDER BY position"""
        )
        return [
            Chunk(
                id=r[0],
                kind=r[1],
                text=r[2],
                context=r[3],
                source=SourceSpan(r[4], r[5], r[6], r[7]),
                metadata=r[8],
            )
            for r in rows
        ]

    def documents(self) -> dict[str, str]:
        rows = self.execute(f"SELECT name, body FROM {self.tables.documents}")
        return {str(name): str(body) for name, body in rows}

    def close(self) -> None:
        self.conn.close()


class PgVectors(VectorIndex):
    """The unit vectors of a build, searched in the database."""

    def __init__(self, store: PostgresStore) -> None:  # no FAISS index: pylint: disable
        self._store = store

    @property
    def dim(self) -> int:
        return self._store.info.dim

    def __len__(self) -> int:
        return self._store.info.units

    def vectors(self) -> Vectors:
        rows = self._store.execute(
            f"SELECT embedding FROM {self._store.tables.units} ORDER BY position"
        )
        return np.asarray([r[0] for r in rows], dtype=np.float32).reshape(-1, self.dim)

    def write(self, folder: Path) -> None:
        raise NotImplementedError("a PostgreSQL build is written by assistant.pgstore.writer")

    def search(
        self,
        query: Vectors,
        top_k: int,
        *,
        allowed: Sequence[int] | npt.NDArray[np.int64] | None = None,
    ) -> list[tuple[int, float]]:
        if top_k < 1:
            raise InvalidQueryError(f"top_k must be greater than 0, got {top_k}")
        if query.shape[-1] != self.dim:
            raise InvalidQueryError(
                f"query vector has {query.shape[-1]} dimensions, the index has {self.dim}"
            )
        where = "" if allowed is None else "WHERE position = ANY(%(allowed)s)"
        rows = self._store.execute(
            f"""SELECT position, -(embedding <#> %(q)s) FROM {self._store.tables.units} {where}
                ORDER BY embedding <#> %(q)s LIMIT %(k)s""",
            {"q": _vector(query), "k": top_k, "allowed": _positions(allowed)},
        )
        return [(int(p), float(s)) for p, s in rows]


class PgSegments(SegmentIndex):
    """The sentence vectors of a build, ranked in the database for the answerer."""

    def __init__(self, store: PostgresStore) -> None:
        empty = np.zeros((0, 3), dtype=np.int64)
        super().__init__(rows=empty, vectors=np.zeros((0, store.info.dim), dtype=np.float32))
        object.__setattr__(self, "_store", store)

    def __len__(self) -> int:
        store: PostgresStore = self.__dict__["_store"]
        return store.info.segments

    def best_per_unit(self, query: Vectors, unit_count: int) -> npt.NDArray[np.float32]:
        store: PostgresStore = self.__dict__["_store"]
        best = np.full(unit_count, -1.0, dtype=np.float32)
        rows = store.execute(
            f"""SELECT unit_position, max(-(embedding <#> %s)) FROM {store.tables.segments}
                GROUP BY unit_position""",
            (_vector(query),),
        )
        for unit, score in rows:
            best[unit] = score
        return best

    def ranked_in_unit(self, query: Vectors, unit: int) -> list[tuple[int, int, float]]:
        store: PostgresStore = self.__dict__["_store"]
        rows = store.execute(
            f"""SELECT start_offset, end_offset, -(embedding <#> %s) AS score
                FROM {store.tables.segments} WHERE unit_position = %s
                ORDER BY score DESC, position""",
            (_vector(query), unit),
        )
        return [(int(s), int(e), float(score)) for s, e, score in rows]


class PgRetriever(Retriever):
    """A ``Retriever`` whose ranking runs in PostgreSQL (same signature, same ``Hit`` objects).

    ``Retriever.__init__`` is not called: it builds the in-memory BM25 and expects a FAISS
    index, which this store keeps in the database instead.
    """

    def __init__(
        self,
        store: PostgresStore,
        embedder: Embedder,
        *,
        config: RetrievalConfig | None = None,
        glossary: Glossary | None = None,
        reranker: Reranker | None = None,
        gazetteer: Gazetteer | None = None,
        units: list[Chunk] | None = None,
    ) -> None:
        self.store = store
        self.units = units if units is not None else store.units()
        self.vectors = PgVectors(store)
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.glossary = glossary or Glossary([])
        self.reranker = reranker
        self.segments = PgSegments(store) if store.info.segments else None
        self.gazetteer = gazetteer
        self.identifiers = Identifiers(self.units)
        self._theme_outlines = [
            (i, [fold(str(t)) for t in _as_list(u.metadata.get("theme"))])
            for i, u in enumerate(self.units)
            if u.metadata.get("group") == "theme"
        ]

    def search(
        self, query: str, *, top_k: int = 5, filters: FilterSpec | None = None
    ) -> SearchResult:
        """As ``Retriever.search``: a comparison of territories gets each its share."""
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

    def themes_named(self, query: AnalyzedQuery) -> frozenset[str]:
        return frozenset(self.units[i].id for i in self._named_positions(query))

    def check_dimensions(self) -> None:
        if self.embedder.dim != self.vectors.dim:
            raise IndexMismatchError(
                f"the embedder gives {self.embedder.dim}-d vectors, "
                f"the database holds {self.vectors.dim}-d ones",
                hint=REBUILD_HINT,
            )

    def _compared_places(self, query: str, filters: FilterSpec | None) -> list[str]:
        if self.gazetteer is None or (filters and "territory" in filters):
            return []
        return [place.name for place in self.gazetteer.find(query) if place.covered]

    def _named_positions(self, query: AnalyzedQuery) -> list[int]:
        words = fold(f"{query.text} {query.expansion}")
        return [p for p, themes in self._theme_outlines if any(t in words for t in themes)]

    def _rank(
        self,
        analysis: AnalyzedQuery,
        vector: Vectors | None,
        top_k: int,
        filters: FilterSpec | None,
    ) -> list[Hit]:
        depth = max(top_k, self.config.rerank_depth if self.reranker else top_k)
        limit = depth * _OVERFETCH if self.config.merge_overlaps else depth
        sql, params = self.ranking_sql(analysis, vector, filters, limit=limit)
        rows = self.store.execute(sql, params)
        hits = [Hit(self.units[int(position)], float(score)) for position, score in rows]
        return merge_overlaps(hits, depth) if self.config.merge_overlaps else hits[:depth]

    def ranking_sql(
        self,
        analysis: AnalyzedQuery,
        vector: Vectors | None,
        filters: FilterSpec | None,
        *,
        limit: int,
    ) -> tuple[str, dict[str, Any]]:
        """The statement that ranks the units, and its parameters."""
        config, tables, info = self.config, self.store.tables, self.store.info
        where, params = filter_sql(filters)
        params |= {"n": self.store.candidates, "limit": limit}
        dense = config.mode != "lexical"
        lexical = config.mode != "dense"
        sentences = dense and info.segments > 0 and config.sentence_weight > 0
        ctes: list[str] = []
        pool: list[str] = []
        if dense:
            params["q"] = _vector(vector)
            ctes.append(
                f"""dense AS (SELECT u.position FROM {tables.units} u WHERE {where}
                    ORDER BY u.embedding <#> %(q)s LIMIT %(n)s)"""
            )
            pool.append("SELECT position FROM dense")
        if sentences:
            ctes.append(
                f"""sent AS (SELECT s.unit_position AS position FROM {tables.segments} s
                    JOIN {tables.units} u ON u.position = s.unit_position WHERE {where}
                    ORDER BY s.embedding <#> %(q)s LIMIT %(n)s)"""
            )
            pool.append("SELECT position FROM sent")
        if lexical:
            lexemes, weights = self._query_terms(analysis)
            params |= {"lexemes": lexemes, "weights": weights}
            join = f"JOIN {tables.units} u ON u.position = p.position" if filters else ""
            ctes.append(
                f"""terms AS (
                    SELECT l.id, t.weight * l.idf AS weight
                    FROM unnest(%(lexemes)s::text[], %(weights)s::float8[]) AS t(lexeme, weight)
                    JOIN {tables.lexicon} l ON l.lexeme = t.lexeme),
                lex_all AS (
                    SELECT p.position, sum(t.weight * p.tf) AS score
                    FROM terms t JOIN {tables.postings} p ON p.lexeme = t.id {join}
                    WHERE {where}
                    GROUP BY p.position),
                lex AS (SELECT position FROM lex_all ORDER BY score DESC, position
                        LIMIT %(n)s)"""
            )
            pool.append("SELECT position FROM lex")
        identified = self.identifiers.named(analysis.text).tolist() if config.id_boost else []
        params["identified"] = identified
        if identified:  # the records whose code the query writes, filters applied
            ctes.append(
                f"""ident AS (SELECT u.position FROM {tables.units} u
                    WHERE u.position = ANY(%(identified)s::int[]) AND {where})"""
            )
            pool.append("SELECT position FROM ident")
        unit_cos = "-(u.embedding <#> %(q)s)" if dense else "0"
        sent_cos = (
            f"""(SELECT max(-(s.embedding <#> %(q)s)) FROM {tables.segments} s
                 WHERE s.unit_position = p.position)"""
            if sentences
            else "NULL"
        )
        sw = config.sentence_weight if sentences else 0.0
        lex_score = "coalesce(la.score, 0)" if lexical else "0"
        lex_join = "LEFT JOIN lex_all la ON la.position = p.position" if lexical else ""
        ctes.append(
            f"""pool AS ({" UNION ".join(pool)}),
            scored AS (
                SELECT p.position, u.outline,
                       {1 - sw} * {unit_cos} + {sw} * coalesce({sent_cos}, {unit_cos}) AS dense,
                       {lex_score}::float8 AS lexical
                FROM pool p JOIN {tables.units} u ON u.position = p.position {lex_join}),
            normed AS (
                SELECT position, outline,
                       {_minmax("dense")} AS d, {_minmax("lexical")} AS l,
                       row_number() OVER (ORDER BY dense DESC, position) AS rank_d,
                       row_number() OVER (ORDER BY lexical DESC, position) AS rank_l
                FROM scored)"""
        )
        params["named"] = self._named_positions(analysis)
        fused = self._fusion(analysis)
        if analysis.wants_list and config.list_boost:
            fused += f" + {config.list_boost} * outline::int"
        if analysis.wants_list and config.theme_boost:
            fused += f" + {config.theme_boost} * (position = ANY(%(named)s::int[]))::int"
        if identified:
            fused += f" + {config.id_boost} * (position = ANY(%(identified)s::int[]))::int"
        sql = f"""WITH {", ".join(ctes)}
            SELECT position, {fused} AS score FROM normed
            ORDER BY score DESC, position LIMIT %(limit)s"""
        return sql, params

    def _fusion(self, analysis: AnalyzedQuery) -> str:
        config = self.config
        if config.mode == "dense":
            return "d"
        if config.mode == "lexical":
            return "l"
        if config.fusion == "rrf":
            k = config.rrf_k
            both = f"(1.0 / ({k} + rank_d) + 1.0 / ({k} + rank_l))"
            return f"{_minmax(both, window=True)}"
        weight = config.dense_weight_en if analysis.language == "en" else config.dense_weight_fr
        return f"({weight} * d + {1 - weight} * l)"

    def _query_terms(self, analysis: AnalyzedQuery) -> tuple[list[str], list[float]]:
        """The query's lexemes, as the database analyses them, and their weights (expansion
        terms count ``expansion_weight`` each); question words and stop words left out."""
        expansion_weight = self.config.expansion_weight if analysis.expansion else 0.0
        rows = self.store.execute(
            """SELECT lexeme, sum(weight) FROM (
                   SELECT lexeme, cardinality(positions)::float8 AS weight
                   FROM unnest(to_tsvector(%(config)s::regconfig, %(text)s))
                   UNION ALL
                   SELECT lexeme, %(ew)s * cardinality(positions)
                   FROM unnest(to_tsvector(%(config)s::regconfig, %(expansion)s))
               ) t GROUP BY lexeme HAVING sum(weight) > 0 ORDER BY lexeme""",
            {
                "config": self.store.info.text_config,
                "text": _content_words(analysis.text),
                "expansion": _content_words(analysis.expansion) if expansion_weight else "",
                "ew": expansion_weight,
            },
        )
        return [str(r[0]) for r in rows], [float(r[1]) for r in rows]


def filter_sql(filters: FilterSpec | None) -> tuple[str, dict[str, Any]]:
    """SQL conditions on the unit alias ``u`` for the filters (validated as the embedded store
    validates them), and their parameters."""
    spec = UnitFilter(filters)
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for i, (key, values) in enumerate(spec.filters.items()):
        name = f"f{i}"
        params[name] = [fold(v) for v in values]
        column = f"u.{filter_column(key)}"
        if key in PARTIAL_KEYS:
            clauses.append(
                f"EXISTS (SELECT 1 FROM unnest({column}) v, unnest(%({name})s::text[]) w "
                "WHERE strpos(v, w) > 0)"
            )
        else:
            clauses.append(f"{column} && %({name})s::text[]")
    return (" AND ".join(clauses) or "true"), params


def _positions(allowed: Sequence[int] | npt.NDArray[np.int64] | None) -> list[int]:
    return [] if allowed is None else [int(p) for p in allowed]


def _minmax(column: str, *, window: bool = True) -> str:
    low, high = f"min({column}) OVER ()", f"max({column}) OVER ()"
    return f"CASE WHEN {high} > {low} THEN ({column} - {low}) / ({high} - {low}) ELSE 0 END"


def _content_words(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text.lower()) if fold(w) not in STOP_WORDS)


def _vector(vector: Vectors | None) -> Any:
    if vector is None:  # pragma: no cover - only lexical mode has no vector
        raise ValueError("dense scores need the query vector")
    from pgvector import Vector

    return Vector(np.asarray(vector, dtype=np.float32).reshape(-1))


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value] if value else []


def _interleave(rankings: Sequence[list[Hit]], limit: int) -> list[Hit]:
    merged: list[Hit] = []
    seen: set[str] = set()
    for depth in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if depth < len(ranking) and ranking[depth].chunk.id not in seen:
                seen.add(ranking[depth].chunk.id)
                merged.append(ranking[depth])
    return merged[:limit]


def open_build(
    store: PostgresStore,
    embedder: Embedder,
    *,
    embedder_identity: dict[str, Any],
    chunking: dict[str, Any],
    config: RetrievalConfig,
    glossary: Glossary,
    reranker: Reranker | None,
    gazetteer: Gazetteer,
) -> tuple[LoadedIndex, PgRetriever]:
    """The store's current build as a loaded index (units, documents, manifest) and a retriever
    over it; ``IndexMismatchError`` when built with another embedder or chunking."""
    manifest = Manifest.model_validate(store.info.manifest)
    check_compatible(manifest, embedder=embedder_identity, chunking=chunking)
    retriever = PgRetriever(
        store, embedder, config=config, glossary=glossary, reranker=reranker, gazetteer=gazetteer
    )
    retriever.check_dimensions()
    index = LoadedIndex(
        Path(f"postgres:{store.tables.build_id}"),
        manifest,
        retriever.units,
        retriever.vectors,
        retriever.segments,
        store.documents(),
    )
    return index, retriever
