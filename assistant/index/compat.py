"""Which settings shape an index: the manifest records them and loading checks them."""

from __future__ import annotations

from typing import Any

from assistant.config import Settings
from assistant.index.embedders import make_embedder
from assistant.ingest.chunking import CHUNKING_STRATEGY
from assistant.profile import load_profile


def chunking_settings(settings: Settings) -> dict[str, Any]:
    plan = load_profile(settings.profile_path).plan
    return {
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "strategy": CHUNKING_STRATEGY,
        "axes": [plan.strategic_axis, plan.operational_axis],
    }


def embedder_settings(settings: Settings) -> dict[str, Any]:
    """The embedder's identity as the settings define it, without loading the model."""
    embedder = make_embedder(settings)
    return {"backend": embedder.backend, "model": embedder.model}
