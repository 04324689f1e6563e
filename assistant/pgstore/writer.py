"""Write a build into PostgreSQL: new tables, filled, indexed and made current in one transaction.

An exception anywhere before the commit (a unit that cannot be written, the connection lost, an
interrupted build) rolls everything back: the previous build keeps serving and no half-written
table is left. Builds older than the previous one are dropped afterwards, in their own
transaction, so that a serve instance still reading the previous build is not cut off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import numpy as np

from assistant.errors import BuildInProgressError
from assistant.index.embedders import Vectors
from assistant.index.sentences import SegmentIndex
from assistant.pgstore.schema import (
    BM25_B,
    BM25_K1,
    BUILDS,
    CURRENT,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    PARTIAL_KEYS,
    BuildTables,
    connect,
    ensure_schema,
    filter_column,
)
from assistant.retrieval.filters import FILTER_KEYS
from assistant.text import fold
from assistant.types import Chunk

logger = logging.getLogger(__name__)

BUILD_LOCK_KEY = 0x455353  # pg_advisory lock held by the build transaction ("ESS")
_FILTER_KEYS = tuple(FILTER_KEYS)
_UNIT_COLUMNS = (
    "position", "id", "kind", "body", "context", "document", "section", "start_offset",
    "end_offset", "metadata", "outline", "embedding", "indexed",
    *(filter_column(k) for k in _FILTER_KEYS),
)  # fmt: skip


@dataclass(frozen=True)
class PostgresBuild:
    """What a build wrote to the database."""

    build_id: str
    units: int
    segments: int
    size_bytes: int


def write_postgres_build(
    url: str,
    manifest: Mapping[str, Any],
    units: Sequence[Chunk],
    vectors: Vectors,
    segments: SegmentIndex | None = None,
    documents: Mapping[str, str] | None = None,
) -> PostgresBuild:
    """Write a complete build and make it current, in one transaction."""
    if len(units) != len(vectors):
        raise ValueError(f"{len(vectors)} vectors for {len(units)} units")
    dim = int(vectors.shape[1])
    tables = BuildTables("b" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + uuid4().hex[:8])
    with connect(url) as conn:
        text_config = ensure_schema(conn)
        with conn.transaction():
            locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (BUILD_LOCK_KEY,))
            if not locked.fetchone()[0]:
                raise BuildInProgressError(
                    "another build is writing to this database", hint="wait for it to finish"
                )
            # HNSW builds far faster when its graph fits in memory.
            conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            _write_units(conn, tables, units, vectors, dim, text_config)
            _write_segments(conn, tables, segments, dim)
            _write_documents(conn, tables, documents or {})
            average = conn.execute(f"SELECT coalesce(avg(dl), 1) FROM {tables.units}").fetchone()
            conn.execute(
                f"""INSERT INTO {BUILDS} (id, manifest, text_config, dim, units, segments,
                    average_length) VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                (tables.build_id, _jsonb(dict(manifest)), text_config, dim, len(units),
                 0 if segments is None else len(segments), max(float(average[0]), 1.0)),
            )  # fmt: skip
            conn.execute(
                f"""INSERT INTO {CURRENT} (singleton, build_id) VALUES (true, %s)
                    ON CONFLICT (singleton) DO UPDATE SET build_id = EXCLUDED.build_id""",
                (tables.build_id,),
            )
        size = build_size(conn, tables)
        _prune(conn, keep=tables.build_id)
    logger.info("PostgreSQL build %s is current (%d units)", tables.build_id, len(units))
    return PostgresBuild(tables.build_id, len(units), 0 if segments is None else len(segments),
                         size)  # fmt: skip


def build_size(conn: Any, tables: BuildTables) -> int:
    """Bytes of a build's tables with their indexes and TOAST."""
    total = 0
    for name in tables.all():
        row = conn.execute("SELECT pg_total_relation_size(to_regclass(%s))", (name,)).fetchone()
        total += int(row[0] or 0)
    return total


def _write_units(
    conn: Any,
    tables: BuildTables,
    units: Sequence[Chunk],
    vectors: Vectors,
    dim: int,
    text_config: str,
) -> None:
    filters = ", ".join(f"{filter_column(k)} text[] NOT NULL" for k in _FILTER_KEYS)
    staging = f"staging_{tables.build_id}"
    conn.execute(
        f"""CREATE TEMP TABLE {staging} (
            position int, id text, kind text, body text, context text, document text,
            section text, start_offset int, end_offset int, metadata jsonb, outline bool,
            embedding vector({dim}), indexed text, {filters}) ON COMMIT DROP"""
    )
    types = ["int4", "text", "text", "text", "text", "text", "text", "int4", "int4", "jsonb",
             "bool", "vector", "text", *(["text[]"] * len(_FILTER_KEYS))]  # fmt: skip
    with conn.cursor().copy(
        f"COPY {staging} ({', '.join(_UNIT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(types)
        for row in _unit_rows(units, vectors):
            copy.write_row(row)
    conn.execute(
        f"""CREATE TABLE {tables.units} (
            position int PRIMARY KEY, id text NOT NULL UNIQUE, kind text NOT NULL,
            body text NOT NULL, context text NOT NULL, document text NOT NULL,
            section text NOT NULL, start_offset int NOT NULL, end_offset int NOT NULL,
            metadata jsonb NOT NULL, outline bool NOT NULL, embedding vector({dim}) NOT NULL,
            tsv tsvector NOT NULL, dl int NOT NULL, {filters})"""
    )
    columns = [c for c in _UNIT_COLUMNS if c != "indexed"]
    conn.execute(
        f"""INSERT INTO {tables.units} ({", ".join(columns)}, tsv, dl)
            SELECT {", ".join(columns)}, tsv,
                   (SELECT coalesce(sum(cardinality(positions)), 0) FROM unnest(tsv))
            FROM (SELECT *, to_tsvector(%s::regconfig, indexed) AS tsv FROM {staging}) s""",
        (text_config,),
    )
    # BM25 over the tsvector's lexemes: each lexeme's idf, and a posting per (lexeme, unit) with
    # its length-normalised term frequency, so that a query reads only its terms' postings.
    conn.execute(
        f"""CREATE TABLE {tables.lexicon} (id int PRIMARY KEY, lexeme text NOT NULL UNIQUE,
            ndoc int NOT NULL, idf float8 NOT NULL)"""
    )
    conn.execute(
        f"""INSERT INTO {tables.lexicon}
            SELECT row_number() OVER (ORDER BY word), word, ndoc,
                   ln(1 + (%(count)s - ndoc + 0.5) / (ndoc + 0.5))
            FROM ts_stat('SELECT tsv FROM {tables.units}')""",
        {"count": len(units)},
    )
    average = conn.execute(f"SELECT greatest(avg(dl), 1) FROM {tables.units}").fetchone()[0]
    conn.execute(
        f"""CREATE TABLE {tables.postings} AS
            SELECT l.id AS lexeme, u.position,
                   (d.tf / (d.tf + %(k1)s * (1 - %(b)s + %(b)s * u.dl / %(avgdl)s)))::real AS tf
            FROM {tables.units} u
            CROSS JOIN LATERAL (SELECT lexeme, cardinality(positions)::float8 AS tf
                                FROM unnest(u.tsv)) d
            JOIN {tables.lexicon} l ON l.lexeme = d.lexeme""",
        {"k1": BM25_K1, "b": BM25_B, "avgdl": float(average)},
    )
    conn.execute(f"CREATE INDEX ON {tables.postings} (lexeme) INCLUDE (position, tf)")
    conn.execute(
        f"""CREATE INDEX ON {tables.units} USING hnsw (embedding vector_ip_ops)
            WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"""
    )
    conn.execute(f"CREATE INDEX ON {tables.units} USING gin (tsv)")
    for key in _FILTER_KEYS:
        if key not in PARTIAL_KEYS:
            conn.execute(f"CREATE INDEX ON {tables.units} USING gin ({filter_column(key)})")
    conn.execute(f"ANALYZE {tables.units}")
    conn.execute(f"ANALYZE {tables.postings}")


def _unit_rows(units: Sequence[Chunk], vectors: Vectors) -> Iterator[tuple[Any, ...]]:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    for position, unit in enumerate(units):
        yield (
            position, unit.id, unit.kind, unit.text, unit.context, unit.source.document,
            unit.source.section, unit.source.start, unit.source.end, _jsonb(unit.metadata),
            bool(unit.metadata.get("group")), matrix[position], unit.indexed_text,
            *(filter_values(unit, key) for key in _FILTER_KEYS),
        )  # fmt: skip


def filter_values(unit: Chunk, key: str) -> list[str]:
    """The folded values a filter key is matched against (as ``retrieval.filters`` does)."""
    value = unit.kind if key == "kind" else unit.metadata.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [str(value)]
    return [fold(str(v)) for v in values]


def _write_segments(
    conn: Any, tables: BuildTables, segments: SegmentIndex | None, dim: int
) -> None:
    conn.execute(
        f"""CREATE TABLE {tables.segments} (
            position int PRIMARY KEY, unit_position int NOT NULL, start_offset int NOT NULL,
            end_offset int NOT NULL, embedding vector({dim}) NOT NULL)"""
    )
    if segments is not None and len(segments):
        matrix = np.ascontiguousarray(segments.vectors, dtype=np.float32)
        with conn.cursor().copy(f"COPY {tables.segments} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int4", "int4", "int4", "vector"])
            for i, (unit, start, end) in enumerate(segments.rows.tolist()):
                copy.write_row((i, unit, start, end, matrix[i]))
    conn.execute(f"CREATE INDEX ON {tables.segments} (unit_position)")
    conn.execute(
        f"""CREATE INDEX ON {tables.segments} USING hnsw (embedding vector_ip_ops)
            WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"""
    )
    conn.execute(f"ANALYZE {tables.segments}")


def _write_documents(conn: Any, tables: BuildTables, documents: Mapping[str, str]) -> None:
    conn.execute(f"CREATE TABLE {tables.documents} (name text PRIMARY KEY, body text NOT NULL)")
    with conn.cursor().copy(f"COPY {tables.documents} (name, body) FROM STDIN") as copy:
        for name, text in documents.items():
            copy.write_row((name, text))


def _prune(conn: Any, *, keep: str) -> None:
    """Drop the builds before the previous one (a serve instance may still read that one)."""
    rows = conn.execute(
        f"SELECT id FROM {BUILDS} WHERE id <> %s ORDER BY created_at DESC, id DESC", (keep,)
    ).fetchall()
    for (build_id,) in rows[1:]:
        tables = BuildTables(build_id)
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                for name in tables.all():
                    conn.execute(f"DROP TABLE IF EXISTS {name}")
                conn.execute(f"DELETE FROM {BUILDS} WHERE id = %s", (build_id,))
        except Exception as exc:  # pruning is best effort, retried next build
            logger.warning("could not drop the old build %s: %s", build_id, exc)


def _jsonb(value: dict[str, Any]) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)
