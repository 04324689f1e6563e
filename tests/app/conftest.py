"""The app tests' real index: the real corpus built with the real model, as in tests/conftest.py,
but starting from the vectors of this checkout's own build (`make build` writes index/) when
there is one, so that only the texts that changed since are embedded again."""

from __future__ import annotations

import shutil

import pytest

from assistant.build import build_index
from assistant.config import Settings
from assistant.index.embedders import E5Embedder
from tests.conftest import CORPUS, REPO


@pytest.fixture(scope="session")
def real_index_settings(tmp_path_factory: pytest.TempPathFactory, e5: E5Embedder) -> Settings:
    root = tmp_path_factory.mktemp("real-app")
    shutil.copytree(CORPUS, root / "corpus", ignore=shutil.ignore_patterns("originals", "drafts"))
    local = REPO / "index"
    if (local / "LATEST").exists():
        latest = (local / "LATEST").read_text(encoding="utf-8").strip()
        shutil.copytree(local / "builds" / latest, root / "index" / "builds" / latest)
        shutil.copy(local / "LATEST", root / "index" / "LATEST")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=e5, progress=False)
    return settings
