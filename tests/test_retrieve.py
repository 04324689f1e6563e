"""Retrieval logic around the model: fusion, filters, merging, list questions (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.errors import InvalidQueryError
from assistant.index.vectors import VectorIndex
from assistant.retrieval.hybrid import RetrievalConfig, Retriever, merge_overlaps
from assistant.types import Chunk, Hit, SourceSpan
from tests.conftest import FakeEmbedder


def unit(uid: str, text: str, *, kind: str = "passage", start: int = 0, end: int = 10,
         **metadata: object) -> Chunk:  # fmt: skip
    return Chunk(
        id=uid,
        kind=kind,  # type: ignore[arg-type]
        text=text,
        context="Doc",
        source=SourceSpan("doc.md", "S", start, end),
        metadata=dict(metadata),  # type: ignore[arg-type]
    )


UNITS = [
    unit("p1", "La recyclerie revend des objets réparés.", start=0, end=40, territory="Niort"),
    unit("p2", "Le comité de pilotage se réunit trois fois par an.", start=50, end=100),
    unit("p3", "Les hôtels d'activités ARTIS louent des bureaux.", start=110, end=160,
         territory="Grenoble"),
    unit("a1", "Action A.1 : soutenir le réemploi et la recyclerie.", kind="action",
         start=5, end=20, theme=["économie circulaire"]),
    unit("o1", "Actions sur le thème économie circulaire : A.1, C.2.", kind="action",
         start=5, end=20, group="theme", members=["action:a1"]),
]  # fmt: skip


def retriever(**config: object) -> Retriever:
    embedder = FakeEmbedder()
    vectors = VectorIndex.from_vectors(embedder.embed_documents([u.indexed_text for u in UNITS]))
    return Retriever(UNITS, vectors, embedder, config=RetrievalConfig(**config))  # type: ignore[arg-type]


def test_hybrid_scores_are_the_weighted_sum_of_normalised_scores() -> None:
    hybrid = retriever(dense_weight_fr=0.5, list_boost=0, merge_overlaps=False)
    dense = retriever(mode="dense", list_boost=0, merge_overlaps=False)
    lexical = retriever(mode="lexical", list_boost=0, merge_overlaps=False)
    query = "recyclerie réparés"
    by_id = {h.chunk.id: h.score for h in hybrid.retrieve(query, top_k=5)}
    d = {h.chunk.id: h.score for h in dense.retrieve(query, top_k=5)}
    lex = {h.chunk.id: h.score for h in lexical.retrieve(query, top_k=5)}
    for uid, score in by_id.items():
        assert score == pytest.approx(0.5 * d[uid] + 0.5 * lex[uid], abs=1e-5)
    assert max(d.values()) == pytest.approx(1.0) and min(d.values()) == pytest.approx(0.0)


def test_filters_restrict_before_ranking() -> None:
    hits = retriever().retrieve("bureaux", top_k=5, filters={"territory": "grenoble"})
    assert [h.chunk.id for h in hits] == ["p3"]
    assert retriever().retrieve("bureaux", filters={"kind": "acteur"}) == []


def test_a_list_question_lifts_outline_units() -> None:
    query = "Quelles actions pour la recyclerie ?"
    plain = retriever(list_boost=0.0).retrieve(query, top_k=5)
    listing = retriever(list_boost=0.5).retrieve(query, top_k=5)
    outline_rank = [h.chunk.id for h in plain].index("o1")
    assert outline_rank > 0
    assert listing[0].chunk.id == "o1"
    assert listing[0].score == pytest.approx(plain[outline_rank].score + 0.5)
    # The same words without a list question: no lift.
    statement = "actions pour la recyclerie"
    lifted = retriever(list_boost=0.5).retrieve(statement, top_k=5)
    unlifted = retriever(list_boost=0.0).retrieve(statement, top_k=5)
    assert [h.chunk.id for h in lifted] == [h.chunk.id for h in unlifted]


def test_a_list_question_naming_a_theme_through_the_glossary_lifts_that_theme() -> None:
    from assistant.retrieval.glossary import Glossary, GlossaryEntry

    units = [
        unit("p1", "La ressourcerie de quartier ouvre ses portes.", start=0, end=40),
        unit("t1", "Actions sur le thème économie circulaire : réemploi, filières.", kind="action",
             start=50, end=90, group="theme", theme=["économie circulaire"]),
        unit("t2", "Actions sur le thème formation : écoles, parcours.", kind="action",
             start=100, end=140, group="theme", theme=["formation"]),
    ]  # fmt: skip
    entry = GlossaryEntry(
        term="recyclerie", expansion="recyclerie", definition="…", synonyms=["économie circulaire"]
    )
    glossary = Glossary([entry])
    embedder = FakeEmbedder()
    vectors = VectorIndex.from_vectors(embedder.embed_documents([u.indexed_text for u in units]))

    def scores(query: str, boost: float) -> dict[str, float]:
        config = RetrievalConfig(theme_boost=boost, list_boost=0.0, merge_overlaps=False)
        found = Retriever(units, vectors, embedder, config=config, glossary=glossary)
        return {h.chunk.id: h.score for h in found.retrieve(query, top_k=3)}

    question = "qu'est-ce qu'on prévoit pour les recycleries ?"
    plain, lifted = scores(question, 0.0), scores(question, 0.5)
    assert lifted["t1"] == pytest.approx(plain["t1"] + 0.5)  # the theme the glossary names
    assert lifted["t2"] == pytest.approx(plain["t2"]) and lifted["p1"] == pytest.approx(plain["p1"])
    # Not a list question: no lift.
    assert scores("la recyclerie", 0.5) == pytest.approx(scores("la recyclerie", 0.0))


def test_overlapping_passages_merge_and_a_record_replaces_the_passage_it_quotes() -> None:
    passage = unit("p", "x", start=0, end=100)
    twin = unit("p-overlap", "y", start=40, end=120)
    record = unit("r", "z", kind="dispositif", start=10, end=95)
    small = unit("a", "w", kind="action", start=10, end=20)
    other = unit("o", "v", kind="acteur", start=10, end=95)
    hits = [Hit(passage, 0.9), Hit(twin, 0.8), Hit(record, 0.7), Hit(small, 0.6), Hit(other, 0.5)]
    merged = merge_overlaps(hits, 10)
    assert [(h.chunk.id, h.score) for h in merged] == [
        ("r", 0.9),  # the record takes the passage's place and rank
        ("a", 0.6),  # one bullet of a long passage is not a duplicate of it
        ("o", 0.5),  # two records never merge
    ]


@pytest.mark.parametrize(("query", "top_k", "message"), [
    ("", 5, "query must not be empty"),
    ("x" * 2001, 5, "maximum is 2000"),
    ("ok", 0, "top_k must be between 1 and 100"),
    ("ok", 101, "top_k must be between 1 and 100"),
])  # fmt: skip
def test_bad_queries_are_refused(query: str, top_k: int, message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        retriever().retrieve(query, top_k=top_k)


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="dense_weight_fr must be between 0 and 1"):
        RetrievalConfig(dense_weight_fr=1.5)


def test_scores_are_sorted_and_within_the_unit_interval() -> None:
    hits = retriever().retrieve("comité de pilotage", top_k=5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0].chunk.id == "p2"
    assert np.all((np.array(scores) >= 0) & (np.array(scores) <= 1.1))


def test_a_comparison_gives_each_territory_its_share() -> None:
    from assistant.retrieval.territories import Gazetteer, Territory

    embedder = FakeEmbedder()
    vectors = VectorIndex.from_vectors(embedder.embed_documents([u.indexed_text for u in UNITS]))
    gazetteer = Gazetteer(
        {"niort": Territory("Niort", True), "grenoble": Territory("Grenoble", True)}
    )
    comparing = Retriever(UNITS, vectors, embedder, gazetteer=gazetteer)
    plain = Retriever(UNITS, vectors, embedder)
    query = "recyclerie réparés objets : Niort ou Grenoble ?"
    assert "p3" not in [h.chunk.id for h in plain.retrieve(query, top_k=2)]
    top = [h.chunk.id for h in comparing.retrieve(query, top_k=2)]
    assert top[0] == plain.retrieve(query, top_k=1)[0].chunk.id  # the best hit stays first
    assert "p3" in top  # Grenoble's best unit gets its share


def test_a_query_writing_a_record_code_lifts_that_record_and_no_longer_one() -> None:
    from assistant.retrieval.identifiers import Identifiers

    units = [
        unit("axe:B.1", "Axe B.1 : expérimenter de nouveaux modèles.", kind="axe",
             start=0, end=40, record_id="B.1", group="axis"),
        unit("axe:B.1.1", "Action B.1.1 : une ingénierie pour les communes.", kind="action",
             start=50, end=90, record_id="B.1.1"),
        unit("axe:C.3", "Axe C.3 : récompenser les initiatives de transition.", kind="axe",
             start=100, end=140, record_id="C.3", group="axis"),
        unit("acteur", "La conciergerie d'Echiré, une SCIC.", kind="acteur",
             start=150, end=190, record_id="conciergerie-d-echire"),
    ]  # fmt: skip
    codes = Identifiers(units)
    assert len(codes) == 3  # a slug without a digit is no code
    assert codes.named("les actions de l'axe b.1, toutes").tolist() == [0]
    assert codes.named("l'action B.1.1.").tolist() == [1]  # the final stop ends the sentence
    assert codes.named("axe B.12 ou C.3-bis").size == 0  # no such codes
    assert codes.named("les axes B.1-C.3").tolist() == [0, 2]  # a range: both ends
    embedder = FakeEmbedder()
    vectors = VectorIndex.from_vectors(embedder.embed_documents([u.indexed_text for u in units]))

    def ranked(query: str, boost: float) -> list[str]:
        config = RetrievalConfig(id_boost=boost, merge_overlaps=False)
        found = Retriever(units, vectors, embedder, config=config).retrieve(query, top_k=4)
        return [h.chunk.id for h in found]

    query = "récompenser les initiatives de transition, axe B.1"
    assert ranked(query, 0.0)[0] == "axe:C.3"
    assert ranked(query, 0.5)[0] == "axe:B.1"
    # A filter still applies to the record the code names.
    filtered = Retriever(units, vectors, embedder).retrieve(
        query, top_k=4, filters={"kind": "action"}
    )
    assert [h.chunk.id for h in filtered] == ["axe:B.1.1"]


def test_a_common_alias_names_the_place_that_follows_it(tmp_path: Path) -> None:
    from assistant.retrieval.territories import Gazetteer

    path = tmp_path / "territories.yaml"
    path.write_text(
        "- name: Niort Agglo\n  aliases: [niort]\n  common: [agglo]\n"
        "- name: La Rochelle Agglo\n  aliases: [la rochelle, rochelaise]\n"
        "- name: Nantes Métropole\n  aliases: [nantes]\n",
        encoding="utf-8",
    )
    found = Gazetteer.load(path, home="Niort Agglo").find

    def names(text: str) -> list[str]:
        return [t.name for t in found(text)]

    assert names("Que fait l'agglo pour les SCIC ?") == ["Niort Agglo"]
    assert names("la part des emplois dans l'agglo de La Rochelle") == ["La Rochelle Agglo"]
    assert names("l'agglo rochelaise") == ["La Rochelle Agglo"]
    assert names("l'agglo et Nantes") == ["Niort Agglo", "Nantes Métropole"]  # two places
