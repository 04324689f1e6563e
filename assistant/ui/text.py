"""Text helpers for the pages: corpus text is always shown as text, never as HTML or markup."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.retrieval.lexical import STOP_WORDS
from assistant.text import fold

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """Text that st.markdown shows literally (no link, no emphasis, no HTML)."""
    return _MARKDOWN.sub(r"\\\1", text)


def highlight(text: str, query: str) -> str:
    """Escaped ``text`` with the query's words in bold (accents and case ignored)."""
    terms = {fold(w) for w in re.findall(r"\w{3,}", query) if fold(w) not in STOP_WORDS}
    pieces = []
    for token in re.split(r"(\w+)", text):
        if token and re.fullmatch(r"\w+", token) and _matches(fold(token), terms):
            pieces.append(f"**{escape_markdown(token)}**")
        else:
            pieces.append(escape_markdown(token))
    return "".join(pieces)


def _matches(word: str, terms: Iterable[str]) -> bool:
    return any(word.startswith(term[:5]) and len(word) >= 3 for term in terms)


def conversation_markdown(messages: Sequence[Mapping[str, Any]]) -> str:
    """A conversation with its citations, as a Markdown document to download."""
    lines = ["# Conversation — assistant ESS", ""]
    for message in messages:
        who = "Question" if message["role"] == "user" else "Réponse"
        lines += [f"## {who}", "", str(message["content"]), ""]
        for citation in message.get("citations", []):
            source = citation["source"]
            quote = " ".join(str(citation["text"]).split())
            lines.append(f"[{citation['number']}] {source['document']} § {source['section']} — "
                         f"« {quote} »")  # fmt: skip
        if message.get("citations"):
            lines.append("")
    return "\n".join(lines)
