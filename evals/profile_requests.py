"""Where a request's CPU time goes, in process: the model encoding the query, then the rest.

For each gold question (gold.yaml), the CPU time of: the model alone encoding it; /search's and
/ask's work (extractive) with the query encoded anew (``cold``, as for a question never asked
before) and with its vector kept (``warm``: what is left when the model is not run). Also how
many times one /ask has the model encode a query. CPU time is the process' (every thread), so a
busy machine inflates it: the report gives the machine's load. Writes
evals/reports/request-cpu.{json,md}; the HTTP layer's share is the load benchmark's server CPU
per repeated request (evals/reports/load.md) minus this ``warm`` figure.

    .venv/bin/python evals/profile_requests.py [--profile]   # --profile: cProfile's top 25
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.index.embedders import QueryCache, Vectors

ROOT = Path(__file__).resolve().parent.parent


def cpu_ms(
    step: Callable[[str], object], questions: list[str], before: Callable[[], None]
) -> float:
    """Mean CPU milliseconds of ``step`` per question, ``before`` run (untimed) before each."""
    total = 0.0
    for question in questions:
        before()
        started = time.process_time()
        step(question)
        total += time.process_time() - started
    return round(1000 * total / len(questions), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    settings = Settings().model_copy(update={"llm_url": "", "llm_gguf_path": ""})
    assistant = Assistant.load(settings)
    cache = assistant.retriever.embedder
    if not isinstance(cache, QueryCache):
        print("the assistant's embedder keeps no query vectors", file=sys.stderr)
        return 1
    model = cache.embedder
    questions = [r["question"] for r in yaml.safe_load((ROOT / "evals/gold.yaml").read_text())]
    for question in questions[:5]:  # warm-up
        assistant.ask(question, generate=False)

    def nothing() -> None:
        return None

    search: Callable[[str], object] = lambda q: assistant.search(q, top_k=5)  # noqa: E731
    ask: Callable[[str], object] = lambda q: assistant.ask(q, generate=False)  # noqa: E731
    load = round(os.getloadavg()[0], 2)
    rows = {
        "model encodes the query": cpu_ms(model.embed_query, questions, nothing),
        "/search, query encoded (cold)": cpu_ms(search, questions, cache.clear),
        "/ask, query encoded (cold)": cpu_ms(ask, questions, cache.clear),
    }
    for question in questions:
        assistant.ask(question, generate=False)
        assistant.search(question, top_k=5)
    rows["/search, query vector kept (warm)"] = cpu_ms(search, questions, nothing)
    rows["/ask, query vector kept (warm)"] = cpu_ms(ask, questions, nothing)

    asked: list[str] = []  # queries the search code asks the embedder for
    encoded: list[str] = []  # the ones the model encodes
    ask_cache, encode = cache.embed_query, model.embed_query

    def asking(query: str) -> Vectors:
        asked.append(query)
        return ask_cache(query)

    def encoding(query: str) -> Vectors:
        encoded.append(query)
        return encode(query)

    cache.embed_query = asking  # type: ignore[method-assign]
    model.embed_query = encoding  # type: ignore[method-assign]
    per_ask: Counter[int] = Counter()
    model_runs = 0
    for question in questions:
        cache.clear()
        asked.clear()
        encoded.clear()
        assistant.ask(question, generate=False)
        per_ask[len(asked)] += 1
        model_runs += len(encoded)
    cache.embed_query, model.embed_query = ask_cache, encode  # type: ignore[method-assign]

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for question in questions:
            assistant.ask(question, generate=False)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)

    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision or "unknown",
        "questions": len(questions),
        "load_1min": load,
        "cpu_ms": rows,
        "queries_per_ask": dict(sorted(per_ask.items())),
        "mean_queries_per_ask": round(
            statistics.fmean([n for n, count in per_ask.items() for _ in range(count)]), 3
        ),
        "mean_model_runs_per_ask": round(model_runs / len(questions), 3),
    }
    lines = ["# CPU time of a request, in process", "",
             f"Revision `{report['revision']}`, {report['created_at']}, {os.cpu_count()} cores, "
             f"machine load {load} when it started; {len(questions)} gold questions, extractive "
             "answers; mean CPU ms per question. Command: `.venv/bin/python "
             "evals/profile_requests.py`.", "", "| step | CPU ms |", "|---|---|"]  # fmt: skip
    lines += [f"| {name} | {value} |" for name, value in rows.items()]
    counts = ", ".join(f"{n} for {count} questions" for n, count in sorted(per_ask.items()))
    runs = report["mean_model_runs_per_ask"]
    lines += ["", f"Query vectors one /ask asks for (a question never asked before): {counts} "
              f"(mean {report['mean_queries_per_ask']}); the model runs {runs} times per /ask "
              "(once per distinct text)."]  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "request-cpu.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (args.out / "request-cpu.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
