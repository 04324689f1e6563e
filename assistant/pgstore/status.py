"""Whether the database holds the build the local index describes (for ``build --if-needed``)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.index.store import Manifest, check_compatible
from assistant.pgstore.schema import connect, current_build, require_current


def database_status(
    database_url: str, fingerprint: str, *, embedder: dict[str, Any], chunking: dict[str, Any]
) -> str | None:
    """Why the database needs a build, or ``None`` when its current build is that corpus's,
    built with that embedder and chunking."""
    try:
        with connect(database_url) as conn:
            info = current_build(conn)
        if info is None:
            return "nothing was built into the database yet"
        manifest = Manifest.model_validate(info.manifest)
        check_compatible(manifest, embedder=embedder, chunking=chunking)
    except AssistantError as exc:
        return exc.message
    if manifest.corpus_fingerprint != fingerprint:
        return "the database holds a build of another version of the corpus"
    return None


def require_database_build(database_url: str) -> None:
    """``IndexNotFoundError`` (or ``DatabaseError``) unless the database has a current build."""
    with connect(database_url) as conn:
        require_current(conn, database_url)
