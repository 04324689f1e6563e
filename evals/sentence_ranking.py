"""Where the sentence holding each key fact ranks among the retrieved units' sentences, ranked by
cosine similarity alone and by relevance (``assistant.answering.relevance``).

    python evals/sentence_ranking.py        # writes evals/reports/sentence-ranking.md

Each answerable question of evals/gold.yaml and evals/batches/ is retrieved as the answerer
retrieves it (10 units); every key fact is looked for in the sentences of those units. A key
fact no sentence holds counts as absent (rank 0 in the mean reciprocal rank).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.answering.evidence import Sentence
from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.evaluation.gold import GoldQuestion, load_gold_set
from assistant.evaluation.metrics import squash

EVALS = Path(__file__).resolve().parent
REPORT = EVALS / "reports" / "sentence-ranking.md"
UNITS = 10

Ranker = Callable[[Sentence], float]
RANKERS: dict[str, Ranker] = {
    "cosine similarity": lambda s: s.similarity,
    "relevance (similarity + weight carried + unit rank)": lambda s: s.relevance,
}


def ranks(assistant: Assistant, question: GoldQuestion, ranker: Ranker) -> list[int | None]:
    answerer = assistant.answerer
    analysis = answerer.analyse(question.question)
    result = answerer.retriever.search(question.question, top_k=UNITS)
    sentences = sorted(answerer.evidence.sentences(result, analysis), key=ranker, reverse=True)
    facts = [*question.key_facts, *(f for part in question.parts for f in part.key_facts)]
    found: list[int | None] = []
    for fact in facts:
        key = squash(fact).lower()
        found.append(
            next((i for i, s in enumerate(sentences) if key in squash(s.text).lower()), None)
        )
    return found


def summary(found: Sequence[int | None]) -> str:
    n = len(found) or 1
    at = {k: sum(1 for r in found if r is not None and r < k) / n for k in (1, 3, 10)}
    mrr = sum(1 / (r + 1) for r in found if r is not None) / n
    absent = sum(1 for r in found if r is None) / n
    return f"{at[1]:.3f} | {at[3]:.3f} | {at[10]:.3f} | {mrr:.3f} | {absent:.3f}"


def main() -> None:
    settings = Settings().model_copy(update={"llm_url": "", "llm_gguf_path": ""})
    assistant = Assistant.load(settings)
    questions = [q for q in load_gold_set(EVALS / "gold.yaml", EVALS / "batches") if q.answerable]
    newest = max((q.batch for q in questions if q.batch), default=None)
    lines = [
        "# Sentence ranking: the sentence holding each key fact",
        "",
        f"{len(questions)} answerable questions; sentences of the {UNITS} retrieved units. "
        f"Newest batch: {newest}. Written by `python evals/sentence_ranking.py`.",
        "",
        "| ranker | questions | key facts | first | in 3 | in 10 | MRR | absent |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, ranker in RANKERS.items():
        for label, group in (
            ("all", questions),
            ("French", [q for q in questions if q.lang != "en"]),
            ("English", [q for q in questions if q.lang == "en"]),
            ("held out", [q for q in questions if q.split == "holdout"]),
            ("newest batch", [q for q in questions if q.batch == newest]),
        ):
            found = [r for q in group for r in ranks(assistant, q, ranker)]
            lines.append(f"| {name} | {label} | {len(found)} | {summary(found)} |")
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
