"""The domain's vocabulary and what a query asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.retrieval.glossary import Glossary, GlossaryEntry
from assistant.retrieval.query import analyze
from assistant.text import detect_language
from tests.conftest import CORPUS

GLOSSARY = Glossary(
    [
        GlossaryEntry(term="PAT", expansion="projet alimentaire territorial", definition="d",
                      synonyms=("circuits courts",)),
        GlossaryEntry(term="recyclerie", expansion="recyclerie", definition="d",
                      synonyms=("ressourcerie", "second-hand shop", "réemploi")),
    ]
)  # fmt: skip


def test_terms_and_synonyms_are_found_as_whole_words_with_plurals() -> None:
    assert [e.term for e in GLOSSARY.find("Que prévoit le PAT ?")] == ["PAT"]
    assert [e.term for e in GLOSSARY.find("des ressourceries")] == ["recyclerie"]
    assert [e.term for e in GLOSSARY.find("second-hand shops near Niort")] == ["recyclerie"]
    assert [e.term for e in GLOSSARY.find("Réemploi des objets")] == ["recyclerie"]
    assert GLOSSARY.find("le patrimoine de la ville") == []
    assert "ressourcerie" in GLOSSARY.expand("recyclerie") and GLOSSARY.expand("rien") == ""
    assert GLOSSARY.lookup("pat") is not None


def test_the_project_glossary_covers_the_document_acronyms() -> None:
    glossary = Glossary.load(CORPUS / "glossary.yaml")
    for acronym in ("ESS", "SCIC", "SCOP", "SIAE", "IAE", "QPV", "PAT", "PCAET", "SPASER",
                    "AAP", "CRESS", "DLA", "ESUS", "PTCE", "ZAN", "PRU", "EPHAD", "GSEF",
                    "ETP", "RSE"):  # fmt: skip
        entry = glossary.lookup(acronym)
        assert entry is not None and entry.expansion and entry.definition, acronym


def test_everyday_words_lead_to_the_documents_terms() -> None:
    glossary = Glossary.load(CORPUS / "glossary.yaml")
    expansion = glossary.expand("Des petites boîtes veulent répondre ensemble à un appel d'offres")
    assert "réponses en groupement" in expansion
    assert "économie circulaire" in glossary.expand("ouvrir une recyclerie")


def test_an_invalid_glossary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    path.write_text("- term: X\n  colour: red\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="invalid glossary"):
        Glossary.load(path)
    assert Glossary.load(tmp_path / "absent.yaml").entries == []


@pytest.mark.parametrize(
    ("query", "wants_list", "language"),
    [
        ("Quelles actions soutiennent l'économie circulaire ?", True, "fr"),
        ("lesquelles concernent l'alimentation ?", True, "fr"),
        ("Combien coûte le prix nantais ?", False, "fr"),
        ("Which schemes fund cooperatives?", True, "en"),
        ("What are the three pillars of the plan?", True, "en"),
        ("How much is the Nantes prize?", False, "en"),
        ("prix innovation sociale nantes montant", False, "fr"),
        ("C'est quoi les trois grands piliers du plan ?", True, "fr"),
        ("Qu'est-ce qui est prévu pour les recycleries ?", True, "fr"),
        ("Que fait l'agglo pour les coopératives ?", True, "fr"),
        ("Le prix a été créé en quelle année ?", False, "fr"),
    ],
)
def test_query_analysis(query: str, wants_list: bool, language: str) -> None:
    analysis = analyze(query)
    assert analysis.wants_list is wants_list
    assert analysis.language == language == detect_language(query)


def test_the_dense_text_spells_out_the_glossary_terms_named() -> None:
    glossary = Glossary.load(CORPUS / "glossary.yaml")
    analysis = analyze("Combien de SCIC à Rennes ?", glossary)
    assert analysis.dense_text.startswith("Combien de SCIC à Rennes ? ")
    assert "SCIC (société coopérative d'intérêt collectif)" in analysis.dense_text
    assert analyze("Bonjour", glossary).dense_text == "Bonjour"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where does the social economy team sit in Rennes Métropole's organisation?", "en"),
        ("We want to open a repair café in Lyon: who can help?", "en"),
        ("Did Lille hit its insertion target by 2021?", "en"),
        ("Qui préside ?", "fr"),  # few words: the accent decides
        ("À Rennes, c'est qui qui le préside ?", "fr"),
        ("budget Grenoble Alpes Métropole", "fr"),  # no hint either way: the corpus's language
    ],
)
def test_an_accent_in_a_name_or_a_loanword_does_not_make_english_french(
    text: str, language: str
) -> None:
    assert detect_language(text) == language
