"""The gold set: questions as users ask them, with the document quotes that answer them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import CorpusError
from assistant.evaluation.metrics import squash

QuestionKind = Literal["list", "factoid", "scheme", "comparison", "unanswerable"]
# "dev" questions were seen while the system was tuned; "holdout" ones were written afterwards
# and are only measured, so their figures show how the system does on unseen questions.
Split = Literal["dev", "holdout"]


class GoldPart(BaseModel):
    """One thing a multi-part question asks.

    An answerable part carries its own ``quotes`` and ``key_facts``; a part the documents do not
    answer has ``answerable: false`` and a ``topic``: words of which one must appear in the line
    of the answer that says the document does not give it ("Le document ne donne pas de date
    limite de dépôt." for ``topic: [date limite, délai]``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ask: str = Field(min_length=2)
    answerable: bool = True
    quotes: tuple[str, ...] = ()
    key_facts: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> GoldPart:
        if self.answerable and not (self.quotes and self.key_facts):
            raise ValueError(f"answerable part {self.ask!r} needs quotes and key_facts")
        if not self.answerable and (self.quotes or self.key_facts or not self.topic):
            raise ValueError(f"unanswerable part {self.ask!r} takes a topic, no quotes or facts")
        return self


class GoldQuestion(BaseModel):
    """One question; ``quotes`` are verbatim passages of the corpus that answer it.

    A question asking several things has ``parts`` (at least two, at least one answerable)
    instead of top-level ``quotes`` and ``key_facts``: these are then the union of its answerable
    parts', so retrieval and whole-answer scores treat it like any other question. ``batch``
    names the batch a held-out question came in, so that its first-run figures can be reported
    apart; questions loaded from ``evals/batches/<name>.yaml`` default to ``<name>``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str = Field(min_length=3)
    lang: Literal["fr", "en"]
    kind: QuestionKind
    persona: Literal["staff", "porteur", "public"]
    answerable: bool
    split: Split = "dev"
    batch: str | None = None
    quotes: tuple[str, ...] = ()
    key_facts: tuple[str, ...] = ()
    parts: tuple[GoldPart, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _union_of_parts(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("parts"):
            return data
        if data.get("quotes") or data.get("key_facts"):
            raise ValueError("a question with parts takes its quotes and key_facts in its parts")
        parts = [GoldPart.model_validate(p) for p in data["parts"]]
        answered = [p for p in parts if p.answerable]
        return data | {
            "quotes": [q for p in answered for q in p.quotes],
            "key_facts": [f for p in answered for f in p.key_facts],
        }

    @model_validator(mode="after")
    def _consistent(self) -> GoldQuestion:
        if self.answerable != (self.kind != "unanswerable"):
            raise ValueError("answerable must be false exactly for unanswerable questions")
        if self.answerable and not self.quotes:
            raise ValueError("an answerable question needs at least one quote")
        if self.parts and (len(self.parts) < 2 or not self.answerable):
            raise ValueError("parts: at least two, on an answerable question")
        return self


def load_gold(path: Path, *, batch: str | None = None) -> list[GoldQuestion]:
    """Read one gold file; ``CorpusError`` naming the question at fault.

    ``batch`` is given to the questions that do not name their own.
    """
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"cannot read the gold set {path}: {exc}") from exc
    if rows is not None and not isinstance(rows, list):
        raise CorpusError(f"{path}: expected a list of questions")
    questions: list[GoldQuestion] = []
    for position, row in enumerate(rows or [], 1):
        label = row.get("id", f"#{position}") if isinstance(row, dict) else f"#{position}"
        try:
            if isinstance(row, dict) and batch is not None and not row.get("batch"):
                row = row | {"batch": batch}
            questions.append(GoldQuestion.model_validate(row))
        except ValidationError as exc:
            raise CorpusError(f"{path}: question {label}: {exc.errors()[0]['msg']}") from exc
    _unique(questions, str(path))
    return questions


def load_gold_set(path: Path, batches: Path | None = None) -> list[GoldQuestion]:
    """The main gold file plus every ``*.yaml`` file of the ``batches`` folder (sorted by name).

    Each batch file's questions are tagged with the file's stem unless they name a batch.
    """
    questions = load_gold(path)
    if batches is not None and batches.is_dir():
        for extra in sorted(batches.glob("*.yaml")):
            questions += load_gold(extra, batch=extra.stem)
    _unique(questions, f"{path} and {batches}")
    return questions


def _unique(questions: Sequence[GoldQuestion], where: str) -> None:
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise CorpusError(f"{where}: question id {question.id} appears twice")
        seen.add(question.id)


def check_quotes(questions: Iterable[GoldQuestion], texts: Mapping[str, str]) -> list[str]:
    """Problems of a gold file that need no retrieval: quotes not verbatim in any document.

    Spacing is ignored (the harness compares squashed text); case and punctuation are not.
    """
    corpus = [squash(text) for text in texts.values()]
    problems = []
    for question in questions:
        for quote in question.quotes:
            if not any(squash(quote) in text for text in corpus):
                problems.append(f"{question.id}: quote not found verbatim: {quote[:80]!r}")
    return problems
