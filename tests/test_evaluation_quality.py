"""What users see of answers, scored on hand-made answers: length, citation precision, parts,
and the gold set read from several files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.evaluation.answers import check_answer_thresholds, evaluate_answers
from assistant.evaluation.gold import GoldQuestion, check_quotes, load_gold, load_gold_set
from assistant.evaluation.quality import (
    QuestionView,
    load_absence_cues,
    precise_citations,
    quote_passages,
    said_absent,
    summarise,
    view_answer,
)
from assistant.evaluation.report import quality_markdown
from assistant.types import Answer, Citation, SourceSpan

REPO = Path(__file__).resolve().parent.parent
CUES = load_absence_cues(REPO / "evals" / "absence_cues.yaml")

DOC = (
    "# Fonds\n"
    "Le fonds est doté de 900 000 € par an pour 14 projets au minimum.\n"
    "Les revues de projets ont lieu en janvier, mai et septembre.\n"
    "Le prix est doté de 20 000 €.\n"
)
DOCS = {"doc.md": DOC}


def cite(text: str, number: int = 1) -> Citation:
    start = DOC.index(text)
    span = SourceSpan("doc.md", "Fonds", start, start + len(text))
    return Citation(number, f"u{number}", "passage", text, span)


def answer(
    text: str, citations: list[Citation] | None = None, *, abstained: bool = False
) -> Answer:
    return Answer("q", "q", text, abstained, citations or [], "fr")


def question(**fields: object) -> GoldQuestion:
    base: dict[str, object] = {
        "id": "t1", "question": "Combien ?", "lang": "fr", "kind": "factoid",
        "persona": "public", "answerable": True,
    }  # fmt: skip
    return GoldQuestion.model_validate(base | fields)


def test_a_citation_is_precise_when_it_holds_a_gold_quote_or_lies_on_its_line() -> None:
    quotes = ["900 000 € par an"]
    holding = cite("Le fonds est doté de 900 000 € par an pour 14 projets au minimum.")
    same_line = cite("pour 14 projets au minimum", 2)  # on the quote's line, without the quote
    elsewhere = cite("Le prix est doté de 20 000 €.", 3)
    assert precise_citations([holding, same_line, elsewhere], quotes, DOCS) == [True, True, False]
    line = DOC.split("\n")[1]
    assert quote_passages(["900  000 €\npar an"], DOC) == [
        (DOC.index(line), DOC.index(line) + len(line))
    ]  # a quote broken over spaces still finds its line
    view = view_answer(
        question(quotes=quotes, key_facts=["900 000"]),
        answer("x" * 40, [holding, elsewhere, elsewhere]),
        DOCS, CUES, groups=["all"],
    )  # fmt: skip
    assert view.precision == pytest.approx(1 / 3) and view.chars == 40


def test_an_absent_part_is_said_in_one_sentence_naming_its_topic() -> None:
    text = "Le fonds est doté de 900 000 €. Le document ne donne pas de date limite de dépôt."
    assert said_absent(text, ["date limite"], CUES)
    assert not said_absent(text, ["budget"], CUES)  # absence said, but of something else
    assert not said_absent("La date limite est le 3 mai.", ["date limite"], CUES)
    # the cue and the topic must share a sentence
    assert not said_absent(
        "Le document ne donne pas le budget. La date limite : mai.", ["date limite"], CUES
    )
    assert said_absent("The document doesn’t say who sits on the jury.", ["jury"], CUES)
    assert said_absent(
        "Montant : 7 500 €.\nLe document n’indique pas le nombre de dossiers", ["dossiers"], CUES
    )


PARTS = [
    {"ask": "montant", "quotes": ["900 000 € par an"], "key_facts": ["900 000"]},
    {
        "ask": "revues",
        "quotes": ["janvier, mai et septembre"],
        "key_facts": ["janvier", "septembre"],
    },
    {"ask": "date limite", "answerable": False, "topic": ["date limite", "délai"]},
]


def test_parts_are_scored_one_by_one() -> None:
    gold = question(parts=PARTS)
    assert gold.quotes == ("900 000 € par an", "janvier, mai et septembre")
    assert gold.key_facts == ("900 000", "janvier", "septembre")
    partial = answer("900 000 € par an. Revues en janvier. Le document ne précise pas de délai.")
    view = view_answer(gold, partial, DOCS, CUES, groups=["all"])
    assert view.parts_answered == (True, False) and view.parts_absent == (True,)
    silent = view_answer(gold, answer("900 000 €, janvier, septembre."), DOCS, CUES, groups=["all"])
    assert silent.parts_answered == (True, True) and silent.parts_absent == (False,)
    declined = view_answer(gold, answer("Rien.", abstained=True), DOCS, CUES, groups=["all"])
    assert declined.parts_answered == (False, False) and declined.parts_absent == (True,)


def test_parts_are_checked_when_the_gold_is_read() -> None:
    with pytest.raises(ValueError, match="quotes and key_facts in its parts"):
        question(parts=PARTS, quotes=["x"])
    with pytest.raises(ValueError, match="takes a topic"):
        question(parts=[PARTS[0], {"ask": "date", "answerable": False}])
    with pytest.raises(ValueError, match="at least two"):
        question(parts=[PARTS[0]])


def test_lengths_precision_and_parts_are_summed_up_per_group() -> None:
    views = [
        QuestionView("a", ("all", "factoid"), 100, 1.0),
        QuestionView("b", ("all", "factoid"), 200, 0.5),
        QuestionView("c", ("all", "list"), 300, None),  # no citation: not in the precision
        QuestionView("d", ("all", "list"), 1000, 0.0, (True, False), (True, False, False)),
    ]
    summary = summarise(views)
    assert summary["all"]["answer_chars_median"] == 250
    assert summary["all"]["answer_chars_p90"] == pytest.approx(790)  # 300 + 0.7 * 700
    assert summary["all"]["citation_precision"] == pytest.approx(0.5)  # (1 + 0.5 + 0) / 3
    assert summary["all"]["cited_answers"] == 3
    assert summary["factoid"]["answer_chars_median"] == 150
    assert "answerable_parts" not in summary["factoid"]
    assert summary["list"]["parts_with_key_facts"] == 0.5
    assert summary["list"]["parts_said_absent"] == pytest.approx(1 / 3, abs=1e-4)


def test_evaluate_answers_reports_quality_per_split_kind_and_batch() -> None:
    questions = [
        question(id="f1", quotes=["900 000 € par an"], key_facts=["900 000"]),
        question(id="f2", split="holdout", batch="07", quotes=["20 000 €"], key_facts=["20 000"]),
        question(id="m1", kind="scheme", split="holdout", batch="07", parts=PARTS),
        question(id="u1", kind="unanswerable", answerable=False, split="holdout", batch="07"),
    ]
    fund = cite("Le fonds est doté de 900 000 € par an pour 14 projets au minimum.")
    prize = cite("Le prix est doté de 20 000 €.")
    answers = {
        "f1": answer("900 000 € par an.", [fund]),
        "f2": answer("Le prix est doté de 20 000 €. " + "x" * 70, [prize]),
        "m1": answer("900 000 €. Le document ne donne pas de date limite.", [prize]),
        "u1": answer("Le document ne le dit pas.", abstained=True),
    }
    questions = [q.model_copy(update={"question": f"Question {q.id} ?"}) for q in questions]
    by_text = {q.question: q.id for q in questions}
    result = evaluate_answers(lambda t: answers[by_text[t]], questions, DOCS, absence_cues=CUES)
    quality = result.quality
    assert quality["all"]["questions"] == 4
    factoid_median = (len(answers["f1"].text) + len(answers["f2"].text)) / 2
    assert factoid_median == 58.5
    assert quality["factoid"]["answer_chars_median"] == factoid_median
    assert quality["all"]["citation_precision"] == pytest.approx(
        2 / 3, abs=1e-4
    )  # m1 cites off its quotes
    assert quality["multi-part"]["parts_with_key_facts"] == 0.5
    assert quality["multi-part"]["parts_said_absent"] == 1.0
    assert quality["batch 07"]["questions"] == 3 and "dev" in quality and "holdout" in quality
    assert result.by_batch["07"]["answerable"] == 2 and result.by_batch["07"]["unanswerable"] == 1
    assert result.by_batch["07"]["answered_with_key_facts"] == 0.5  # m1 misses its second part
    metrics = result.metrics()
    assert metrics["citation_precision"] == quality["all"]["citation_precision"]
    assert check_answer_thresholds(result, {"max:factoid/answer_chars_median": 50}) == [
        "answers factoid/answer_chars_median = 58.500, above the maximum 50"
    ]
    assert check_answer_thresholds(result, {"citation_precision": 0.6}) == []
    table = "\n".join(quality_markdown(result))
    assert "| batch 07 | 3 |" in table and "| 07 | 2 | 1 | 0.500 | 1.000 | 0.000 |" in table


GOLD = """
- {id: q1, question: 'Combien ?', lang: fr, kind: factoid, persona: staff, answerable: true,
   quotes: [alpha]}
"""


def test_the_gold_set_is_read_from_several_files(tmp_path: Path) -> None:
    main = tmp_path / "gold.yaml"
    main.write_text(GOLD, encoding="utf-8")
    batches = tmp_path / "batches"
    batches.mkdir()
    (batches / "README.md").write_text("not a gold file", encoding="utf-8")
    (batches / "batch-08.yaml").write_text(
        GOLD.replace("q1", "h1").replace("answerable: true", "answerable: true, split: holdout"),
        encoding="utf-8",
    )
    (batches / "batch-09.yaml").write_text(
        GOLD.replace("q1", "h2").replace("answerable: true", "answerable: true, batch: '9b'"),
        encoding="utf-8",
    )
    questions = load_gold_set(main, batches)
    assert [(q.id, q.batch) for q in questions] == [("q1", None), ("h1", "batch-08"), ("h2", "9b")]
    assert [q.id for q in load_gold_set(main, tmp_path / "missing")] == ["q1"]
    (batches / "batch-10.yaml").write_text(GOLD, encoding="utf-8")
    with pytest.raises(CorpusError, match="question id q1 appears twice"):
        load_gold_set(main, batches)


def test_the_seventh_batch_is_valid_and_quotes_the_corpus_verbatim() -> None:
    """Schema and quotes of the batch written for issue 11, loaded with the gold set once run."""
    batch = load_gold(REPO / "evals" / "batches" / "batch-07.yaml")
    text = REPO / "corpus" / "documents" / "feuille-de-route-ess-niort-agglo-2023-2026.md"
    assert check_quotes(batch, {"roadmap": text.read_text(encoding="utf-8")}) == []
    assert len(batch) >= 44 and all(q.split == "holdout" and q.batch == "07" for q in batch)
    assert sum(not q.answerable for q in batch) >= 12 and sum(bool(q.parts) for q in batch) >= 10
    assert sum(q.lang == "en" for q in batch) >= 8
    known = [q.id for q in load_gold_set(REPO / "evals" / "gold.yaml", REPO / "evals" / "batches")]
    assert {q.id for q in batch} <= set(known) and len(known) == len(set(known))


def test_validate_names_a_quote_that_is_not_in_the_corpus(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOLD.replace("q1", "z1").replace("alpha", "une phrase inventée"), "utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(GOLD.replace("q1", "z2").replace("alpha", "29 000 bénévoles"), "utf-8")

    def validate(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant.cli", "eval", "--validate", str(path)]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    failed = validate(bad)
    assert failed.returncode != 0
    assert "z1: quote not found verbatim: 'une phrase inventée'" in failed.stderr
    passed = validate(good)
    assert passed.returncode == 0, passed.stderr
    assert "1 questions valid" in passed.stdout
