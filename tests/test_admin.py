"""Admin API on a real uvicorn server: the token boundary, documents, rebuild and hot reload,
feedback, and the limits as a client meets them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.build import build_index
from assistant.index.embedders import E5Embedder
from tests.conftest import free_port, running, serve_command, small_settings, write_small_corpus

TOKEN = "jeton-de-test-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _env(root: Path, **extra: str) -> dict[str, str]:
    return {
        "ASSISTANT_CORPUS_DIR": str(root / "corpus"),
        "ASSISTANT_INDEX_DIR": str(root / "index"),
        "ASSISTANT_DATA_DIR": str(root / "data"),
        "ASSISTANT_CHUNK_SIZE": "400",
        **extra,
    }


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, e5: E5Embedder) -> Path:
    root = tmp_path_factory.mktemp("admin")
    write_small_corpus(root)
    build_index(small_settings(root), embedder=e5, progress=False)
    return root


@pytest.fixture(scope="module")
def url(root: Path) -> Iterator[str]:
    port = free_port()
    with running(serve_command(port), f"http://127.0.0.1:{port}/health",
                 env=_env(root, ASSISTANT_ADMIN_TOKEN=TOKEN)) as health:  # fmt: skip
        yield health.removesuffix("/health")


def _admin_routes(url: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{url}/openapi.json").json()
    routes = [(method.upper(), path) for path, item in spec["paths"].items()
              for method, op in item.items() if "admin" in op.get("tags", [])]  # fmt: skip
    return [(m, p.replace("{name}", "x.md").replace("{job_id}", "abc")) for m, p in routes]


def test_every_admin_endpoint_refuses_without_the_token_or_with_a_wrong_one(url: str) -> None:
    routes = _admin_routes(url)
    assert len(routes) == 6
    for method, path in routes:
        missing = httpx.request(method, f"{url}{path}")
        assert missing.status_code == 401, (method, path)
        assert "Jeton d'administration manquant" in missing.json()["detail"]
        wrong = httpx.request(method, f"{url}{path}", headers={"Authorization": "Bearer non"})
        assert wrong.status_code == 403 and "invalide" in wrong.json()["detail"]


def test_without_a_configured_token_admin_actions_are_disabled(root: Path, tmp_path: Path) -> None:
    port = free_port()
    env = _env(root, ASSISTANT_DATA_DIR=str(tmp_path))
    with running(serve_command(port), f"http://127.0.0.1:{port}/health", env=env) as health:
        base = health.removesuffix("/health")
        for method, path in _admin_routes(base):
            response = httpx.request(method, f"{base}{path}", headers=AUTH)
            assert response.status_code == 403
            assert "désactivées" in response.json()["detail"]
        assert httpx.post(f"{base}/search", json={"query": "vélos"}).status_code == 200


def _wait(url: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{url}/jobs/{job_id}", headers=AUTH).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)  # polling the job, bounded by the deadline
    raise AssertionError("the rebuild did not finish")


def _docx(*paragraphs: str) -> bytes:
    """A real Word document, as staff would upload it."""
    import io

    import docx

    document = docx.Document()
    document.add_heading("Compostage partagé", level=1)
    document.add_heading("Lombricomposteur", level=2)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


NEW_SENTENCE = (
    "Le lombricomposteur collectif de quartier transforme les épluchures des habitants en terreau."
)


def test_an_uploaded_docx_is_searchable_and_answered_after_a_rebuild_without_restart(
    url: str, root: Path
) -> None:
    query = {"query": "lombricomposteur collectif de quartier", "top_k": 1}
    health = httpx.get(f"{url}/health").json()
    before = httpx.post(f"{url}/search", json=query).json()["results"]
    assert before[0]["source"]["document"] != "Compostage-partage-v2.docx"
    assert NEW_SENTENCE not in before[0]["text"]
    body = _docx(NEW_SENTENCE)
    sent = httpx.put(f"{url}/admin/documents/Compostage partagé (v2).docx",
                     content=body, headers=AUTH)  # fmt: skip
    assert sent.status_code == 201, sent.text
    assert sent.json()["name"] == "Compostage-partage-v2.docx" and not sent.json()["indexed"]
    assert sent.json()["format"] == "docx"
    assert (root / "corpus" / "documents" / "Compostage-partage-v2.docx").read_bytes() == body
    (root / "corpus" / "documents" / "casse.docx").write_bytes(b"PK\x03\x04 not a zip")
    started = httpx.post(f"{url}/admin/rebuild", headers=AUTH)
    assert started.status_code == 202
    job = _wait(url, started.json()["id"])
    assert job["state"] == "succeeded", job
    assert job["embedded"] > 0 and job["report"]["documents"] == 3
    assert [s["path"] for s in job["skipped"]] == ["casse.docx"]
    after = httpx.post(f"{url}/search", json=query).json()["results"]
    assert after[0]["source"]["document"] == "Compostage-partage-v2.docx"
    assert "lombricomposteur collectif de quartier" in after[0]["text"]
    answer = httpx.post(f"{url}/ask", json={"question": "Que fait le lombricomposteur collectif "
                                            "de quartier ?"}, timeout=60).json()  # fmt: skip
    assert not answer["abstained"] and "épluchures" in answer["answer"]
    assert any(c["source"]["document"] == "Compostage-partage-v2.docx" for c in answer["citations"])
    # The same process served before and after: no restart.
    assert httpx.get(f"{url}/health").json()["units"] > health["units"]
    listed = {d["name"]: d for d in httpx.get(f"{url}/admin/documents", headers=AUTH).json()}
    assert (
        listed["Compostage-partage-v2.docx"]["indexed"]
        and listed["Compostage-partage-v2.docx"]["units"] >= 1
    )
    assert listed["recyclerie.md"]["format"] == "md" and listed["recyclerie.md"]["size_bytes"] > 0
    (root / "corpus" / "documents" / "casse.docx").unlink()


def test_uploads_of_the_wrong_type_or_unreadable_are_refused(url: str) -> None:
    exe = httpx.put(f"{url}/admin/documents/outil.exe", content=b"MZ", headers=AUTH)
    assert exe.status_code == 422 and "name" in exe.json()["detail"]
    broken = httpx.put(f"{url}/admin/documents/note.docx", content=b"PK\x03\x04", headers=AUTH)
    assert broken.status_code == 422 and "illisible" in broken.json()["detail"]
    latin = httpx.put(f"{url}/admin/documents/note.txt", content="été".encode("latin-1"),
                      headers=AUTH)  # fmt: skip
    assert latin.status_code == 422 and "UTF-8" in latin.json()["detail"]


def test_removing_a_document_then_a_failed_rebuild_keeps_the_old_index_serving(
    url: str, root: Path
) -> None:
    removed = httpx.delete(f"{url}/admin/documents/Compostage-partage-v2.docx", headers=AUTH)
    assert removed.status_code == 200
    again = httpx.delete(f"{url}/admin/documents/Compostage-partage-v2.docx", headers=AUTH)
    assert again.status_code == 404
    documents = root / "corpus" / "documents"
    kept = {p.name: p.read_bytes() for p in documents.iterdir()}
    for path in documents.iterdir():
        path.unlink()  # nothing left to index: the build fails
    try:
        job = _wait(url, httpx.post(f"{url}/admin/rebuild", headers=AUTH).json()["id"])
        assert job["state"] == "failed" and "nothing to index" in job["error"]
        still = httpx.post(f"{url}/search", json={"query": "lombricomposteur", "top_k": 1})
        assert still.status_code == 200
        assert still.json()["results"][0]["source"]["document"] == "Compostage-partage-v2.docx"
    finally:
        for name, data in kept.items():
            (documents / name).write_bytes(data)


def test_feedback_through_the_api_and_its_admin_export(url: str, root: Path) -> None:
    body = {"question": "Q ?", "answer": "R.", "useful": True, "comment": "=1+1"}
    first = httpx.post(f"{url}/feedback", json=body)
    assert first.status_code == 200
    second = httpx.post(f"{url}/feedback", json={**body, "useful": False})
    assert second.json()["id"] == first.json()["id"]  # one vote per answer and client
    too_long = httpx.post(f"{url}/feedback", json={**body, "comment": "x" * 2001})
    assert too_long.status_code == 422 and "comment" in too_long.json()["detail"]
    export = httpx.get(f"{url}/admin/feedback.csv", headers=AUTH)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "'=1+1" in export.text and ",0,'=1+1" in export.text
    audit = [
        json.loads(line) for line in (root / "data" / "admin-audit.jsonl").read_text().splitlines()
    ]
    exports = [a for a in audit if a["action"] == "export des avis"]
    assert exports and exports[-1]["who"] == "127.0.0.1" and exports[-1]["at"]
    assert any(a["outcome"].startswith("refusé") for a in audit)


def test_limits_and_headers_as_a_client_meets_them(url: str, root: Path) -> None:
    many = {"query": "vélos", "filters": {"theme": ["x"] * 21}}
    assert httpx.post(f"{url}/search", json=many).status_code == 422
    assert "filters" in httpx.post(f"{url}/search", json=many).json()["detail"]
    # The request: 100,000 filter values (56.6 s of matching before), refused unread.
    flood = {"query": "vélos", "filters": {"theme": ["x"] * 100_000}}
    refused = httpx.post(f"{url}/search", json=flood, timeout=60)
    assert refused.status_code == 422 and "filters" in refused.json()["detail"]
    coerced = httpx.post(f"{url}/search", json={"query": "vélos", "top_k": "3"})
    assert coerced.status_code == 422 and "top_k" in coerced.json()["detail"]
    big = httpx.post(f"{url}/search", content=b"{" + b" " * 2_000_000 + b"}",
                     headers={"content-type": "application/json"})  # fmt: skip
    assert big.status_code == 413
    stats = httpx.get(f"{url}/stats")
    assert str(root) not in stats.text and stats.headers["x-content-type-options"] == "nosniff"


def test_a_follow_up_to_a_very_long_question_is_trimmed_not_refused(url: str) -> None:
    history = [{"role": "user", "content": "vélos " * 332}, {"role": "assistant", "content": "…"}]
    body = {"question": "et à Nantes ?", "history": history}
    answer = httpx.post(f"{url}/ask", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["resolved_question"]) <= 2000
    with httpx.stream("POST", f"{url}/ask/stream", json=body, timeout=60) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        kinds = [line for line in stream.iter_lines() if line.startswith("event: ")]
    assert kinds[-1] == "event: answer"


def test_the_admin_page_is_unlocked_by_the_token(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("ASSISTANT_SERVICE_URL", url)
    app = AppTest.from_file(str(REPO / "app" / "views" / "admin.py"), default_timeout=60).run()
    assert not app.exception and not app.dataframe
    app.text_input[0].set_value("mauvais").run()
    assert any("invalide" in e.value for e in app.error) and not app.dataframe
    app.text_input[0].set_value(TOKEN).run()
    assert not app.exception and not app.error
    names = list(app.dataframe[0].value["nom"])
    assert "recyclerie.md" in names and "mobilite.md" in names
    assert any(b.label == "Reconstruire l'index" for b in app.button)


def test_the_chat_page_offers_no_feedback_export() -> None:
    from tests.conftest import REPO

    source = (REPO / "app" / "views" / "chat.py").read_text(encoding="utf-8")
    assert "to_csv" not in source and "Exporter les avis" not in source


def test_a_declared_body_of_a_terabyte_is_refused_before_it_is_read(url: str) -> None:
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as client:
        client.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000000000000\r\n\r\n{")  # fmt: skip
        reply = client.makefile("rb").read().decode()  # until the server closes
    assert reply.startswith("HTTP/1.1 413") and "connection: close" in reply.lower()
    assert "dépasse 1000000 octets" in reply


def test_a_connection_that_never_finishes_its_headers_is_closed(url: str) -> None:
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as slow:
        slow.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert slow.recv(1024) == b""  # closed by the server (ASSISTANT_HEADER_TIMEOUT, 10 s)
