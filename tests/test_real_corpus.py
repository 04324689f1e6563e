"""The real roadmap indexed with the real model: the questions users ask, and the quality gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.relevance import TermWeights
from assistant.answering.router import term_weights
from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.evaluation.answers import check_answer_thresholds, evaluate_answers
from assistant.evaluation.gold import load_gold_set
from assistant.evaluation.quality import load_absence_cues
from assistant.evaluation.runner import System, evaluate
from assistant.evaluation.suite import (
    DEFAULT_NAME,
    check_thresholds,
    load_answer_thresholds,
    load_thresholds,
)
from assistant.index.store import LoadedIndex
from assistant.ingest.documents import load_documents
from assistant.retrieval.hybrid import Retriever
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.wiring import open_retriever
from tests.conftest import REPO


@pytest.fixture(scope="module")
def retriever(real_index_settings: Settings) -> Retriever:
    return open_retriever(real_index_settings)


def test_the_index_holds_passages_records_outlines_and_sentences(real_index: LoadedIndex) -> None:
    counts = real_index.manifest.counts
    assert counts["documents"] == 1 and counts["skipped"] == 0
    assert counts["records_actions"] == 29 and counts["records_axes"] == 12
    kinds = {u.kind for u in real_index.units}
    assert kinds == {"passage", "axe", "action", "dispositif", "acteur"}
    assert any(u.id == "axe:plan" for u in real_index.units)
    assert real_index.segments is not None and len(real_index.segments) > 3 * counts["units"]


def test_circular_economy_actions_are_listed_with_ids_and_sections(retriever: Retriever) -> None:
    hits = retriever.retrieve("quelles actions soutiennent l'économie circulaire ?", top_k=5)
    ids = [h.chunk.id for h in hits]
    assert "action:theme-economie-circulaire" in ids[:3]
    shown = "\n".join(h.chunk.text for h in hits)
    assert "C.2.2" in shown and "A.1.3" in shown
    action = next(h for h in hits if h.chunk.kind == "action")
    assert action.chunk.source.section.startswith("Axe ")


def test_a_project_holder_finds_support_schemes(retriever: Retriever) -> None:
    hits = retriever.retrieve(
        "association d'insertion qui veut créer une recyclerie, besoin de 10 000 € pour démarrer",
        top_k=5,
        filters={"kind": "dispositif"},
    )
    assert len(hits) == 5 and all(h.chunk.kind == "dispositif" for h in hits)
    premises = retriever.retrieve("je cherche des locaux pas chers pour mon association", top_k=5)
    assert any("locaux" in (h.chunk.metadata.get("need") or []) for h in premises)


def test_english_questions_find_french_passages(retriever: Retriever) -> None:
    hits = retriever.retrieve("How much is the Nantes social innovation prize worth?", top_k=3)
    assert any("20 000 €" in h.chunk.text for h in hits)


def test_territory_filter_keeps_only_that_territory(retriever: Retriever) -> None:
    hits = retriever.retrieve(
        "budget de la politique ESS", top_k=8, filters={"territory": "Rennes"}
    )
    assert hits and all("Rennes" in str(h.chunk.metadata["territory"]) for h in hits)


def test_quality_gate_on_the_gold_set(real_index_settings: Settings, retriever: Retriever) -> None:
    """The default configuration stays above evals/thresholds.yaml (what CI enforces)."""
    documents, _ = load_documents([real_index_settings.documents_dir])
    result = evaluate(
        System(DEFAULT_NAME, "default", retriever),
        load_gold_set(REPO / "evals" / "gold.yaml", REPO / "evals" / "batches"),
        {d.name: d.text for d in documents},
    )
    gated, minima = load_thresholds(REPO / "evals" / "thresholds.yaml")
    assert gated == DEFAULT_NAME
    assert check_thresholds(result, minima) == []


def test_answer_quality_gate_on_the_gold_set(real_index_settings: Settings) -> None:
    """Answers keep their key facts, decline what the document does not say, cite exactly."""
    assistant = Assistant.load(real_index_settings)
    result = evaluate_answers(
        assistant.ask,
        load_gold_set(REPO / "evals" / "gold.yaml", REPO / "evals" / "batches"),
        assistant.index.documents,
        absence_cues=load_absence_cues(REPO / "evals" / "absence_cues.yaml"),
    )
    limits = load_answer_thresholds(REPO / "evals" / "thresholds.yaml")
    assert limits["exact_citations"] == 1.0
    assert check_answer_thresholds(result, limits) == []


def test_the_committed_report_has_every_section() -> None:
    report = (REPO / "evals" / "reports" / "latest.md").read_text(encoding="utf-8")
    assert "**hybrid** (default)" in report and "tutorial-baseline" in report
    assert "## Answers" in report
    assert Path(REPO / "evals" / "reports" / "latest.png").stat().st_size > 10_000


def test_the_answerer_takes_its_term_weights_from_the_saved_bm25_arrays(
    retriever: Retriever,
) -> None:
    analyzer = FrenchAnalyzer()
    saved = term_weights(retriever, analyzer)
    analysed = TermWeights.of(analyzer(unit.indexed_text) for unit in retriever.units)
    assert saved.idf == pytest.approx(analysed.idf) and len(saved.idf) > 500
