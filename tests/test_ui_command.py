"""``assistant ui`` serves the web app with security headers, and passes the signals it gets to
Streamlit: stopping it frees the port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.build import build_index
from tests.conftest import REPO, FakeEmbedder, free_port, small_settings, write_small_corpus


def test_assistant_ui_sends_security_headers_and_stopping_it_stops_streamlit(
    tmp_path: Path,
) -> None:
    write_small_corpus(tmp_path)
    settings = small_settings(tmp_path)
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    port = free_port()
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(settings.index_dir),
           "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir)}  # fmt: skip
    parent = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ui", "--port", str(port)], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Streamlit did not start"
            time.sleep(0.3)  # polling for readiness, bounded by the deadline
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(health, timeout=1)
            except httpx.HTTPError:
                break  # nothing serves the port any more
            assert time.monotonic() < deadline, "Streamlit still serves after assistant ui stopped"
            time.sleep(0.3)  # polling for the child to exit, bounded by the deadline
    finally:
        if parent.poll() is None:
            parent.kill()
