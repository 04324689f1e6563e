"""Whether the database holds the build the local index describes (for ``build --if-needed``)."""

from __future__ import annotations

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.index.compat import chunking_settings, embedder_settings
from assistant.index.store import Manifest, check_compatible
from assistant.pgstore.schema import connect, current_build, require_current


def database_status(settings: Settings, fingerprint: str) -> str | None:
    """Why the database needs a build, or ``None`` when its current build is that corpus's."""
    try:
        with connect(settings.database_url) as conn:
            info = current_build(conn)
        if info is None:
            return "nothing was built into the database yet"
        manifest = Manifest.model_validate(info.manifest)
        check_compatible(
            manifest, embedder=embedder_settings(settings), chunking=chunking_settings(settings)
        )
    except AssistantError as exc:
        return exc.message
    if manifest.corpus_fingerprint != fingerprint:
        return "the database holds a build of another version of the corpus"
    return None


def require_database_build(settings: Settings) -> None:
    """``IndexNotFoundError`` (or ``DatabaseError``) unless the database has a current build."""
    with connect(settings.database_url) as conn:
        require_current(conn, settings.database_url)
