"""The pages' pure helpers: chips, sources, follow-ups, cards, amounts, quality figures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from assistant.ui.cards import (
    amount_lines,
    amount_notes,
    best_sentence,
    concerns,
    contact_text,
    result_card,
    site_url,
    unknown_filter_values,
)
from assistant.ui.chat import (
    follow_ups,
    group_by_document,
    passage_link,
    rewritten,
    vote_comment,
    with_chips,
)
from assistant.ui.documents import excerpt
from assistant.ui.quality import (
    failing,
    headlines,
    load_gold_questions,
    median_length,
    rebuild_history,
    trend,
)
from assistant.ui.vocabulary import Term, Vocabulary, load_vocabulary
from tests.conftest import REPO


def citation(number: int, document: str, record_id: str | None = None, kind: str = "passage"):
    return {
        "number": number,
        "kind": kind,
        "record_id": record_id,
        "text": f"quote {number}",
        "source": {"document": document, "section": "S", "start": 10, "end": 20},
    }


def test_markers_become_chips_only_for_citations_that_exist() -> None:
    text = "Deux actions [1] et [2, 3] ; voir [9]."
    assert with_chips(text, [1, 2, 3]) == (
        "Deux actions :blue-background[1] et :blue-background[2]:blue-background[3] ; voir [9]."
    )


def test_sources_are_grouped_by_document_in_citation_order() -> None:
    groups = group_by_document([citation(1, "b.md"), citation(2, "a.md"), citation(3, "b.md")])
    assert [(doc, [c["number"] for c in cited]) for doc, cited in groups] == [
        ("b.md", [1, 3]),
        ("a.md", [2]),
    ]
    assert passage_link({"document": "a b.md", "start": 3, "end": 9}) == (
        "/document?doc=a+b.md&start=3&end=9"
    )


def test_the_question_as_understood_is_shown_only_when_rewritten() -> None:
    assert (
        rewritten("Et à Nantes ?", "Quels dispositifs à Nantes ?") == "Quels dispositifs à Nantes ?"
    )
    assert rewritten("Quels dispositifs ?", "quels  dispositifs") is None
    assert rewritten("Quels dispositifs ?", None) is None


def test_follow_ups_come_from_the_cited_records_and_never_after_an_abstention() -> None:
    records = {"nantes-prix": {"name": "Prix X", "territory": "Nantes Métropole"}}
    answer = {
        "question": "q",
        "abstained": False,
        "citations": [
            citation(1, "d", "C.2.2", "action"),
            citation(2, "d", "nantes-prix", "dispositif"),
        ],
    }
    suggestions = follow_ups(answer, records)
    assert suggestions[0] == "Quelles autres actions relèvent de l'axe C.2 ?"
    assert "Quels sont les montants et les conditions de « Prix X » ?" in suggestions
    assert len(suggestions) == 3
    assert follow_ups({**answer, "abstained": True}, records) == []
    assert follow_ups({**answer, "question": suggestions[0]}, records)[0] != suggestions[0]


def test_a_vote_keeps_its_reasons_in_the_comment() -> None:
    assert (
        vote_comment(["hors sujet", "incomplet"], " manque B.2 ")
        == "[hors sujet, incomplet] manque B.2"
    )
    assert vote_comment([], "") == ""


VOCABULARY = Vocabulary(
    themes=[Term("insertion", "Insertion")],
    territories=[Term("Nantes Métropole", "Nantes Métropole")],
    axes=[Term("A", "A — x"), Term("A.1", "A.1 — y")],
)


def test_an_unknown_filter_value_is_named_with_the_values_that_exist() -> None:
    messages = unknown_filter_values(
        {"axis": ["Z.9"], "theme": ["insertion"], "territory": ["nantes"]}, VOCABULARY
    )
    assert messages == ["Aucun axe « Z.9 » dans le corpus. Valeurs possibles : A, A.1."]


def test_a_record_card_shows_its_name_and_sentence_not_its_id_or_indexing_text() -> None:
    result = {
        "kind": "dispositif",
        "text": "Dispositif de soutien : … Montant : x. Montant : y.",
        "metadata": {"record_id": "nantes-fonds", "territory": "Nantes Métropole"},
        "source": {"section": "Benchmark"},
    }
    record = {
        "id": "nantes-fonds",
        "name": "Fonds ESS",
        "territory": "Nantes Métropole",
        "summary": "Un fonds pour les projets. Il finance les recycleries du territoire.",
        "offers": [],
        "eligibility": [],
    }
    card = result_card(result, {("dispositif", "nantes-fonds"): record}, "recyclerie")
    assert card.title == "Fonds ESS"
    assert card.sentence == "Il finance les recycleries du territoire."
    assert card.tags == ["Dispositif", "Nantes Métropole"]
    passage = result_card(
        {
            "kind": "passage",
            "text": "Titre\nLes locaux sont rares.",
            "metadata": {},
            "source": {"section": "Diagnostic"},
        },
        {},
        "locaux",
    )
    assert (passage.title, passage.sentence) == ("Diagnostic", "Les locaux sont rares.")
    assert best_sentence([], "x") == ""


def test_amounts_are_named_with_their_period_and_sentences_that_are_not_amounts_set_apart() -> None:
    lines = amount_lines(
        {"ceiling_eur": 10000, "cofunding_rate_max": 0.5, "yearly_envelope_eur": 900000}
    )
    assert lines == [
        "Plafond : 10 000 € par projet",
        "Taux maximal : 50 % des dépenses du projet",
        "Enveloppe : 900 000 € par an",
    ]
    stated, other = amount_notes(
        [
            "7 000€ par coup de coeur",
            "PTZ jusqu'à 45K€/projet",
            "Le jury peut se réserver la possibilité de désigner",
        ]
    )
    assert stated == ["7 000€ par coup de coeur", "PTZ jusqu'à 45K€/projet"]
    assert other == ["Le jury peut se réserver la possibilité de désigner"]


def test_a_contact_is_the_documents_or_said_to_be_missing_and_a_bare_site_becomes_a_link() -> None:
    assert contact_text(None) == "non précisé dans le document"
    assert contact_text("  ") == "non précisé dans le document"
    assert contact_text("Dossier à x@y.fr ;\n RDV") == "Dossier à x@y.fr ; RDV"
    assert site_url("exemple.org") == "https://exemple.org"  # not a link relative to the app
    assert site_url("https://www.exemple.org/aap") == "https://www.exemple.org/aap"
    assert site_url("http://exemple.org") == "http://exemple.org"


def test_an_excerpt_frames_the_passage_at_line_boundaries() -> None:
    text = "ligne un\nligne deux avec le passage cité ici\nligne trois\n"
    start = text.index("passage")
    shown = excerpt(text, start, start + len("passage cité"), context=12)
    assert shown is not None and shown.passage == "passage cité"
    assert shown.before == "ligne deux avec le " and shown.after == " ici"
    assert excerpt(text, 5, 500) is None


def test_headlines_read_the_report_against_the_thresholds() -> None:
    report = json.loads((REPO / "evals" / "reports" / "latest.json").read_text(encoding="utf-8"))
    thresholds = {"answers": {"answered_with_key_facts": 0.88, "max:wrongly_abstained": 0.03}}
    figures = {f.key: f for f in headlines(report["answers"], thresholds)}
    complete = figures["answered_with_key_facts"]
    assert complete.value == report["answers"]["answered_with_key_facts"]
    assert complete.met is (complete.value >= 0.88)
    wrong = figures["wrongly_abstained"]
    assert wrong.met is (wrong.value <= 0.03) and "au plus 3,0 %" in wrong.sentence()
    assert figures["exact_citations"].target is None
    # the evaluation writes length and citation precision under quality.all (AnswerResult)
    written = {"quality": {"all": {"answer_chars_median": 412.0, "citation_precision": 0.8}}}
    assert median_length(written) == 412.0
    assert [h.label for h in headlines(written, {})] == ["Citations pertinentes"]
    assert median_length({}) is None


def test_failing_questions_carry_the_gold_question_and_facts() -> None:
    gold = [
        {
            "id": "q1",
            "question": "Q ?",
            "kind": "list",
            "answerable": True,
            "key_facts": ["a", "b"],
        },
        {"id": "q2", "question": "R ?", "kind": "factoid", "answerable": False},
    ]
    rows = failing(
        {
            "misses": [
                {"id": "q1", "abstained": False, "missing": ["b"]},
                {"id": "q2", "abstained": False, "missing": []},
            ]
        },
        gold,
    )
    assert [(r["kind"], r["problem"], r["missing"]) for r in rows] == [
        ("list", "faits manquants", ["b"]),
        ("factoid", "réponse au lieu d'un refus", []),
    ]


def test_the_history_is_rebuilt_from_the_committed_reports(tmp_path: Path) -> None:
    if subprocess.run(["git", "-C", str(REPO), "rev-parse"], capture_output=True).returncode:
        return  # not a git checkout: nothing to rebuild from
    rows = rebuild_history(REPO, tmp_path / "history.json")
    assert len(rows) >= 2 and all("answered_with_key_facts" in r for r in rows)
    assert json.loads((tmp_path / "history.json").read_text(encoding="utf-8")) == rows
    latest = {
        "meta": {"revision": "new", "created_at": "9999"},
        "answers": {"wrongly_abstained": 0.1},
    }
    assert trend(rows, latest)[-1] == {
        "revision": "new",
        "created_at": "9999",
        "wrongly_abstained": 0.1,
    }


class Records:
    def records(self, kind: str) -> list[dict[str, object]]:
        return {
            "action": [{"id": "A.1.1", "themes": ["insertion", "coopération"]}],
            "dispositif": [
                {
                    "id": "x",
                    "territory": "Lyon",
                    "types": ["prix"],
                    "stages": ["développement", "émergence"],
                    "needs": ["locaux"],
                }
            ],
            "acteur": [{"id": "y", "territory": "Niort", "type": "réseau", "themes": []}],
            "axe": [{"id": "A", "title": "Axe"}],
        }[kind]


def test_the_vocabulary_is_read_from_the_records(tmp_path: Path) -> None:
    (tmp_path / "territories.yaml").write_text("- name: Niort\n  home: true\n- name: Lyon\n")
    vocabulary = load_vocabulary(Records(), tmp_path)
    assert vocabulary.ids("themes") == ["coopération", "insertion"]
    # the records carry no order of their own: alphabetical (a served vocabulary gives its order)
    assert vocabulary.ids("stages") == ["développement", "émergence"]
    assert vocabulary.label("themes", "insertion") == "Insertion"
    assert vocabulary.home == "Niort" and vocabulary.territories_home_first() == ["Niort", "Lyon"]
    assert load_vocabulary(Records()).home is None


class Served(Records):
    def vocabulary(self) -> dict[str, list[dict[str, str]]]:
        return {"themes": [{"value": "insertion", "label": "Insertion par l'activité"},
                           {"value": "tourisme", "label": "Tourisme"}]}  # fmt: skip

    def profile(self) -> dict[str, object]:
        return {"home_territory": "Lyon"}


def test_the_served_vocabulary_gives_the_labels_of_the_values_records_use() -> None:
    vocabulary = load_vocabulary(Served())
    assert [(t.id, t.label) for t in vocabulary.themes] == [
        ("insertion", "Insertion par l'activité")
    ]
    assert vocabulary.ids("stages") == ["développement", "émergence"]  # from the records
    assert vocabulary.home == "Lyon"


def test_a_restriction_shown_above_is_not_repeated_among_the_concerns() -> None:
    match = {"restriction": "réservé au territoire de T", "may_not_fit": [
        "Réservé au territoire de T", "plafond sous le montant demandé"]}  # fmt: skip
    assert concerns(match, open_to_project=False) == ["plafond sous le montant demandé"]
    assert len(concerns(match, open_to_project=True)) == 2  # no restriction line shown then


def test_failing_questions_of_a_batch_have_their_question_and_kind() -> None:
    """The page reads gold.yaml and every batch, as the evaluation does: a failed question of a
    batch (h099, batch 07) is shown with its words and kind, not as « ? »."""
    gold = load_gold_questions(REPO / "evals")
    rows = failing({"misses": [{"id": "h099"}, {"id": "q002"}]}, gold)
    kinds = {row["id"]: row["kind"] for row in rows}
    assert kinds == {"h099": "unanswerable", "q002": "list"}
    assert all(row["question"] for row in rows)


def test_the_quality_page_measures_against_the_goals_not_the_gate() -> None:
    thresholds = {
        "answers": {"answered_with_key_facts": 0.72, "max:wrongly_abstained": 0.03},
        "goals": {"answered_with_key_facts": 0.90},
    }
    figures = {f.key: f for f in headlines({"answered_with_key_facts": 0.733,
                                            "wrongly_abstained": 0.013}, thresholds)}  # fmt: skip
    assert figures["answered_with_key_facts"].target == 0.90
    assert figures["answered_with_key_facts"].met is False
    assert "objectif non atteint" in figures["answered_with_key_facts"].sentence()
    assert figures["wrongly_abstained"].target == 0.03 and figures["wrongly_abstained"].met
