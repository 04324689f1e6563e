"""The gold set: questions as users ask them, with the document quotes that answer them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import CorpusError

QuestionKind = Literal["list", "factoid", "scheme", "comparison", "unanswerable"]
# "dev" questions were seen while the system was tuned; "holdout" ones were written afterwards
# and are only measured, so their figures show how the system does on unseen questions.
Split = Literal["dev", "holdout"]


class GoldQuestion(BaseModel):
    """One question; ``quotes`` are verbatim passages of the corpus that answer it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str = Field(min_length=3)
    lang: Literal["fr", "en"]
    kind: QuestionKind
    persona: Literal["staff", "porteur", "public"]
    answerable: bool
    split: Split = "dev"
    quotes: tuple[str, ...] = ()
    key_facts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> GoldQuestion:
        if self.answerable != (self.kind != "unanswerable"):
            raise ValueError("answerable must be false exactly for unanswerable questions")
        if self.answerable and not self.quotes:
            raise ValueError("an answerable question needs at least one quote")
        return self


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read the gold set; ``CorpusError`` naming the question at fault."""
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"cannot read the gold set {path}: {exc}") from exc
    questions: list[GoldQuestion] = []
    for position, row in enumerate(rows or [], 1):
        try:
            questions.append(GoldQuestion.model_validate(row))
        except ValidationError as exc:
            label = row.get("id", f"#{position}") if isinstance(row, dict) else f"#{position}"
            raise CorpusError(f"{path}: question {label}: {exc.errors()[0]['msg']}") from exc
    ids = [q.id for q in questions]
    if len(ids) != len(set(ids)):
        raise CorpusError(f"{path}: question ids must be unique")
    return questions
