"""Latency of the HTTP service, measured over HTTP on this machine.

Starts `assistant serve` on a free localhost port with the current settings and index, warms it
up, then sends every gold question to /search and /ask (extractive) for a few rounds, one request
at a time, and reports p50 / p95 per endpoint. Writes evals/reports/service-latency.{json,md}.

    .venv/bin/python evals/bench_service.py [--rounds 3]
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
        time.sleep(0.2)
    sys.exit(f"error: the service did not start within {READY_TIMEOUT:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the gold questions")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    questions = [row["question"] for row in yaml.safe_load((ROOT / "evals/gold.yaml").read_text())]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSISTANT_LLM_URL": "", "ASSISTANT_LLM_GGUF_PATH": ""}
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_ready(url, process)
        timings: dict[str, list[float]] = {"/search": [], "/ask": []}
        with httpx.Client(base_url=url, timeout=60) as client:
            for question in questions[:5]:  # warm-up
                client.post("/search", json={"query": question})
                client.post("/ask", json={"question": question})
            for _ in range(args.rounds):
                for question in questions:
                    for path, body in (("/search", {"query": question, "top_k": 5}),
                                       ("/ask", {"question": question})):  # fmt: skip
                        started = time.perf_counter()
                        response = client.post(path, json=body)
                        timings[path].append((time.perf_counter() - started) * 1000)
                        response.raise_for_status()
    finally:
        process.terminate()
        process.wait(timeout=30)
    summary = {
        path: {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 95), 1),
        }
        for path, values in timings.items()
    }
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    meta = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision or "unknown",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rounds": args.rounds,
        "questions": len(questions),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service-latency.json").write_text(
        json.dumps({"meta": meta, "latency": summary}, indent=2), encoding="utf-8"
    )
    lines = [
        "# Service latency over HTTP",
        "",
        f"Revision `{meta['revision']}`, {meta['created_at']}, {meta['machine']}; "
        f"{args.rounds} rounds of the {len(questions)} gold questions, one request at a time, "
        "extractive answers.",
        "",
        "| endpoint | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {p} | {s['requests']} | {s['p50_ms']} | {s['p95_ms']} |" for p, s in summary.items()
    ]
    (args.out / "service-latency.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
