"""The gold set against both stores, side by side: ``assistant eval --store postgres``.

The same index (built once, written to the local folder and to the database), the same
embedder and settings; each retrieval mode is scored on the embedded store (FAISS + bm25s) and
on PostgreSQL (HNSW + ``tsvector``). Without ``ASSISTANT_DATABASE_URL`` a throwaway local
server is started for the run. Writes ``store-comparison.{md,json}`` and fails (status 1) when
the PostgreSQL store's hybrid R@5 is more than ``TOLERANCE`` from the embedded store's.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.build import build_index, index_status
from assistant.config import Settings
from assistant.evaluation.gold import load_gold
from assistant.evaluation.runner import System, SystemResult, evaluate
from assistant.evaluation.suite import _git_revision
from assistant.index.embedders import Embedder, ProgressCallback, Vectors
from assistant.ingest.documents import load_documents
from assistant.pgstore.retriever import PgRetriever
from assistant.retrieval.hybrid import RetrievalMode, Retriever
from assistant.wiring import (
    build_retriever,
    make_embedder,
    open_index,
    open_postgres,
    retrieval_config,
)

TOLERANCE = 0.02
MODES: tuple[RetrievalMode, ...] = ("hybrid", "dense", "lexical")


def run_store_comparison(settings: Settings, gold: Path, out: Path, *, progress: bool) -> int:
    """Score both stores on the gold set, print and write the table; 1 when beyond tolerance."""
    with contextlib.ExitStack() as stack:
        if not settings.database_url:
            from assistant.pgstore.local import LocalPostgres

            server = stack.enter_context(LocalPostgres())
            print(f"No ASSISTANT_DATABASE_URL: a local PostgreSQL on {server.url} for this run.")
            settings = settings.model_copy(update={"database_url": server.url})
        settings = settings.model_copy(update={"store": "postgres"})
        report = compare_stores(settings, gold, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    (out / "store-comparison.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    markdown = comparison_markdown(report)
    (out / "store-comparison.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"Report: {out / 'store-comparison.md'} (JSON {out / 'store-comparison.json'})")
    delta = report["hybrid_recall@5_delta"]
    if abs(delta) > TOLERANCE:
        print(f"PostgreSQL hybrid R@5 differs by {delta:+.3f} (> {TOLERANCE})", file=sys.stderr)
        return 1
    return 0


def compare_stores(settings: Settings, gold: Path, *, progress: bool) -> dict[str, Any]:
    """Every mode on both stores, evaluated on the gold set."""
    questions = load_gold(gold)
    if index_status(settings) is not None:
        build_index(settings, progress=progress)
    embedder = QueryCache(make_embedder(settings))
    for question in questions:  # encoded once, up front: both stores rank the same vectors
        embedder.embed_query(question.question)
    index = open_index(settings)
    documents, _ = load_documents([settings.documents_dir])
    texts = {d.name: d.text for d in documents}
    default = retrieval_config(settings)
    embedded = build_retriever(index, embedder, settings)
    database_index, database = open_postgres(settings, embedder=embedder)
    rows: list[dict[str, Any]] = []
    for mode in MODES:
        config = replace(default, mode=mode)
        local = Retriever(
            embedded.units, embedded.vectors, embedder, config=config,
            glossary=embedded.glossary,
            segments=embedded.segments, gazetteer=embedded.gazetteer,
        )  # fmt: skip
        remote = PgRetriever(
            database.store, embedder, config=config,
            glossary=database.glossary,
            gazetteer=database.gazetteer, units=database.units,
        )  # fmt: skip
        for store, searcher in (("embedded", local), ("postgres", remote)):
            result = evaluate(System(f"{mode}/{store}", mode, searcher), questions, texts)
            rows.append(_row(mode, store, result))
    hybrid = {r["store"]: r for r in rows if r["mode"] == "hybrid"}
    return {
        "revision": _git_revision(),
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "units": len(index.units),
        "database_build": database_index.path.name,
        "pg_ef_search": settings.pg_ef_search,
        "pg_candidates": settings.pg_candidates,
        "rows": rows,
        "hybrid_recall@5_delta": round(
            hybrid["postgres"]["recall@5"] - hybrid["embedded"]["recall@5"], 4
        ),
        "tolerance": TOLERANCE,
    }


class QueryCache:
    """An embedder that encodes each query once (the latencies compare the stores, not e5)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.backend = embedder.backend
        self.model = embedder.model
        self._vectors: dict[str, Vectors] = {}

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def embed_query(self, query: str) -> Vectors:
        if query not in self._vectors:
            self._vectors[query] = self.embedder.embed_query(query)
        return self._vectors[query]

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        return self.embedder.embed_documents(texts, progress=progress)


def _row(mode: str, store: str, result: SystemResult) -> dict[str, Any]:
    overall = result.overall
    return {
        "mode": mode,
        "store": store,
        **{m: overall[m] for m in ("recall@1", "recall@5", "recall@10", "mrr@10")},
        "questions": overall["questions"],
        "p50_ms": result.latency_ms["p50"],
        "p95_ms": result.latency_ms["p95"],
    }


def comparison_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Gold set: embedded store vs PostgreSQL store",
        "",
        f"Revision {report['revision']}; {report['answerable']} answerable questions of "
        f"{report['questions']}; {report['units']} units; PostgreSQL build "
        f"{report['database_build']} (ef_search {report['pg_ef_search']}, "
        f"{report['pg_candidates']} candidates per signal). Command: "
        "`assistant eval --store postgres`. Latency excludes query encoding (each question "
        "is encoded once, before, for both stores).",
        "",
        "| mode | store | R@1 | R@5 | R@10 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['mode']} | {r['store']} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | "
            f"{r['recall@10']:.3f} | {r['mrr@10']:.3f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    lines += [
        "",
        f"Hybrid R@5, PostgreSQL minus embedded: {report['hybrid_recall@5_delta']:+.4f} "
        f"(tolerance {report['tolerance']}).",
        "",
    ]
    return "\n".join(lines)
