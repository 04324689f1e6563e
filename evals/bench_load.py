"""A bounded load test of the HTTP service on localhost: 20 and 50 concurrent clients.

Starts `assistant serve` on a free port (per-client rate limit off: every client is 127.0.0.1),
then for each client count runs that many threads for ``--seconds``, each sending questions to
/search and /ask (extractive) one after the other. Reports throughput of answered requests,
p50/p95/p99 latency of the answered ones, errors (5xx other than 503, 4xx, transport errors) and
shed requests (503 with Retry-After). Writes evals/reports/load.{json,md}.

Two kinds of traffic, each at every client count: ``repeating`` sends the gold questions in
turn, so the same texts come back (as suggested questions and a search then an ask of the same
question do); ``distinct`` makes every request's text one never sent before in the run (a gold
question with a lead-in and an ending), so nothing the service keeps of a past query can serve
it: the figure for questions nobody asked before (a little pessimistic: those texts have 28.1
tokens on average against the gold questions' 24.7, and the model's time grows with them).

    .venv/bin/python evals/bench_load.py [--seconds 30] [--clients 20 50]
                                         [--traffic repeating distinct]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from assistant.config import Settings
from assistant.evaluation.metrics import percentile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_service import ROOT, free_port, wait_ready


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux); 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else 0.0


LEAD_INS = ("", "Bonjour, ", "Une question : ", "Pouvez-vous me dire : ", "Dites-moi : ",
            "Petite question : ", "Svp, ", "Je me demande : ")  # fmt: skip
ENDINGS = ("", " Merci.", " Merci d'avance.", " Merci beaucoup !")


def distinct_texts(questions: list[str]) -> list[str]:
    """Every question with every lead-in and ending: texts a run sends once each."""
    return [f"{lead}{question}{end}" for end in ENDINGS for lead in LEAD_INS
            for question in questions]  # fmt: skip


class Traffic:
    """What the clients send: the questions in turn (``repeating``), or each request a text of
    ``distinct_texts`` not sent before (shared by every run of one server)."""

    def __init__(self, kind: str, questions: list[str], fresh: Iterator[str]) -> None:
        self.kind = kind
        self.questions = questions
        self.fresh = fresh
        self.used_up = False
        self._lock = threading.Lock()

    def question(self, i: int) -> str | None:
        """The ``i``-th question of a client; None once every distinct text has been sent."""
        if self.kind == "repeating":
            return self.questions[i % len(self.questions)]
        with self._lock:
            text = next(self.fresh, None)
            self.used_up = self.used_up or text is None
            return text


def run_clients(
    url: str, traffic: Traffic, clients: int, seconds: float, server_pid: int
) -> dict[str, float | str]:
    latencies: list[float] = []
    counts = {"ok": 0, "shed": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            i = worker
            while time.monotonic() < stop:
                question = traffic.question(i)
                if question is None:
                    break
                path, body = (("/search", {"query": question, "top_k": 5}) if i % 2
                              else ("/ask", {"question": question, "generate": False}))  # fmt: skip
                started = time.perf_counter()
                retry_after = 0.0
                try:
                    response = http.post(path, json=body)
                    status = response.status_code
                    retry_after = float(response.headers.get("retry-after", 0))
                except (httpx.HTTPError, ValueError):
                    status = 0
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if status == 200:
                        counts["ok"] += 1
                        latencies.append(elapsed)
                    elif status == 503:
                        counts["shed"] += 1
                    else:
                        counts["errors"] += 1
                if status == 503:
                    time.sleep(retry_after)  # a client doing as Retry-After says
                i += 1

    threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
    load_before = load_average()
    server_cpu = cpu_seconds(server_pid)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    server_cpu = cpu_seconds(server_pid) - server_cpu
    return {
        "traffic": traffic.kind,
        "clients": clients,
        "seconds": round(wall, 1),
        "answered": counts["ok"],
        "throughput_rps": round(counts["ok"] / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else 0.0,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else 0.0,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else 0.0,
        "errors": counts["errors"] + int(traffic.used_up),  # a run cut short is not a result
        "shed": counts["shed"],
        # The machine is shared: the load when the run started, and what the server's own CPU
        # time per answered request says it could serve with every core to itself.
        "load_1min": load_before,
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_answered": round(1000 * server_cpu / max(counts["ok"], 1), 1),
        "capacity_rps_all_cores": round((os.cpu_count() or 1) * counts["ok"] / server_cpu, 1)
        if server_cpu
        else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="duration per client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--traffic", nargs="+", choices=["repeating", "distinct"],
                        default=["repeating", "distinct"])  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    args = parser.parse_args()
    questions = [row["question"] for row in yaml.safe_load((ROOT / "evals/gold.yaml").read_text())]
    texts = distinct_texts(questions)
    # Not itertools.cycle: a text sent twice would no longer be a question asked for the first
    # time; a run that uses them all up stops with an error instead.
    fresh = iter(texts)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSISTANT_LLM_URL": "", "ASSISTANT_LLM_GGUF_PATH": "",
           "ASSISTANT_ASK_RATE_PER_MINUTE": "0"}  # fmt: skip
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_ready(url, process)
        with httpx.Client(base_url=url, timeout=60) as warm:
            for question in questions[:5]:
                warm.post("/ask", json={"question": question})
        rows = [run_clients(url, Traffic(kind, questions, fresh), n, args.seconds, process.pid)
                for kind in args.traffic for n in args.clients]  # fmt: skip
        limit = httpx.get(f"{url}/health").json()
    finally:
        process.terminate()
        process.wait(timeout=30)
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    meta = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "revision": revision or "unknown", "machine": f"{platform.machine()}, "
            f"{os.cpu_count()} cores", "seconds": args.seconds,
            "max_concurrent_requests": Settings().max_concurrent_requests,
            "units": limit.get("units"),
            "corpus": os.environ.get("ASSISTANT_CORPUS_DIR", "corpus")}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=2))
    lines = ["# Load on localhost", "",
             f"Revision `{meta['revision']}`, {meta['created_at']}, {meta['machine']}; corpus "
             f"`{meta['corpus']}` ({meta['units']} units); "
             f"{args.seconds:.0f} s per run, clients alternate /search and /ask (extractive); "
             "traffic `repeating` sends the gold questions in turn (the same texts come back), "
             "`distinct` a text never sent before at every request (a gold question with a "
             "lead-in and an ending), so no kept query vector can serve it; "
             f"at most {meta['max_concurrent_requests']} requests served at once, more shed "
             "with 503. Latencies are of answered requests; clients and server share the cores.",
             "Load is the machine's 1-minute load average when the run started; server CPU "
             "is the service's own CPU time per answered request, and capacity what that "
             "allows with every core to the service.",
             "", "| traffic | clients | answered | req/s | p50 ms | p95 ms | p99 ms | errors "
             "| shed | load | server CPU ms/req | capacity req/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    columns = ("traffic", "clients", "answered", "throughput_rps", "p50_ms", "p95_ms", "p99_ms",
               "errors", "shed", "load_1min", "server_cpu_ms_per_answered",
               "capacity_rps_all_cores")  # fmt: skip
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    (args.out / "load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
