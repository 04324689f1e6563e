"""The Qualité page's figures: headline answer metrics in words against their targets, the trend
over past reports, the questions that fail. Pure functions of the report files."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.evaluation.gold import load_gold_set

REPORTS = Path(__file__).resolve().parents[2] / "evals" / "reports"
HISTORY = REPORTS / "history.json"

# (key in the report's "answers", label, what it means, higher is better)
HEADLINES: list[tuple[str, str, str, bool]] = [
    (
        "answered_with_key_facts",
        "Réponses complètes",
        "questions qui ont une réponse dans le corpus et dont la réponse donne tous les faits "
        "attendus",
        True,
    ),
    (
        "abstained_on_unanswerable",
        "Refus justifiés",
        "questions sans réponse dans le corpus auxquelles l'assistant dit ne pas pouvoir répondre",
        True,
    ),
    (
        "wrongly_abstained",
        "Refus à tort",
        "questions qui ont une réponse dans le corpus et auxquelles l'assistant refuse de répondre",
        False,
    ),
    (
        "citation_precision",
        "Citations pertinentes",
        "citations qui contiennent un fait attendu, parmi toutes les citations données",
        True,
    ),
    (
        "exact_citations",
        "Citations exactes",
        "citations dont le texte est mot pour mot celui du document, à la position indiquée",
        True,
    ),
]
# The gold set's kinds of question (evals/gold.yaml), as a maintainer reads them.
QUESTION_KINDS = {
    "factoid": "fait précis",
    "list": "liste",
    "comparison": "comparaison",
    "scheme": "dispositif pour un projet",
    "unanswerable": "sans réponse dans le corpus",
}
TREND_KEYS = [
    "answered_with_key_facts",
    "abstained_on_unanswerable",
    "wrongly_abstained",
    "citation_precision",
]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float
    target: float | None
    higher_is_better: bool
    explanation: str

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def sentence(self) -> str:
        value = percent(self.value)
        if self.target is None:
            return f"{self.label} : {value}."
        word = "au moins" if self.higher_is_better else "au plus"
        verdict = "objectif atteint" if self.met else "objectif non atteint"
        return f"{self.label} : {value} (objectif : {word} {percent(self.target)}, {verdict})."


def percent(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")


def targets(thresholds: Mapping[str, Any]) -> dict[str, tuple[float, bool]]:
    """The answer targets of evals/thresholds.yaml: key → (value, is a minimum). The product's
    goals (``goals``) where they are set, else the gate's minima (``answers``): the gate stops
    regressions, the goals say what the answers should reach."""
    out: dict[str, tuple[float, bool]] = {}
    for section in ("answers", "goals"):  # goals last: they win
        for key, value in (thresholds.get(section) or {}).items():
            if str(key).startswith("max:"):
                out[str(key)[4:]] = (float(value), False)
            else:
                out[str(key)] = (float(value), True)
    return out


def headlines(answers: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[Headline]:
    """The headline figures the report has, each with its target when one is set."""
    goal = targets(thresholds)
    figures = overall(answers)
    out = []
    for key, label, explanation, higher in HEADLINES:
        value = figures.get(key)
        if not isinstance(value, int | float):
            continue
        target = goal.get(key, (None, higher))[0]
        out.append(Headline(key, label, float(value), target, higher, explanation))
    return out


def overall(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The report's overall figures: its top-level ones and those of its "quality" section
    for all questions (answer length, citation precision), as the evaluation writes them."""
    quality = answers.get("quality") or {}
    return {**(quality.get("all") or {} if isinstance(quality, Mapping) else {}), **answers}


def median_length(answers: Mapping[str, Any]) -> float | None:
    """The median answer length in characters, when the report has it."""
    value = overall(answers).get("answer_chars_median")
    return float(value) if isinstance(value, int | float) else None


def history_entry(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """One report's revision, date and headline figures (None for a report without answers)."""
    answers = report.get("answers") or {}
    if not answers:
        return None
    meta = report.get("meta", {})
    entry: dict[str, Any] = {
        "revision": meta.get("revision", "?"),
        "created_at": meta.get("created_at", ""),
    }
    for key in TREND_KEYS:
        if isinstance(answers.get(key), int | float):
            entry[key] = float(answers[key])
    return entry


def trend(history: Sequence[Mapping[str, Any]], latest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Past entries, oldest first, with the latest report added when it is not in them yet."""
    rows = sorted(history, key=lambda e: str(e.get("created_at", "")))
    entry = history_entry(latest)
    if entry and all(r.get("revision") != entry["revision"] for r in rows):
        rows.append(entry)
    return [dict(r) for r in rows]


def read_history(path: Path = HISTORY) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data) if isinstance(data, list) else []


def failing(answers: Mapping[str, Any], gold: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The questions the report lists as failed, with the gold question, kind and facts."""
    questions = {str(q["id"]): q for q in gold}
    rows = []
    for miss in answers.get("misses", []):
        item = questions.get(str(miss.get("id")), {})
        answerable = bool(item.get("answerable", True))
        if miss.get("abstained") and answerable:
            problem = "refus à tort"
        elif not answerable:
            problem = "réponse au lieu d'un refus"
        else:
            problem = "faits manquants"
        rows.append(
            {
                "id": str(miss.get("id")),
                "kind": str(item.get("kind", "?")),
                "question": str(item.get("question", "")),
                "expected": [str(f) for f in item.get("key_facts", [])],
                "missing": [str(f) for f in miss.get("missing", [])],
                "problem": problem,
                "answer": next(
                    (miss[k] for k in ("answer", "response", "answer_text") if miss.get(k)), None
                ),
            }
        )
    return rows


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def load_gold_questions(evals: Path) -> list[dict[str, Any]]:
    """Every question the evaluation scores (``gold.yaml`` and ``batches/``), loaded by the
    harness's own loader, as plain mappings."""
    questions = load_gold_set(evals / "gold.yaml", evals / "batches")
    return [question.model_dump(mode="json") for question in questions]


def rebuild_history(repo: Path, path: Path = HISTORY) -> list[dict[str, Any]]:
    """The headline figures of every committed evals/reports/latest.json (from git), into
    ``path``."""
    target = "evals/reports/latest.json"
    commits = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%H", "--", target],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    entries: list[dict[str, Any]] = []
    for commit in reversed(commits):
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", f"{commit}:{target}"], capture_output=True, text=True
        )
        if shown.returncode != 0:
            continue
        entry = history_entry(json.loads(shown.stdout))
        if entry and all(e["revision"] != entry["revision"] for e in entries):
            entries.append(entry)
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return entries


if __name__ == "__main__":
    rows = rebuild_history(REPORTS.parents[1])
    print(f"{len(rows)} reports with answer figures written to {HISTORY}")
