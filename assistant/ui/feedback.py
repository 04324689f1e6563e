"""Feedback on answers (useful or not, a comment), kept in SQLite under the data folder.

One vote per answer and per client: voting again on the same answer replaces the vote. The
web app sends feedback to the service (``POST /feedback``) when it talks to one, and writes
it here itself otherwise, so both modes store the same rows.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from assistant.config import Settings

MAX_COMMENT_CHARS = 2000
MAX_TEXT_CHARS = 20_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    useful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""
# Added later: older databases get the columns on open.
MIGRATIONS = {"client": "TEXT", "answer_key": "TEXT"}
UNIQUE_VOTE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS one_vote ON feedback (client, answer_key) "
    "WHERE client IS NOT NULL AND answer_key IS NOT NULL"
)
COLUMNS = ("id", "created_at", "question", "answer", "useful", "comment")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FeedbackError(Exception):
    """Feedback that cannot be stored; the message is for the user (in French)."""


class FeedbackSink(Protocol):
    def add(
        self, question: str, answer: str, *, useful: bool, comment: str = "", client: str = ""
    ) -> int: ...


def answer_key(question: str, answer: str) -> str:
    """Which answer a vote is about: the same question and text are the same answer."""
    return hashlib.sha256(f"{question}\x00{answer}".encode()).hexdigest()[:32]


class FeedbackStore:
    """Thread-safe (Streamlit serves sessions from several threads); survives restarts."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "feedback.sqlite3"
        self._lock = threading.Lock()
        with self._lock, self._connect() as db:
            db.execute(SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            for column, kind in MIGRATIONS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE feedback ADD COLUMN {column} {kind}")
            db.execute(UNIQUE_VOTE)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction, committed (or rolled back) and closed at the end."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(
        self, question: str, answer: str, *, useful: bool, comment: str = "", client: str = ""
    ) -> int:
        """Store a vote and return its row id; a client's second vote on an answer replaces
        the first. ``FeedbackError`` when the comment is too long."""
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise FeedbackError(
                f"le commentaire fait {len(comment)} caractères ; {MAX_COMMENT_CHARS} au plus"
            )
        row = (datetime.now(UTC).isoformat(timespec="seconds"), question[:MAX_TEXT_CHARS],
               answer[:MAX_TEXT_CHARS], int(useful), comment, client or None,
               answer_key(question, answer) if client else None)  # fmt: skip
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, question, answer, useful, comment, client, "
                "answer_key) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, answer_key) "
                "WHERE client IS NOT NULL AND answer_key IS NOT NULL DO UPDATE SET "
                "created_at = excluded.created_at, useful = excluded.useful, "
                "comment = excluded.comment RETURNING id",
                row,
            )
            # Read RETURNING to the end: a statement left running keeps the write lock.
            (row_id,) = cursor.fetchall()[0]
            cursor.close()
            return int(row_id)

    def rows(self) -> list[tuple[object, ...]]:
        with self._connect() as db:
            return list(db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id"))

    def to_csv(self) -> str:
        """All feedback as CSV, every cell safe to open in a spreadsheet."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows([[_cell(value) for value in row] for row in self.rows()])
        return out.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FeedbackClient:
    """Sends feedback to the service's ``POST /feedback``."""

    def __init__(self, base_url: str, *, client: str = "", timeout: float = 10.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.client = client

    def add(
        self, question: str, answer: str, *, useful: bool, comment: str = "", client: str = ""
    ) -> int:
        body = {"question": question, "answer": answer, "useful": useful, "comment": comment,
                "client_id": client or self.client or None}  # fmt: skip
        try:
            response = self.http.post("/feedback", json=body)
        except httpx.HTTPError as exc:
            raise FeedbackError(f"le service est injoignable : {exc}") from exc
        if response.status_code >= 400:
            raise FeedbackError(str(response.json().get("detail", response.text)))
        return int(response.json()["id"])


def make_feedback(settings: Settings) -> FeedbackSink:
    """Where the web app sends feedback: the service when it uses one, else SQLite here."""
    if settings.service_url:
        return FeedbackClient(settings.service_url)
    return FeedbackStore(settings.data_dir)
