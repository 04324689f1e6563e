"""The PostgreSQL store against a real server: build, search, filters, failed builds, and the
same hits as the embedded store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.assistant import Assistant
from assistant.build import build_index, index_status
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import InvalidQueryError
from assistant.index.embedders import E5Embedder
from assistant.index.store import load_index
from assistant.index.vectors import VectorIndex
from assistant.pgstore import writer
from assistant.pgstore.retriever import PgRetriever, PostgresStore
from assistant.pgstore.schema import connect, current_build
from assistant.retrieval.filters import UnitFilter
from assistant.retrieval.hybrid import RetrievalConfig, Retriever
from assistant.types import Chunk, SourceSpan
from assistant.wiring import build_retriever, open_postgres
from tests.conftest import SMALL_DOCS, FakeEmbedder, small_settings, write_small_corpus


@pytest.fixture
def pg_settings(tmp_path: Path, database_url: str) -> Settings:
    write_small_corpus(tmp_path)
    return small_settings(tmp_path, store="postgres", database_url=database_url)


def _embedded(settings: Settings, e5: E5Embedder, config: RetrievalConfig) -> Retriever:
    index = load_index(settings.index_dir, embedder={}, chunking={})
    retriever = build_retriever(index, e5, settings)
    retriever.config = config
    return retriever


def test_build_writes_units_vectors_and_french_text(pg_settings: Settings, e5: E5Embedder) -> None:
    report = build_index(pg_settings, embedder=e5, progress=False)
    assert report.database_build is not None
    with connect(pg_settings.database_url) as conn:
        info = current_build(conn)
        assert info is not None and info.tables.build_id == report.database_build
        assert info.units == report.units and info.segments == report.segments
        assert info.text_config == "assistant_french"  # unaccent is in the bundled server
        units = info.tables.units
        count, dims = conn.execute(
            f"SELECT count(*), min(vector_dims(embedding)) FROM {units}"
        ).fetchone()
        assert (count, dims) == (report.units, e5.dim)
        # Stemmed and unaccented: « dépenses » is found by « depense ».
        row = conn.execute(
            f"SELECT body FROM {units} WHERE tsv @@ to_tsquery('assistant_french', 'depense')"
        ).fetchone()
        assert row is not None and "dépenses de démarrage" in row[0]
    assert index_status(pg_settings) is None


def test_search_dense_lexical_hybrid_and_filters(pg_settings: Settings, e5: E5Embedder) -> None:
    build_index(pg_settings, embedder=e5, progress=False)
    _, retriever = open_postgres(pg_settings, embedder=e5)
    for mode in ("hybrid", "dense", "lexical"):
        retriever.config = RetrievalConfig(mode=mode)
        hits = retriever.retrieve("Combien couvre la subvention d'amorçage ?", top_k=3)
        assert "10 000 €" in hits[0].chunk.text, mode
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    retriever.config = RetrievalConfig(fusion="rrf")
    assert "10 000 €" in retriever.retrieve("subvention d'amorçage", top_k=1)[0].chunk.text
    retriever.config = RetrievalConfig()
    hits = retriever.retrieve("réparer", top_k=10, filters={"document": "mobilite"})
    assert hits and {h.chunk.source.document for h in hits} == {"mobilite.md"}
    assert retriever.retrieve("vélo", top_k=5, filters={"kind": "action"}) == []
    with pytest.raises(InvalidQueryError, match="unknown filter"):
        retriever.retrieve("vélo", filters={"colour": "red"})


def test_filters_match_the_embedded_filter(database_url: str) -> None:
    """Every filter key selects in SQL exactly the units ``UnitFilter`` selects in memory."""
    units = [
        Chunk(
            id=f"u{i}",
            kind=kind,
            text=f"texte {i} économie sociale",
            context="",
            source=SourceSpan(f"{doc}.md", f"Partie {i % 3}", 0, 10),
            metadata={
                "territory": territory,
                "theme": themes,
                "axis": axis,
                "record_id": f"R.{i}",
                "document": f"{doc}.md",
                "section": f"Partie {i % 3}",
            },
        )
        for i, (kind, doc, territory, themes, axis) in enumerate(
            [
                ("action", "feuille", "Niort Agglo", ["Économie circulaire"], "B.2"),
                ("dispositif", "benchmark", "Nantes Métropole", ["Insertion", "Mobilité"], "A"),
                ("acteur", "benchmark", "Rennes", ["insertion"], "B"),
                ("passage", "feuille", "Niort Agglo", [], "B.2"),
            ]
            * 3
        )
    ]
    embedder = FakeEmbedder()
    vectors = embedder.embed_documents([u.indexed_text for u in units])
    writer.write_postgres_build(database_url, {"built": "test"}, units, vectors)
    store = PostgresStore(database_url)
    retriever = PgRetriever(
        store, embedder, config=RetrievalConfig(mode="dense", merge_overlaps=False)
    )
    specs = [
        {"kind": "action"},
        {"kind": ["dispositif", "acteur"]},
        {"territory": "nantes"},
        {"territory": "Niort"},
        {"theme": "insertion"},
        {"theme": "economie circulaire"},
        {"axis": "B.2"},
        {"document": "bench", "theme": "mobilité"},
        {"section": "partie 1"},
        {"record_id": "R.3"},
    ]
    for spec in specs:
        hits = retriever.retrieve("économie", top_k=100, filters=spec)
        expected = {units[i].id for i in UnitFilter(spec).allowed(units) or []}
        assert {h.chunk.id for h in hits} == expected, spec
        assert expected, spec


def test_same_hits_as_the_embedded_store(pg_settings: Settings, e5: E5Embedder) -> None:
    build_index(pg_settings, embedder=e5, progress=False)
    _, database = open_postgres(pg_settings, embedder=e5)
    queries = [
        "La subvention d'amorçage couvre jusqu'à 10 000 € des dépenses de démarrage.",
        "Le garage solidaire loue des voitures à bas prix",
        "atelier d'autoréparation de vélos",
        "trouver un local de 300 m² au moins",
    ]
    for mode in ("dense", "hybrid"):
        config = RetrievalConfig(mode=mode)
        embedded = _embedded(pg_settings, e5, config)
        database.config = config
        for query in queries:
            local = embedded.retrieve(query, top_k=3)
            remote = database.retrieve(query, top_k=3)
            assert local[0].chunk.id == remote[0].chunk.id, (mode, query)
            if mode == "dense":  # the same cosines, normalised over the same units
                assert [h.chunk.id for h in local] == [h.chunk.id for h in remote]
                assert np.allclose([h.score for h in local], [h.score for h in remote], atol=1e-4)


def test_a_failed_build_leaves_the_previous_one_serving(
    pg_settings: Settings, e5: E5Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_index(pg_settings, embedder=e5, progress=False)
    _, serving = open_postgres(pg_settings, embedder=e5)
    before = [h.chunk.id for h in serving.retrieve("recyclerie", top_k=3)]
    extra = pg_settings.documents_dir / "ajout.md"
    extra.write_text("# Ajout\n\nUne ressourcerie ouvre à Saint-Maixent.\n", encoding="utf-8")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while writing the documents")

    # Units and sentences are written, then the build fails before it can commit.
    monkeypatch.setattr(writer, "_write_documents", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(pg_settings, embedder=e5, progress=False)
    with connect(pg_settings.database_url) as conn:
        info = current_build(conn)
        assert info is not None and info.tables.build_id == first.database_build
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'assistant_units_%'"
        ).fetchone()
        assert tables[0] == 1  # nothing of the failed build is left
    assert [h.chunk.id for h in serving.retrieve("recyclerie", top_k=3)] == before
    _, reopened = open_postgres(pg_settings, embedder=e5)
    assert len(reopened.units) == first.units
    assert not any(u.source.document == "ajout.md" for u in reopened.units)

    monkeypatch.undo()
    second = build_index(pg_settings, embedder=e5, progress=False)
    assert second.database_build != first.database_build
    _, rebuilt = open_postgres(pg_settings, embedder=e5)
    assert rebuilt.retrieve("ressourcerie Saint-Maixent", top_k=1)[0].chunk.source.document == (
        "ajout.md"
    )
    # The serving instance still reads its (previous) build until it reloads.
    assert [h.chunk.id for h in serving.retrieve("recyclerie", top_k=3)] == before


def test_cli_and_facade_on_the_postgres_store(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in {
        "ASSISTANT_STORE": "postgres",
        "ASSISTANT_DATABASE_URL": pg_settings.database_url,
        "ASSISTANT_CORPUS_DIR": str(pg_settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(pg_settings.index_dir),
        "ASSISTANT_CHUNK_SIZE": "400",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["build", "-q"]) == 0
    assert "PostgreSQL: build b" in capsys.readouterr().out
    assert main(["search", "garage solidaire", "-k", "1"]) == 0
    assert "garage solidaire loue des voitures" in capsys.readouterr().out
    assistant = Assistant.load(Settings())
    assert isinstance(assistant.retriever, PgRetriever)
    answer = assistant.ask("Que loue le garage solidaire ?")
    assert not answer.abstained and answer.citations
    assert answer.citations[0].text in SMALL_DOCS["mobilite.md"]


def test_a_database_without_a_build_is_a_clear_error(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_STORE", "postgres")
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    for command in (["search", "recyclerie"], ["serve", "--port", "1"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "no index in the database" in err and 'hint: run "assistant build"' in err


def test_a_query_writing_a_record_code_lifts_it_in_the_database_as_in_memory(
    database_url: str,
) -> None:
    units = [
        Chunk(
            id=f"u{i}",
            kind="action" if i % 2 else "axe",
            text=text,
            context="",
            source=SourceSpan("feuille.md", f"Partie {i}", 10 * i, 10 * i + 9),
            metadata={"record_id": f"B.{i}", "document": "feuille.md"},
        )
        for i, text in enumerate(
            [
                "récompenser les initiatives de transition écologique",
                "une ingénierie pour les communes et les quartiers",
                "des rencontres entre acteurs de l'insertion",
            ]
        )
    ]
    embedder = FakeEmbedder()
    vectors = embedder.embed_documents([u.indexed_text for u in units])
    writer.write_postgres_build(database_url, {"built": "test"}, units, vectors)
    database = PgRetriever(PostgresStore(database_url), embedder)
    memory = Retriever(units, VectorIndex.from_vectors(vectors), embedder)
    query = "récompenser les initiatives de transition, action B.1"
    for retriever in (database, memory):
        retriever.config = RetrievalConfig(id_boost=1.0)  # above any other unit's 0-1 lead
        assert retriever.retrieve(query, top_k=3)[0].chunk.id == "u1", retriever
        retriever.config = RetrievalConfig(id_boost=0.0)
        assert retriever.retrieve(query, top_k=3)[0].chunk.id == "u0", retriever
        retriever.config = RetrievalConfig(id_boost=1.0)
        filtered = retriever.retrieve(query, top_k=3, filters={"kind": "axe"})
        assert "u1" not in {h.chunk.id for h in filtered}
