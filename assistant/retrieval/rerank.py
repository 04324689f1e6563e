"""Optional reranking of the first results by a cross-encoder.

Off by default: no multilingual cross-encoder ships in a package here, and an English ms-marco
cross-encoder made French rankings worse in trials. The evaluation harness compares any
configured reranker with no reranking before anyone enables it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from assistant.errors import ConfigurationError
from assistant.types import Hit


class Reranker(Protocol):
    """Reorders hits for a query; scores are replaced by the reranker's (higher is better)."""

    name: str

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]: ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` (a local folder or a model name)."""

    def __init__(self, model: str) -> None:
        if not model:
            raise ConfigurationError(
                "the cross-encoder reranker needs a model",
                hint="set ASSISTANT_RERANKER_MODEL to a local cross-encoder folder",
            )
        self.name = f"cross-encoder:{model}"
        self.model = model
        self._encoder: Any = None

    def _load(self) -> Any:
        if self._encoder is None:
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as exc:
                raise ImportError(
                    "the reranker needs the 'st' extra: pip install -e '.[st]'"
                ) from exc
            try:
                self._encoder = CrossEncoder(self.model, device="cpu")
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"cannot load the cross-encoder {self.model!r}: {exc}",
                    hint="give a local cross-encoder folder, or unset ASSISTANT_RERANKER_MODEL",
                ) from exc
        return self._encoder

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if not hits:
            return []
        scores = self._load().predict([(query, hit.chunk.indexed_text) for hit in hits])
        rescored = [replace(hit, score=float(s)) for hit, s in zip(hits, scores, strict=True)]
        return sorted(rescored, key=lambda hit: hit.score, reverse=True)
