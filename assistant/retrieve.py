"""Online retrieval: a query (and filters) to ranked units of the index."""

from __future__ import annotations

from assistant.compat import chunking_settings, embedder_settings
from assistant.config import Settings
from assistant.embed import Embedder, make_embedder
from assistant.errors import IndexMismatchError, InvalidQueryError
from assistant.filters import FilterSpec, UnitFilter
from assistant.store import REBUILD_HINT, LoadedIndex, load_index
from assistant.types import Hit

MAX_QUERY_CHARS = 2000


def check_query(query: str) -> str:
    """The query stripped; ``InvalidQueryError`` when it is empty or too long."""
    stripped = query.strip()
    if not stripped:
        raise InvalidQueryError("query must not be empty")
    if len(stripped) > MAX_QUERY_CHARS:
        raise InvalidQueryError(
            f"query is {len(stripped)} characters long; the maximum is {MAX_QUERY_CHARS}"
        )
    return stripped


class DenseRetriever:
    """Nearest units by embedding cosine similarity, filters applied inside FAISS."""

    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        built_dim = int(index.manifest.embedder.get("dim", index.vectors.dim))
        if embedder.dim != built_dim:
            raise IndexMismatchError(
                f"the embedder gives {embedder.dim}-d vectors, the index holds {built_dim}-d ones",
                hint=REBUILD_HINT,
            )

    def retrieve(
        self, query: str, *, top_k: int = 5, filters: FilterSpec | None = None
    ) -> list[Hit]:
        if not 1 <= top_k <= 100:
            raise InvalidQueryError(f"top_k must be between 1 and 100, got {top_k}")
        query = check_query(query)
        allowed = UnitFilter(filters).allowed(self.index.units)
        vector = self.embedder.embed_query(query)
        found = self.index.vectors.search(vector, top_k, allowed=allowed)
        return [Hit(self.index.units[position], score) for position, score in found]


def open_retriever(settings: Settings) -> DenseRetriever:
    """Load the index the settings point to, with the embedder it was built with."""
    index = load_index(
        settings.index_dir,
        embedder=embedder_settings(settings),
        chunking=chunking_settings(settings),
    )
    return DenseRetriever(index, make_embedder(settings))
