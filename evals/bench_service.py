"""Latency of the HTTP service, measured over HTTP on this machine.

For each endpoint, starts `assistant serve` on a free localhost port with the current settings
and index (a fresh process each time, so no query vector is cached yet) and times how long it
takes to answer `/health`; warms it up with texts that are not gold questions, then sends every
gold question once (each text seen for the first time: its encoding is included) and again for
a few more rounds (the service keeps the vectors of the texts it has seen: repeated questions),
one request at a time; a few more starts are timed to `/health` alone. Reports p50 / p95 of
both against issue 13's targets (`/health` within 3 s of the start on a built index, `/search`
p50 ≤ 15 ms, `/ask` p50 ≤ 30 ms, taken on the first sight of each question). Writes
evals/reports/service-latency.{json,md}.

    .venv/bin/python evals/bench_service.py [--rounds 3] [--starts 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from assistant.evaluation.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"error: the service exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    sys.exit(f"error: the service did not start within {READY_TIMEOUT:.0f} s")


WARM_UP = [
    "bonjour",
    "quels dispositifs pour une association ?",
    "un atelier de réparation de vélos à Niort",
    "what support exists for cooperatives?",
    "calendrier des appels à projets",
]
# Issue 13's targets on this 2-core machine.
TARGETS = {"health_s": 3.0, "/search": 15.0, "/ask": 30.0}


def body_of(path: str, question: str) -> dict[str, object]:
    return {"query": question, "top_k": 5} if path == "/search" else {"question": question}


def time_to_health() -> float:
    """Seconds from starting a fresh service to its first /health answer."""
    port = free_port()
    env = {**os.environ, "ASSISTANT_LLM_URL": "", "ASSISTANT_LLM_GGUF_PATH": ""}
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(path: str, questions: list[str], rounds: int) -> dict[str, object]:
    """A fresh service: seconds to its first /health answer, then ``path`` timed on each
    question's first sight and on the repeated rounds."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Extractive answers; no rate limit per client (every request comes from this one).
    env = {**os.environ, "ASSISTANT_LLM_URL": "", "ASSISTANT_LLM_GGUF_PATH": "",
           "ASSISTANT_ASK_RATE_PER_MINUTE": "0"}  # fmt: skip
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_ready(url, process)
        health_s = time.perf_counter() - started
        first: list[float] = []
        repeated: list[float] = []
        with httpx.Client(base_url=url, timeout=60) as client:
            for text in WARM_UP:  # not gold questions: nothing they encode is measured later
                client.post(path, json=body_of(path, text)).raise_for_status()
            for round_ in range(rounds):
                for question in questions:
                    begun = time.perf_counter()
                    response = client.post(path, json=body_of(path, question))
                    (first if round_ == 0 else repeated).append(
                        (time.perf_counter() - begun) * 1000
                    )
                    response.raise_for_status()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"health_s": round(health_s, 2), **_summary("first", first),
            **_summary("repeated", repeated)}  # fmt: skip


def _summary(name: str, values: list[float]) -> dict[str, object]:
    if not values:
        return {f"{name}_requests": 0}
    return {
        f"{name}_requests": len(values),
        f"{name}_p50_ms": round(statistics.median(values), 1),
        f"{name}_p95_ms": round(percentile(values, 95), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the gold questions")
    parser.add_argument("--starts", type=int, default=5, help="service starts timed to /health")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    questions = [row["question"] for row in yaml.safe_load((ROOT / "evals/gold.yaml").read_text())]
    load_before = os.getloadavg()[0]
    starts = [round(time_to_health(), 2) for _ in range(args.starts)]
    summary = {path: measure(path, questions, args.rounds) for path in ("/search", "/ask")}
    starts += [float(s["health_s"]) for s in summary.values()]  # type: ignore[arg-type]
    load_after = os.getloadavg()[0]
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    meta = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision or "unknown",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rounds": args.rounds,
        "questions": len(questions),
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }
    health = {"starts_s": starts, "median_s": round(statistics.median(starts), 2),
              "max_s": max(starts)}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service-latency.json").write_text(
        json.dumps({"meta": meta, "health": health, "latency": summary}, indent=2), encoding="utf-8"
    )
    lines = [
        "# Service latency over HTTP",
        "",
        f"Revision `{meta['revision']}`, {meta['created_at']}, {meta['machine']} (shared with "
        f"other jobs; load average {load_before:.1f} before, {load_after:.1f} after); "
        f"`python evals/bench_service.py --rounds {args.rounds}`. For each endpoint a fresh "
        "`assistant serve` on the built seed index, timed from its start to its first `/health` "
        f"answer; then the {len(questions)} gold questions one request at a time, extractive "
        "answers: once each, every text seen for the first time (its encoding included), then "
        f"{args.rounds - 1} more rounds of the same questions (the service keeps the vectors of "
        "the texts it has seen, so these skip the encoding).",
        "",
        "| endpoint | start to /health s | first sight: requests | p50 ms | p95 ms "
        "| repeated: requests | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path, s in summary.items():
        lines.append(
            f"| {path} | {s['health_s']} | {s['first_requests']} | {s.get('first_p50_ms', '-')} "
            f"| {s.get('first_p95_ms', '-')} | {s['repeated_requests']} "
            f"| {s.get('repeated_p50_ms', '-')} | {s.get('repeated_p95_ms', '-')} |"
        )
    lines += [
        "",
        f"Start to first `/health` answer over {len(starts)} starts (the {args.starts} starts "
        f"for `/health` alone, then the two above): median {health['median_s']} s, at worst "
        f"{health['max_s']} s ({', '.join(str(s) for s in starts)}).",
    ]
    median = float(health["median_s"])  # type: ignore[arg-type]
    checks = [
        f"`/health` {median} s after the start, median (≤ {TARGETS['health_s']:.0f}: "
        f"{'met' if median <= TARGETS['health_s'] else 'NOT met'}; at worst {health['max_s']} s)"
    ]
    for path in ("/search", "/ask"):
        p50 = float(summary[path]["first_p50_ms"])  # type: ignore[arg-type]
        checks.append(
            f"`{path}` p50 {p50} ms on first sight (≤ {TARGETS[path]:.0f}: "
            f"{'met' if p50 <= TARGETS[path] else 'NOT met'})"
        )
    lines += ["", "Targets (issue 13): " + "; ".join(checks) + "."]
    (args.out / "service-latency.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
