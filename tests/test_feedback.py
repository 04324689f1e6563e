"""Feedback in SQLite: one vote per answer and client, bounded comments, a CSV safe to open."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from assistant.ui.feedback import MAX_COMMENT_CHARS, FeedbackError, FeedbackStore


def test_a_second_vote_of_a_client_on_an_answer_replaces_the_first(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    first = store.add("Q ?", "R.", useful=True, client="a")
    second = store.add("Q ?", "R.", useful=False, comment="finalement non", client="a")
    other = store.add("Q ?", "R.", useful=True, client="b")
    assert first == second != other
    rows = store.rows()
    assert len(rows) == 2
    assert rows[0][4:] == (0, "finalement non")


def test_a_comment_too_long_is_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(FeedbackError, match="commentaire"):
        FeedbackStore(tmp_path).add("Q", "R", useful=True, comment="x" * (MAX_COMMENT_CHARS + 1))


def test_the_csv_export_defuses_formulas(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    for i, comment in enumerate(['=HYPERLINK("http://x","clic")', "+1", "-2", "@SUM(A1)", "ok"]):
        store.add(f"question {i}", "réponse", useful=True, comment=comment, client=str(i))
    rows = list(csv.reader(io.StringIO(store.to_csv())))
    comments = [row[5] for row in rows[1:]]
    assert comments == ['\'=HYPERLINK("http://x","clic")', "'+1", "'-2", "'@SUM(A1)", "ok"]


def test_an_older_database_gets_the_new_columns(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT "
            "NULL, question TEXT NOT NULL, answer TEXT NOT NULL, useful INTEGER NOT NULL, "
            "comment TEXT NOT NULL DEFAULT '')"
        )
        db.execute("INSERT INTO feedback VALUES (1, 'hier', 'Q', 'R', 1, '')")
    store = FeedbackStore(tmp_path)
    store.add("Q", "R", useful=False, client="x")
    assert len(store.rows()) == 2


def _write(folder: str, worker: int) -> None:
    store = FeedbackStore(Path(folder))
    for i in range(250):
        store.add(f"q{worker}-{i}", "r", useful=bool(i % 2), client=f"c{worker}")


def test_concurrent_writers_lose_no_vote(tmp_path: Path) -> None:
    workers = [multiprocessing.Process(target=_write, args=(str(tmp_path), w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert len(FeedbackStore(tmp_path).rows()) == 1000
