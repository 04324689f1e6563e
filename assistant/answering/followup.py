"""Follow-up questions read against the conversation ("et à Nantes ?", "lesquelles concernent
l'alimentation ?", "combien ça représente ?"). A question is a follow-up only when it cannot
stand alone: it opens on a word that continues the previous one ("et…", "lesquelles…"), or points
back to it ("ça", "ceux-ci") while naming nothing of its own (no territory, scheme or term of
the glossary, at most two content words). A short question that says what it is about is
left alone. The client sends the history; nothing is kept on the server."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.conversation import Turn
from assistant.answering.lexicon import Lexicon
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import MAX_QUERY_CHARS
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.retrieval.territories import Gazetteer
from assistant.text import fold

ANCHOR_WORDS = 3  # content words that make a question pointing back stand alone


def resolve(
    question: str,
    history: Sequence[Turn],
    *,
    lexicon: Lexicon,
    gazetteer: Gazetteer,
    glossary: Glossary,
    analyzer: FrenchAnalyzer,
) -> str | None:
    """The question made standalone with the previous user question, or ``None`` when it
    stands alone (or there is nothing to read it against)."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    if previous is None or not is_follow_up(
        question, lexicon=lexicon, gazetteer=gazetteer, glossary=glossary, analyzer=analyzer
    ):
        return None
    if any(t.covered for t in gazetteer.find(question)):
        previous = " ".join(w for w in previous.split() if not gazetteer.find(w))
    previous = previous.strip().rstrip("?").strip()
    # A long previous question is cut (at a word) so that the standalone one stays searchable.
    room = MAX_QUERY_CHARS - len(question.strip()) - 1
    if len(previous) > room:
        previous = previous[: max(room, 0) + 1].rsplit(" ", 1)[0][:room].strip()
    return f"{previous} {question.strip()}".strip()


def is_follow_up(
    question: str,
    *,
    lexicon: Lexicon,
    gazetteer: Gazetteer,
    glossary: Glossary,
    analyzer: FrenchAnalyzer,
) -> bool:
    """Whether ``question`` cannot stand alone."""
    folded = fold(question.strip())
    if lexicon.follow_opens.search(folded):
        return True
    if not lexicon.follow_points_back.search(folded):
        return False
    anchored = bool(gazetteer.find(question)) or bool(glossary.find(question))
    words = [w for w in analyzer(question) if w not in lexicon.generic_stems]
    return not anchored and len(words) < ANCHOR_WORDS
