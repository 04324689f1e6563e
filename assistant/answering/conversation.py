"""A conversation's turns, as the client sends them; nothing is kept on the server. Which
question is a follow-up, and how it is read against the history, is
``assistant.answering.followup``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str
