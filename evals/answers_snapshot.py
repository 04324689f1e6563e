"""Every gold question's answer as users read it, one JSON line each: `make answers-snapshot`.

For refactors that must not change what users see (a move, a rename, a new wiring): take a
snapshot before, one after, and diff them. Same index, same gold set (gold.yaml +
evals/batches/); extractive answers only (no language model), so the output is deterministic.

    python evals/answers_snapshot.py > before.jsonl   # on the old revision
    python evals/answers_snapshot.py > after.jsonl    # on the new one
    diff before.jsonl after.jsonl && echo unchanged
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.evaluation.gold import load_gold_set

EVALS = Path(__file__).resolve().parent


def main() -> int:
    settings = Settings().model_copy(update={"llm_url": "", "llm_gguf_path": ""})
    assistant = Assistant.load(settings)
    for question in load_gold_set(EVALS / "gold.yaml", EVALS / "batches"):
        answer = assistant.ask(question.question)
        line = {
            "id": question.id,
            "question": question.question,
            "text": answer.text,
            "abstained": answer.abstained,
            "citations": [(c.unit_id, c.text) for c in answer.citations],
            "related": [r.unit_id for r in answer.related],
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
