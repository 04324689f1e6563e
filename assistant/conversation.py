"""Follow-up questions read against the conversation: "et à Nantes ?", "lesquelles concernent
l'alimentation ?", "combien ça représente ?". The client sends the history; nothing is kept on the
server."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.lexical import FrenchAnalyzer
from assistant.retrieve import MAX_QUERY_CHARS
from assistant.territories import Gazetteer
from assistant.text import fold

_FOLLOW_UP_START = re.compile(
    r"^(et|and|mais|but|lesquel(le)?s?|laquelle|lequel|parmi (elles|eux|celles|ceux)|"
    r"combien (ca|cela)|et pour|what about|how about|which of (them|these|those)|"
    r"among (them|these|those)|ceux|celles|celui|celle|pour (elles|eux))\b"
)
_PRONOUNS = re.compile(r"\b(ca|cela|ceux-ci|celles-ci|elles|ils|it|they|them|those|these)\b")
SHORT_QUESTION_TERMS = 3


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


def resolve_follow_up(
    question: str,
    history: Sequence[Turn],
    *,
    gazetteer: Gazetteer,
    analyzer: FrenchAnalyzer,
) -> str:
    """The question made standalone with the previous user question, when it is a follow-up."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if previous is None:
        return question
    folded = fold(question.strip())
    short = len(analyzer(question)) <= SHORT_QUESTION_TERMS
    if not (_FOLLOW_UP_START.search(folded) or _PRONOUNS.search(folded) or short):
        return question
    new_places = [t for t in gazetteer.find(question) if t.covered]
    if new_places:
        previous = _without_places(previous, gazetteer)
    previous = previous.strip().rstrip("?").strip()
    # A long previous question is cut (at a word) so that the standalone one stays searchable.
    room = MAX_QUERY_CHARS - len(question.strip()) - 1
    if len(previous) > room:
        previous = previous[: max(room, 0) + 1].rsplit(" ", 1)[0][:room].strip()
    return f"{previous} {question.strip()}".strip()


def _without_places(text: str, gazetteer: Gazetteer) -> str:
    """``text`` with the territory names it mentions removed (a new one replaces them)."""
    kept = [word for word in text.split() if not gazetteer.find(word)]
    return " ".join(kept)
