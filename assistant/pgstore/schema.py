"""Tables of the PostgreSQL store, and connections to it.

Each build has its own tables, named after its id::

    assistant_builds            one row per build: manifest, counts, text search configuration
    assistant_current           one row: the build served (switched in the build's transaction)
    assistant_units_<id>        units: text, offsets, metadata, vector, tsvector, filter columns
    assistant_segments_<id>     sentences of the units with their vectors
    assistant_lexicon_<id>      each lexeme of the tsvectors, its document frequency and idf
    assistant_postings_<id>     (lexeme, unit, BM25 term weight): what a query's terms read
    assistant_documents_<id>    the texts the units' offsets point into

A build's tables are created, filled and indexed, and the pointer moved, in one transaction:
readers see the previous build until it commits, and nothing of a failed build.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from assistant.errors import AssistantError, ConfigurationError, IndexNotFoundError
from assistant.retrieval.filters import FILTER_KEYS

TEXT_CONFIG = "assistant_french"  # french stemming, accents removed first (unaccent)
BUILDS = "assistant_builds"
CURRENT = "assistant_current"
# Filter keys matched on part of the value, as assistant.retrieval.filters does.
PARTIAL_KEYS = frozenset({"document", "section", "territory"})
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
BM25_K1 = 1.2
BM25_B = 0.75
DATABASE_HINT = "set ASSISTANT_DATABASE_URL to a PostgreSQL server with pgvector"


class DatabaseError(AssistantError):
    """The PostgreSQL store cannot be reached or is not usable."""


def filter_column(key: str) -> str:
    """The column holding the folded values of a filter key."""
    if key not in FILTER_KEYS:  # pragma: no cover - keys come from FILTER_KEYS
        raise ValueError(f"unknown filter key {key!r}")
    return f"f_{key}"


@dataclass(frozen=True)
class BuildTables:
    """The table names of one build."""

    build_id: str

    def __post_init__(self) -> None:
        if not self.build_id.isalnum() or not self.build_id.islower():
            raise ValueError(f"build ids are lower-case letters and digits, got {self.build_id!r}")

    @property
    def units(self) -> str:
        return f"assistant_units_{self.build_id}"

    @property
    def segments(self) -> str:
        return f"assistant_segments_{self.build_id}"

    @property
    def lexicon(self) -> str:
        return f"assistant_lexicon_{self.build_id}"

    @property
    def postings(self) -> str:
        return f"assistant_postings_{self.build_id}"

    @property
    def documents(self) -> str:
        return f"assistant_documents_{self.build_id}"

    def all(self) -> tuple[str, ...]:
        return (self.segments, self.postings, self.lexicon, self.documents, self.units)


def connect(url: str) -> Any:
    """An autocommit psycopg connection with pgvector's types registered."""
    if not url:
        raise ConfigurationError("ASSISTANT_DATABASE_URL is empty", hint=DATABASE_HINT)
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:  # pragma: no cover - the postgres extra is missing
        raise ConfigurationError(
            f"the postgres store needs psycopg and pgvector ({exc.name} is missing)",
            hint="pip install 'ess-assistant[postgres]'",
        ) from exc
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseError(
            f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}", hint=DATABASE_HINT
        ) from exc
    # The vector type may not exist yet: the first build creates the extension.
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)
    return conn


def ensure_schema(conn: Any) -> str:
    """Create the extensions, the text search configuration and the shared tables; return the
    text search configuration to use (``french`` when unaccent is not available)."""
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except Exception as exc:
        raise DatabaseError(
            f"the pgvector extension is not available: {str(exc).strip().splitlines()[0]}",
            hint="install pgvector on the server (https://github.com/pgvector/pgvector)",
        ) from exc
    config = "french"
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            exists = conn.execute(
                "SELECT 1 FROM pg_ts_config WHERE cfgname = %s", (TEXT_CONFIG,)
            ).fetchone()
            if exists is None:
                conn.execute(f"CREATE TEXT SEARCH CONFIGURATION {TEXT_CONFIG} (COPY = french)")
                conn.execute(
                    f"ALTER TEXT SEARCH CONFIGURATION {TEXT_CONFIG} ALTER MAPPING FOR "
                    "hword, hword_part, word WITH unaccent, french_stem"
                )
        config = TEXT_CONFIG
    except Exception:  # unaccent is optional: plain French stemming then
        config = "french"
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {BUILDS} (
            id text PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            manifest jsonb NOT NULL,
            text_config text NOT NULL,
            dim int NOT NULL,
            units int NOT NULL,
            segments int NOT NULL,
            average_length float8 NOT NULL
        )"""
    )
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {CURRENT} (
            singleton bool PRIMARY KEY DEFAULT true CHECK (singleton),
            build_id text NOT NULL REFERENCES {BUILDS} (id)
        )"""
    )
    from pgvector.psycopg import register_vector

    register_vector(conn)
    return config


@dataclass(frozen=True)
class BuildInfo:
    """The row of a build in ``assistant_builds``."""

    tables: BuildTables
    manifest: dict[str, Any]
    text_config: str
    dim: int
    units: int
    segments: int
    average_length: float


def current_build(conn: Any) -> BuildInfo | None:
    """The build being served, or ``None`` when nothing was built into this database."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (CURRENT,)).fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        f"""SELECT b.id, b.manifest, b.text_config, b.dim, b.units, b.segments, b.average_length
            FROM {CURRENT} c JOIN {BUILDS} b ON b.id = c.build_id"""
    ).fetchone()
    if row is None:
        return None
    return BuildInfo(BuildTables(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])


def require_current(conn: Any, url: str) -> BuildInfo:
    info = current_build(conn)
    if info is None:
        raise IndexNotFoundError(
            f"no index in the database {_redacted(url)}",
            hint='run "assistant build" with ASSISTANT_STORE=postgres first',
        )
    return info


def _redacted(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
