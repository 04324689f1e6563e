"""What lets retrieval scale: approximate search against exact, candidates then fusion against
full scoring, filters inside the signals, memory-mapped save and load, the index type checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.errors import IndexMismatchError
from assistant.index.bm25 import TermIndex
from assistant.index.sentences import SegmentIndex
from assistant.index.vectors import FLAT, IVF_SQ8, VectorIndex
from assistant.retrieval.candidates import CandidateRanker, RetrievalConfig
from assistant.retrieval.filters import FilterIndex, UnitFilter
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import Retriever
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.query import analyze
from assistant.types import Chunk, SourceSpan
from tests.conftest import FakeEmbedder

WORDS = "recyclerie emploi insertion local bureau vélo atelier subvention prix coopérative".split()
PLACES = ["Niort", "Nantes", "Rennes", "Grenoble"]


def clustered(count: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 20, count)] + 0.5 * rng.standard_normal((count, dim))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def units(count: int) -> list[Chunk]:
    rng = np.random.default_rng(1)
    return [
        Chunk(
            id=f"u{i}",
            kind="passage" if i % 3 else "action",
            text=" ".join(rng.choice(WORDS, 6)),
            context="Doc",
            source=SourceSpan("doc.md", "S", i * 100, i * 100 + 50),
            metadata={"territory": PLACES[i % 4], "theme": [WORDS[i % 5], WORDS[(i + 1) % 5]]},
        )
        for i in range(count)
    ]


def test_the_approximate_index_finds_what_exact_search_finds() -> None:
    vectors = clustered(4000)
    exact = VectorIndex.from_vectors(vectors)
    approximate = VectorIndex.from_vectors(vectors, approximate_above=1000)
    assert (exact.kind, approximate.kind) == (FLAT, IVF_SQ8)
    rng = np.random.default_rng(5)
    queries = vectors[:30] + 0.3 * rng.standard_normal((30, 32)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    recall = np.mean(
        [
            len({p for p, _ in approximate.search(q, 10)} & {p for p, _ in exact.search(q, 10)})
            / 10
            for q in queries
        ]
    )
    assert recall >= 0.9
    # Candidates are re-scored from the float16 vectors: the true cosines within float16's
    # rounding, much closer than the 8-bit codes that found them.
    for position, score in approximate.search(queries[0], 5):
        assert score == pytest.approx(float(vectors[position] @ queries[0]), abs=5e-4)
    # A filter is applied inside the search, and a small one is searched exactly.
    allowed = np.arange(0, 4000, 7)
    found = approximate.search(queries[1], 10, allowed=allowed)
    assert [p for p, _ in found] == [p for p, _ in exact.search(queries[1], 10, allowed=allowed)]


def test_candidates_then_fusion_equals_full_scoring_when_the_candidates_cover_the_corpus() -> None:
    corpus = units(60)
    embedder = FakeEmbedder()
    matrix = embedder.embed_documents([u.indexed_text for u in corpus]).astype(np.float32)
    config = RetrievalConfig(candidates=100, merge_overlaps=False, list_boost=0)
    retriever = Retriever(corpus, VectorIndex.from_vectors(matrix), embedder, config=config)
    query = "atelier vélo insertion"
    dense = matrix @ embedder.embed_query(query)
    lexical = LexicalIndex([u.indexed_text for u in corpus]).scores(query)

    def minmax(values: np.ndarray) -> np.ndarray:
        return (values - values.min()) / (values.max() - values.min())

    full = 0.7 * minmax(dense) + 0.3 * minmax(lexical)
    hits = retriever.retrieve(query, top_k=10)
    expected = np.argsort(-full, kind="stable")[:10]
    assert [h.chunk.id for h in hits] == [corpus[i].id for i in expected]
    assert [h.score for h in hits] == pytest.approx(list(full[expected]), abs=1e-5)
    # Fewer candidates than units: the best still come first, the pool is never the corpus.
    narrow = Retriever(
        corpus,
        VectorIndex.from_vectors(matrix),
        embedder,
        config=RetrievalConfig(candidates=5, merge_overlaps=False, list_boost=0),
    )
    analysis = analyze(query, narrow.glossary)
    pool, _ = narrow.ranker.rank(analysis, embedder.embed_query(query), None)
    assert 5 <= pool.size < len(corpus)
    assert narrow.retrieve(query, top_k=1)[0].chunk.id == hits[0].chunk.id


def test_filters_are_value_sets_and_stay_inside_every_signal() -> None:
    corpus = units(90)
    index = FilterIndex(corpus)
    for spec in (
        {"territory": "nan"},
        {"theme": ["emploi", "local"]},
        {"kind": "action", "territory": "Niort"},
        {"territory": "Lyon"},
    ):
        expected = UnitFilter(spec).allowed(corpus)
        assert index.allowed(spec).tolist() == expected  # type: ignore[union-attr]
    assert index.allowed(None) is None
    embedder = FakeEmbedder()
    matrix = embedder.embed_documents([u.indexed_text for u in corpus])
    retriever = Retriever(
        corpus,
        VectorIndex.from_vectors(matrix),
        embedder,
        config=RetrievalConfig(candidates=3, merge_overlaps=False),
    )
    hits = retriever.retrieve("recyclerie", top_k=8, filters={"territory": "Rennes"})
    # Three candidates a signal, each taken among Rennes' units: all Rennes, none dropped.
    assert hits and all(h.chunk.metadata["territory"] == "Rennes" for h in hits)


def test_save_and_load_memory_map_and_give_the_same_results(tmp_path: Path) -> None:
    vectors = clustered(3000)
    texts = [u.indexed_text for u in units(3000)]
    for threshold in (5000, 1000):
        folder = tmp_path / str(threshold)
        folder.mkdir()
        built = VectorIndex.from_vectors(vectors, approximate_above=threshold)
        built.write(folder)
        loaded = VectorIndex.read(folder, kind=built.kind)
        assert isinstance(loaded._vectors, np.memmap)
        for query in clustered(5, seed=9):
            assert loaded.search(query, 10) == built.search(query, 10)
    lexical = LexicalIndex(texts)
    lexical.terms.save(tmp_path)
    saved = TermIndex.load(tmp_path)
    assert saved is not None and saved.size == lexical.size
    again = LexicalIndex.over(saved)
    assert np.allclose(again.scores("atelier vélo"), lexical.scores("atelier vélo"))
    assert again.scores("atelier vélo").any()
    rows = np.array([[0, 0, 5], [0, 6, 9], [2, 0, 4]], dtype=np.int64)
    segments = SegmentIndex(rows=rows, vectors=np.eye(3, dtype=np.float32))
    segments.save(tmp_path)
    mapped = SegmentIndex.load(tmp_path)
    assert mapped is not None and isinstance(mapped.vectors, np.memmap)
    query = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    assert list(mapped.best_of(query, np.array([0, 1, 2]))) == list(
        segments.best_of(query, np.array([0, 1, 2]))
    )


def test_an_approximate_index_serves_without_touching_its_float32_vectors(tmp_path: Path) -> None:
    vectors = clustered(3000)
    VectorIndex.from_vectors(vectors, approximate_above=1000).write(tmp_path)
    loaded = VectorIndex.read(tmp_path, kind=IVF_SQ8)
    # The float32 file is kept for the next build; searches read the float16 copy only.
    assert isinstance(loaded._vectors, np.memmap)
    loaded._vectors = None  # type: ignore[assignment]  # a read of them now would fail
    query = clustered(1, seed=3)[0]
    found = loaded.search(query, 10)
    assert len(found) == 10
    assert loaded.scores(query, np.array([p for p, _ in found])) == pytest.approx(
        [s for _, s in found]
    )
    # A build made before the float16 copy existed is refused on load, with the rebuild hint.
    fresh = tmp_path / "old"
    fresh.mkdir()
    VectorIndex.from_vectors(vectors, approximate_above=1000).write(fresh)
    (fresh / "vectors-f16.npy").unlink()
    with pytest.raises(IndexMismatchError, match=r"vectors-f16\.npy"):
        VectorIndex.read(fresh, kind=IVF_SQ8)


def test_many_sentences_are_scored_from_8_bit_codes(tmp_path: Path) -> None:
    count = 400
    vectors = clustered(count, seed=2)
    rows = np.stack([np.arange(count) // 2, np.zeros(count), np.ones(count)], axis=1)
    small = SegmentIndex(rows=rows.astype(np.int64), vectors=vectors)
    coded = SegmentIndex(rows=rows.astype(np.int64), vectors=vectors, scan_max=100)
    assert small.codes is None and coded.codes is not None and coded.codes.dtype == np.int8
    query = clustered(1, seed=8)[0]
    units = np.arange(count // 2)
    exact = small.best_of(query, units)
    assert coded.best_of(query, units) == pytest.approx(exact, abs=2e-2)
    assert not np.array_equal(coded.best_of(query, units), exact)  # the codes were used
    # Saved and loaded, the codes are used again; the float16 vectors stay on disk for reuse.
    coded.save(tmp_path)
    loaded = SegmentIndex.load(tmp_path)
    assert loaded is not None and isinstance(loaded.codes, np.memmap)
    assert list(loaded.best_of(query, units)) == list(coded.best_of(query, units))
    assert np.array_equal(np.load(tmp_path / "segments-vectors.npy"), vectors.astype(np.float16))
    assert [s for s, _, _ in loaded.ranked_in_unit(query, 3)] == [0, 0]


def test_the_index_type_of_the_manifest_is_checked_on_load(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    VectorIndex.from_vectors(clustered(200)).write(flat)
    with pytest.raises(IndexMismatchError, match="faiss"):
        VectorIndex.read(flat, kind=IVF_SQ8)
    approximate = tmp_path / "approximate"
    approximate.mkdir()
    VectorIndex.from_vectors(clustered(2000), approximate_above=100).write(approximate)
    with pytest.raises(IndexMismatchError, match="flat"):
        VectorIndex.read(approximate, kind=FLAT)
    with pytest.raises(IndexMismatchError, match="unknown index type"):
        VectorIndex.read(approximate, kind="hnsw")


def test_with_few_candidates_the_best_keep_the_scores_full_scoring_gives_them() -> None:
    # The dense scale's floor is taken over every unit of a small corpus, the lexical one at 0
    # (units matching no query term), as when every unit is scored.
    corpus = units(60)
    embedder = FakeEmbedder()
    matrix = embedder.embed_documents([u.indexed_text for u in corpus]).astype(np.float32)

    def retriever(candidates: int) -> Retriever:
        config = RetrievalConfig(candidates=candidates, merge_overlaps=False, list_boost=0)
        return Retriever(corpus, VectorIndex.from_vectors(matrix), embedder, config=config)

    query = "atelier vélo insertion"
    full = {h.chunk.id: h.score for h in retriever(1000).retrieve(query, top_k=60)}
    narrow = retriever(5).retrieve(query, top_k=10)
    assert [h.score for h in narrow] == pytest.approx([full[h.chunk.id] for h in narrow])
    assert [h.chunk.id for h in narrow[:4]] == list(full)[:4]
    # A unit in no signal's top 5 can rank among the fused best: more candidates find it.
    assert [h.chunk.id for h in retriever(20).retrieve(query, top_k=5)] == list(full)[:5]


def test_the_dense_floor_is_the_lowest_dense_score_of_a_small_corpus() -> None:
    corpus = units(200)
    vectors = VectorIndex.from_vectors(clustered(200))
    lexical = LexicalIndex([u.indexed_text for u in corpus])
    query = analyze("atelier vélo", Glossary([]))
    vector = clustered(1, seed=4)[0]

    def ranked(candidates: int) -> dict[int, float]:
        config = RetrievalConfig(candidates=candidates, list_boost=0)
        ranker = CandidateRanker(vectors, lexical, None, config, unit_count=len(corpus))
        positions, scores = ranker.rank(query, vector, None)
        return dict(zip(positions.tolist(), scores.tolist(), strict=True))

    full, narrow = ranked(1000), ranked(5)
    assert len(narrow) < len(full)
    # The unit least like the query is no candidate: the floor comes from it all the same.
    assert int(np.argmin(clustered(200) @ vector)) not in narrow
    assert list(narrow.values()) == pytest.approx([full[p] for p in narrow])


def test_replacing_the_config_reconfigures_the_ranking() -> None:
    corpus = units(60)
    embedder = FakeEmbedder()
    matrix = embedder.embed_documents([u.indexed_text for u in corpus]).astype(np.float32)
    retriever = Retriever(corpus, VectorIndex.from_vectors(matrix), embedder)
    lexical = Retriever(
        corpus, VectorIndex.from_vectors(matrix), embedder, config=RetrievalConfig(mode="lexical")
    )
    query = "atelier vélo insertion"
    assert retriever.retrieve(query, top_k=10) != lexical.retrieve(query, top_k=10)
    retriever.config = RetrievalConfig(mode="lexical")
    assert retriever.retrieve(query, top_k=10) == lexical.retrieve(query, top_k=10)
