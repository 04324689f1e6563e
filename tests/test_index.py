"""The FAISS index and its build: exact against brute force, atomic, incremental, checked."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.build import build_index, embeddings_path, index_status
from assistant.config import Settings
from assistant.errors import BuildInProgressError, IndexMismatchError, IndexNotFoundError
from assistant.index.embedders import E5Embedder
from assistant.index.store import build_lock, current_build, load_index, read_manifest
from assistant.index.vectors import VectorIndex, factory_string
from assistant.retrieval.hybrid import RetrievalConfig, Retriever
from assistant.wiring import open_retriever
from tests.conftest import FakeEmbedder


def _load(settings: Settings, embedder: object) -> Retriever:
    """A dense-only retriever without merging, to compare FAISS with brute force."""
    index = load_index(
        settings.index_dir,
        embedder={"backend": embedder.backend},  # type: ignore[attr-defined]
        chunking={"chunk_size": settings.chunk_size},
    )
    config = RetrievalConfig(mode="dense", merge_overlaps=False)
    return Retriever(index.units, index.vectors, embedder, config=config)  # type: ignore[arg-type]


def test_faiss_hits_match_brute_force_cosine(small_corpus: Settings, e5: E5Embedder) -> None:
    build_index(small_corpus, embedder=e5, progress=False)
    index = load_index(small_corpus.index_dir, embedder={}, chunking={})
    retriever = Retriever(
        index.units, index.vectors, e5, config=RetrievalConfig(mode="dense", merge_overlaps=False)
    )
    matrix = e5.embed_documents([u.indexed_text for u in index.units])
    for query in ["ouvrir une recyclerie", "réparer son vélo", "aide pour démarrer"]:
        vector = e5.embed_query(query)
        scores = matrix @ vector
        expected = list(np.argsort(-scores)[:3])
        found = index.vectors.search(vector, 3)
        assert [position for position, _ in found] == expected
        assert [s for _, s in found] == pytest.approx(sorted(scores, reverse=True)[:3], abs=1e-4)
        hits = retriever.retrieve(query, top_k=3)  # dense mode ranks as FAISS does
        assert [h.chunk.id for h in hits] == [index.units[i].id for i in expected]


def test_filters_are_applied_inside_the_search(small_corpus: Settings, e5: E5Embedder) -> None:
    build_index(small_corpus, embedder=e5, progress=False)
    retriever = _load(small_corpus, e5)
    hits = retriever.retrieve("réparer", top_k=10, filters={"document": "mobilite"})
    assert hits and all(h.chunk.source.document == "mobilite.md" for h in hits)
    allowed = sum(u.source.document == "mobilite.md" for u in retriever.units)
    assert len(hits) == allowed  # top_k filled from the filtered units, not cut after ranking
    assert retriever.retrieve("réparer", filters={"section": "pas une section"}) == []


def test_build_then_load_gives_the_same_hits(small_corpus: Settings, e5: E5Embedder) -> None:
    build_index(small_corpus, embedder=e5, progress=False)
    report = build_index(small_corpus, embedder=e5, progress=False)
    index = load_index(small_corpus.index_dir, embedder={}, chunking={})
    in_memory = Retriever(index.units, index.vectors, e5, segments=index.segments)
    first = [(h.chunk.id, h.score) for h in in_memory.retrieve("bénévoles", top_k=4)]
    reloaded = open_retriever(small_corpus)  # from disk, the default embedder from settings
    again = [(h.chunk.id, h.score) for h in reloaded.retrieve("bénévoles", top_k=4)]
    assert report.embedded == 0  # the second build reused every vector
    assert [i for i, _ in first] == [i for i, _ in again]
    assert [s for _, s in first] == pytest.approx([s for _, s in again], abs=1e-5)


def test_loaded_units_share_their_repeated_strings(small_corpus: Settings) -> None:
    build_index(small_corpus, embedder=FakeEmbedder(), progress=False)
    units = load_index(small_corpus.index_dir, embedder={}, chunking={}).units
    by_document: dict[str, list[str]] = {}
    for unit in units:
        by_document.setdefault(unit.source.document, []).append(unit.source.document)
    # One string object for all the units of a document, not one copy each.
    assert any(len(names) > 1 for names in by_document.values())
    for names in by_document.values():
        assert all(name is names[0] for name in names)


def test_manifest_mismatch_is_refused_with_a_rebuild_hint(small_corpus: Settings) -> None:
    build_index(small_corpus, embedder=FakeEmbedder(), progress=False)
    other_chunking = small_corpus.model_copy(update={"chunk_size": 800})
    with pytest.raises(IndexMismatchError) as error:
        open_retriever(other_chunking)
    assert "chunk_size is 400 in the index but 800 now" in error.value.message
    assert "embedder backend is 'fake'" in error.value.message
    assert error.value.hint is not None and "assistant build" in error.value.hint
    assert index_status(other_chunking) is not None


def test_missing_index_says_to_build(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with pytest.raises(IndexNotFoundError) as error:
        open_retriever(settings)
    assert error.value.hint == 'run "assistant build" first'


def test_rebuild_embeds_only_changed_units(small_corpus: Settings) -> None:
    embedder = FakeEmbedder()
    first = build_index(small_corpus, embedder=embedder, progress=False)
    assert first.reused + first.embedded == first.units + first.segments
    second = build_index(small_corpus, embedder=FakeEmbedder(), progress=False)
    assert second.embedded == 0 and second.reused == first.units + first.segments

    path = small_corpus.documents_dir / "mobilite.md"
    path.write_text(path.read_text().replace("bas prix", "prix solidaire"), encoding="utf-8")
    counting = FakeEmbedder()
    third = build_index(small_corpus, embedder=counting, progress=False)
    # The changed passage and its changed sentence, nothing else; here the passage is that one
    # sentence (same text embedded), so the model sees it once.
    assert third.embedded == 2
    assert len(counting.embedded) == 1
    assert all("prix solidaire" in text for text in counting.embedded)
    assert third.reused == first.units + first.segments - 2


def test_index_status_tells_when_a_rebuild_is_needed(
    small_corpus: Settings, e5: E5Embedder
) -> None:
    assert index_status(small_corpus) == f"no index in {small_corpus.index_dir}"
    build_index(small_corpus, embedder=e5, progress=False)
    assert index_status(small_corpus) is None
    (small_corpus.documents_dir / "nouveau.md").write_text("# Nouveau\n\nTexte neuf.\n")
    assert index_status(small_corpus) == "the corpus changed since the index was built"
    assert "chunk_size" in str(index_status(small_corpus.model_copy(update={"chunk_size": 900})))


class ExplodingEmbedder(FakeEmbedder):
    def embed_documents(self, texts, *, progress=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("killed mid-build")


def test_an_interrupted_build_leaves_the_previous_index_intact(small_corpus: Settings) -> None:
    build_index(small_corpus, embedder=FakeEmbedder(), progress=False)
    before = current_build(small_corpus.index_dir)
    manifest = read_manifest(small_corpus.index_dir)
    (small_corpus.documents_dir / "nouveau.md").write_text("# Nouveau\n\nTexte neuf.\n")
    with pytest.raises(RuntimeError, match="killed"):
        build_index(small_corpus, embedder=ExplodingEmbedder(), progress=False)
    assert current_build(small_corpus.index_dir) == before
    assert read_manifest(small_corpus.index_dir) == manifest
    leftovers = [p.name for p in (small_corpus.index_dir / "builds").iterdir()]
    assert leftovers == [before.name]  # type: ignore[union-attr]


def test_saved_embeddings_let_a_fresh_build_embed_only_what_changed(
    small_corpus: Settings, tmp_path: Path
) -> None:
    first = build_index(small_corpus, embedder=FakeEmbedder(), progress=False, save_embeddings=True)
    saved = embeddings_path(small_corpus, FakeEmbedder())
    assert saved.is_file() and saved.parent == small_corpus.corpus_dir / "embeddings"
    # A fresh clone: no index yet, the corpus with its saved vectors.
    fresh = small_corpus.model_copy(update={"index_dir": tmp_path / "fresh-index"})
    counting = FakeEmbedder()
    again = build_index(fresh, embedder=counting, progress=False)
    assert again.embedded == 0 and counting.embedded == []
    assert again.reused == first.units + first.segments
    built = load_index(fresh.index_dir, embedder={"backend": "fake"}, chunking={})
    original = load_index(small_corpus.index_dir, embedder={"backend": "fake"}, chunking={})
    assert np.array_equal(built.vectors.vectors(), original.vectors.vectors())
    # A changed document: only its new texts are embedded.
    path = small_corpus.documents_dir / "mobilite.md"
    path.write_text(path.read_text().replace("bas prix", "prix solidaire"), encoding="utf-8")
    counting = FakeEmbedder()
    changed = build_index(
        fresh.model_copy(update={"index_dir": tmp_path / "other"}), embedder=counting,
        progress=False,
    )  # fmt: skip
    assert changed.embedded == 2 and all("prix solidaire" in t for t in counting.embedded)
    # A damaged file is ignored: everything is embedded, the build still succeeds.
    saved.write_bytes(b"not an npz")
    counting = FakeEmbedder()
    damaged = build_index(
        fresh.model_copy(update={"index_dir": tmp_path / "third"}), embedder=counting,
        progress=False,
    )  # fmt: skip
    assert damaged.reused == 0 and counting.embedded


def test_a_concurrent_build_is_refused(small_corpus: Settings) -> None:
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with build_lock(small_corpus.index_dir):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(BuildInProgressError):
            build_index(small_corpus, embedder=FakeEmbedder(), progress=False)
    finally:
        release.set()
        thread.join()


def test_a_flat_index_for_small_corpora_ivf_for_large_ones() -> None:
    assert factory_string(200) == "Flat"
    assert factory_string(200_000) == "IVF1024,SQ8"  # about 2·√n lists
    assert factory_string(2_000, approximate_above=1_000) == "IVF31,SQ8"  # 64 points a list
    vectors = np.eye(4, dtype=np.float32)
    index = VectorIndex.from_vectors(vectors)
    assert index.search(vectors[2], 1) == [(2, pytest.approx(1.0))]
    assert index.search(vectors[2], 2, allowed=[0, 1])[0][1] == pytest.approx(0.0)
    assert np.allclose(index.vectors(), vectors)
