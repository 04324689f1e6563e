"""Score only the answers on the gold set (no retrieval side-by-side): `make eval-answers`.

For a quick look at what users see when a full `make eval` is too slow for the machine: same
index, same gold set (gold.yaml + evals/batches/), same figures as the "Answers" part of
`evals/reports/latest.md`; writes `evals/reports/answers.{md,json}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.answers import check_answer_thresholds, evaluate_answers
from assistant.evaluation.gold import load_gold_set
from assistant.evaluation.quality import load_absence_cues
from assistant.evaluation.report import answers_markdown
from assistant.evaluation.suite import _git_revision, load_answer_thresholds

EVALS = Path(__file__).resolve().parent


def main() -> int:
    settings = Settings().model_copy(update={"llm_url": "", "llm_gguf_path": ""})
    try:
        assistant = Assistant.load(settings)
    except AssistantError as exc:  # no index, or one of another format: say how to fix it
        hint = f"\nhint: {exc.hint}" if exc.hint else "\nhint: run `make build` first"
        print(f"error: {exc.message}{hint}", file=sys.stderr)
        return 2
    questions = load_gold_set(EVALS / "gold.yaml", EVALS / "batches")
    result = evaluate_answers(
        assistant.ask,
        questions,
        assistant.index.documents,
        absence_cues=load_absence_cues(EVALS / "absence_cues.yaml"),
    )
    text = f"Revision `{_git_revision()}`, {len(questions)} questions.\n" + answers_markdown(result)
    out = EVALS / "reports"
    (out / "answers.md").write_text(text, encoding="utf-8")
    payload = json.dumps(asdict(result), ensure_ascii=False, indent=2)
    (out / "answers.json").write_text(payload, encoding="utf-8")
    print(text)
    failures = check_answer_thresholds(result, load_answer_thresholds(EVALS / "thresholds.yaml"))
    for failure in failures:
        print(f"below threshold: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
