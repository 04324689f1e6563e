"""The scheme finder on the real corpus and records: what a project can use where it is first.

The ranking rules are logic around the model, so the index is built here with the fake
embedder (real BM25, real FAISS); the service test runs the same request on the real model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answering.schemes import SchemeMatch, SchemeQuery
from assistant.assistant import Assistant
from assistant.build import build_index
from assistant.config import Settings
from assistant.index.store import load_index
from assistant.ingest.catalog import load_catalog
from assistant.profile import load_profile
from assistant.types import Document
from assistant.wiring import build_retriever
from tests.conftest import CORPUS, REPO, FakeEmbedder


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root: Path = tmp_path_factory.mktemp("schemes")
    shutil.copytree(CORPUS, root / "corpus", ignore=shutil.ignore_patterns("originals"))
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    index = load_index(
        settings.index_dir,
        embedder={"backend": "fake"},
        chunking={"chunk_size": settings.chunk_size},
    )
    documents = {
        name: Document(name=name, title=name, text=text, format="md")
        for name, text in index.documents.items()
    }
    catalog = load_catalog(settings.records_dir, documents)
    retriever = build_retriever(index, FakeEmbedder(), settings)
    return Assistant(settings, index, retriever, catalog)


def home() -> str:
    territory = load_profile(REPO / "corpus" / "profile.yaml").home_territory
    assert territory is not None
    return territory


def project(**fields: object) -> SchemeQuery:
    base: dict[str, object] = {
        "description": "association d'insertion qui veut créer une recyclerie, besoin de "
        "10 000 € pour démarrer",
        "stage": "émergence",
        "needs": ("financement",),
        "amount_eur": 10_000,
    }
    return SchemeQuery(**(base | fields))  # type: ignore[arg-type]


def check_order_and_fits(matches: list[SchemeMatch]) -> None:
    first_example = next((i for i, m in enumerate(matches) if not m.local), len(matches))
    assert all(not m.local for m in matches[first_example:])  # no local option below an example
    for match in matches:
        if not match.accessible:
            assert match.fits == [] and match.restriction == (
                f"réservé au territoire de {match.territory}"
            )
            assert not any("plafond" in f for f in match.fits)


def test_a_home_project_sees_the_local_support_bodies_before_any_benchmark_scheme(
    assistant: Assistant,
) -> None:
    matches = assistant.match_schemes(project(territory=home()), top_k=8)
    check_order_and_fits(matches)
    local = [m for m in matches if m.local]
    assert {"france-active", "atis", "adefip"} <= {m.id for m in local}
    assert all(m.kind == "acteur" and m.territory == home() for m in local)
    examples = [m for m in matches if not m.local]
    assert examples and all(not m.accessible for m in examples)
    # how an example would have matched is kept, as a neutral note rather than a fit
    lyon = [m for m in examples if any("plafond" in n for n in m.notes)]
    assert lyon and all(m.fits == [] for m in lyon)
    adefip = next(m for m in local if m.id == "adefip")
    assert adefip.website == "jadopteunprojet.com"


def test_with_no_territory_given_the_home_territory_is_the_project_s(
    assistant: Assistant,
) -> None:
    matches = assistant.match_schemes(project(), top_k=8)
    check_order_and_fits(matches)
    assert matches[0].local and matches[0].territory == home()


def test_a_project_elsewhere_can_use_that_territory_s_schemes(assistant: Assistant) -> None:
    elsewhere = next(
        d.territory for d in assistant.catalog.dispositifs.values() if d.territory != home()
    )
    matches = assistant.match_schemes(project(territory=elsewhere), top_k=8)
    check_order_and_fits(matches)
    usable = [m for m in matches if m.local]
    assert usable and all(m.accessible and m.territory == elsewhere for m in usable)
    assert all(m.restriction is None and m.notes == [] for m in usable)
    assert not any(m.kind == "acteur" and m.territory == home() for m in matches)
