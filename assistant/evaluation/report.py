"""Write an evaluation run as Markdown, JSON and a PNG plot."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.evaluation.answers import AnswerResult
from assistant.evaluation.runner import METRICS, SystemResult

LABELS = {
    "recall@1": "R@1",
    "recall@5": "R@5",
    "recall@10": "R@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
}


def write_report(
    results: list[SystemResult],
    meta: dict[str, Any],
    out_dir: Path,
    *,
    default: str,
    answers: AnswerResult | None = None,
) -> dict[str, Path]:
    """``latest.json``, ``latest.md`` and ``latest.png`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "latest.json",
        "markdown": out_dir / "latest.md",
        "plot": out_dir / "latest.png",
    }
    payload = {
        "meta": meta,
        "default": default,
        "results": [asdict(r) for r in results],
        "answers": asdict(answers) if answers else None,
    }
    paths["json"].write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    _plot(results, paths["plot"])
    text = markdown(results, meta, default=default)
    if answers is not None:
        text += answers_markdown(answers)
    paths["markdown"].write_text(text, encoding="utf-8")
    return paths


def markdown(results: list[SystemResult], meta: dict[str, Any], *, default: str) -> str:
    header = "| configuration | " + " | ".join(LABELS[m] for m in METRICS) + " | p50 ms | p95 ms |"
    lines = [
        "# Retrieval evaluation",
        "",
        f"Revision `{meta['revision']}`, {meta['created_at']}. Gold set: {meta['questions']} "
        f"questions ({meta['answerable']} answerable, scored here). Index: {meta['units']} units "
        f"built with {meta['embedder']}. A hit is a returned unit containing a gold quote.",
        "",
        "## All answerable questions",
        "",
        header,
        "|" + "---|" * (len(METRICS) + 3),
    ]
    for result in results:
        name = f"**{result.name}** (default)" if result.name == default else result.name
        cells = " | ".join(f"{result.overall[m]:.3f}" for m in METRICS)
        latency = result.latency_ms
        lines.append(f"| {name} | {cells} | {latency['p50']:.1f} | {latency['p95']:.1f} |")
    lines += ["", "Configurations:", ""]
    lines += [f"- `{r.name}`: {r.description}" for r in results]
    chosen = next(r for r in results if r.name == default)
    lines += [
        "",
        f"## Default configuration (`{default}`) by kind of question",
        "",
        "| kind | questions | " + " | ".join(LABELS[m] for m in METRICS) + " |",
        "|" + "---|" * (len(METRICS) + 2),
    ]
    for group, values in chosen.by_group.items():
        cells = " | ".join(f"{values[m]:.3f}" for m in METRICS)
        lines.append(f"| {group} | {values['questions']:.0f} | {cells} |")
    groups = list(chosen.by_group)
    lines += [
        "",
        "## Recall@5 by kind, every configuration",
        "",
        "| configuration | " + " | ".join(groups) + " |",
        "|" + "---|" * (len(groups) + 1),
    ]
    for result in results:
        cells = " | ".join(f"{result.by_group.get(g, {}).get('recall@5', 0):.3f}" for g in groups)
        lines.append(f"| {result.name} | {cells} |")
    lines += ["", "![Recall@5 and MRR@10 by configuration](latest.png)", ""]
    missed = [
        (qid, row)
        for qid, row in chosen.per_question.items()
        if float(row["recall@5"]) < 1  # type: ignore[arg-type]
    ]
    lines += [f"## Questions not fully answered in the default top 5 ({len(missed)})", ""]
    lines += [f"- {qid}: R@5 {row['recall@5']:.2f}, RR {row['mrr@10']:.2f}" for qid, row in missed]
    lines += ["", f"Settings: `{json.dumps(meta['settings'], ensure_ascii=False)}`", ""]
    return "\n".join(lines)


def answers_markdown(answers: AnswerResult) -> str:
    lines = [
        "",
        "## Answers (extractive answerer, default configuration)",
        "",
        "| metric | value |",
        "|---|---|",
        f"| answerable questions answered with all their key facts | "
        f"{answers.answered_with_key_facts:.3f} |",
        f"| key facts found (mean share per answerable question) | {answers.key_fact_recall:.3f} |",
        f"| unanswerable questions declined | {answers.abstained_on_unanswerable:.3f} |",
        f"| answerable questions wrongly declined | {answers.wrongly_abstained:.3f} |",
        f"| citations quoting their document exactly | {answers.exact_citations:.3f} |",
        f"| latency in process, p50 / p95 ms | {answers.latency_ms['p50']:.1f} / "
        f"{answers.latency_ms['p95']:.1f} |",
        "",
        "Answered with all key facts, by kind: "
        + ", ".join(f"{kind} {value:.3f}" for kind, value in answers.by_kind.items()),
        "",
    ]
    answered = [str(m["id"]) for m in answers.misses if m.get("unanswerable")]
    missing = [str(m["id"]) for m in answers.misses if not m.get("unanswerable")]
    lines += [
        f"Answerable without all their key facts ({len(missing)}): {', '.join(missing) or '-'}.",
        "",
        f"Unanswerable but answered ({len(answered)}): {', '.join(answered) or '-'}.",
        "",
    ]
    if len(answers.by_split) > 1:
        lines += [
            "By split (`dev`: seen while tuning; `holdout`: written afterwards, never tuned on):",
            "",
            "| split | answerable | unanswerable | all key facts | declined | wrongly declined |",
            "|---|---|---|---|---|---|",
        ]
        for split, row in answers.by_split.items():
            lines.append(
                f"| {split} | {row['answerable']:.0f} | {row['unanswerable']:.0f} | "
                f"{row['answered_with_key_facts']:.3f} | {row['abstained_on_unanswerable']:.3f} | "
                f"{row['wrongly_abstained']:.3f} |"
            )
        lines.append("")
    lines += quality_markdown(answers)
    return "\n".join(lines)


def quality_markdown(answers: AnswerResult) -> list[str]:
    """What users see: answer length, citation precision, part scores; then batches apart."""
    lines = [
        "What users see, by group (length of the answer text in characters; citation precision:"
        " mean share of an answer's citations that quote a gold quote or lie in the line holding"
        " one, over answerable questions with citations; parts: questions with `parts` only):",
        "",
        "| group | questions | median chars | p90 chars | citation precision | cited answers |"
        " parts with key facts | unanswerable parts said absent |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for group, row in answers.quality.items():
        parts = (
            f"{row['parts_with_key_facts']:.3f} ({row['answerable_parts']:.0f}) | "
            f"{row['parts_said_absent']:.3f} ({row['unanswerable_parts']:.0f})"
            if "answerable_parts" in row
            else "- | -"
        )
        lines.append(
            f"| {group} | {row['questions']:.0f} | {row['answer_chars_median']:.0f} | "
            f"{row['answer_chars_p90']:.0f} | {row['citation_precision']:.3f} | "
            f"{row['cited_answers']:.0f} | {parts} |"
        )
    lines.append("")
    if answers.by_batch:
        lines += [
            "By batch (each batch's questions; a batch's first run is its honest figure):",
            "",
            "| batch | answerable | unanswerable | all key facts | declined | wrongly declined |",
            "|---|---|---|---|---|---|",
        ]
        for batch, row in answers.by_batch.items():
            lines.append(
                f"| {batch} | {row['answerable']:.0f} | {row['unanswerable']:.0f} | "
                f"{row['answered_with_key_facts']:.3f} | {row['abstained_on_unanswerable']:.3f} | "
                f"{row['wrongly_abstained']:.3f} |"
            )
        lines.append("")
    return lines


def _plot(results: list[SystemResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results]
    figure, axis = plt.subplots(figsize=(9, 4.2))
    width = 0.38
    positions = range(len(names))
    for offset, metric in ((-width / 2, "recall@5"), (width / 2, "mrr@10")):
        values = [r.overall[metric] for r in results]
        bars = axis.bar([p + offset for p in positions], values, width, label=LABELS[metric])
        axis.bar_label(bars, fmt="%.2f", fontsize=8)
    axis.set_xticks(list(positions), names, rotation=15, ha="right")
    axis.set_ylim(0, 1.15)
    axis.set_ylabel("score")
    axis.set_title("Retrieval quality on the gold set (answerable questions)")
    axis.legend(loc="upper center", ncol=2, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
