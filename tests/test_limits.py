"""The limits middleware in front of a small ASGI app: shedding, rate, body size and time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from assistant.config import Settings
from assistant.service.app import _server_sent
from assistant.service.limits import LimitsMiddleware


class Held:
    """An app whose /search answers only once released; it reads the whole body first."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        self.entered += 1
        if scope["path"] == "/search":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


def test_beyond_the_concurrency_bound_requests_are_shed_at_once_with_retry_after() -> None:
    async def scenario() -> tuple[list[int], httpx.Response]:
        inner = Held()
        app = LimitsMiddleware(inner, Settings(max_concurrent_requests=2))
        async with _client(app) as client:
            held = [asyncio.create_task(client.post("/search", json={})) for _ in range(2)]
            while inner.entered < 2:
                await asyncio.sleep(0.01)
            shed = await client.post("/search", json={})
            inner.release.set()
            done = [r.status_code for r in await asyncio.gather(*held)]
        return done, shed

    done, shed = asyncio.run(scenario())
    assert done == [200, 200]
    assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
    assert "saturé" in shed.json()["detail"]


def test_a_client_asking_too_often_gets_429_and_others_do_not() -> None:
    async def scenario() -> list[int]:
        inner = Held()
        app = LimitsMiddleware(inner, Settings(ask_rate_per_minute=3))
        async with _client(app) as client:
            return [(await client.post("/ask", json={})).status_code for _ in range(5)]

    statuses = asyncio.run(scenario())
    assert statuses == [200, 200, 200, 429, 429]


def test_a_body_over_the_limit_is_refused_declared_or_streamed() -> None:
    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        app = LimitsMiddleware(Held(), Settings(max_body_bytes=1000))
        async with _client(app) as client:
            declared = await client.post("/health", content=b"x" * 5000)

            async def chunks() -> object:
                for _ in range(10):
                    yield b"y" * 500

            streamed = await client.post("/health", content=chunks())  # type: ignore[arg-type]
            small = await client.post("/health", content=b"z" * 100)
        return declared, streamed, small

    declared, streamed, small = asyncio.run(scenario())
    assert declared.status_code == 413 and "body" in declared.json()["detail"]
    assert streamed.status_code == 413
    assert small.status_code == 200


def test_a_body_that_does_not_arrive_in_time_is_given_up() -> None:
    async def scenario() -> httpx.Response:
        app = LimitsMiddleware(Held(), Settings(body_timeout=0.2))
        async with _client(app) as client:

            async def slow() -> object:
                yield b"a"
                await asyncio.sleep(2)
                yield b"b"

            return await client.post("/health", content=slow())  # type: ignore[arg-type]

    response = asyncio.run(scenario())
    assert response.status_code == 408


def test_security_headers_are_added() -> None:
    async def scenario() -> httpx.Response:
        async with _client(LimitsMiddleware(Held(), Settings())) as client:
            return await client.get("/health")

    headers = asyncio.run(scenario()).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in headers["content-security-policy"]


def test_a_failure_inside_a_stream_becomes_an_error_event() -> None:
    class Event:
        kind = "token"
        text = "Début"
        answer = None

    def events() -> Iterator[Event]:
        yield Event()
        raise RuntimeError("boom")

    out = list(_server_sent(events()))
    assert out[0].startswith("event: token")
    assert out[-1].startswith("event: error\ndata: ") and "interne" in out[-1]


@pytest.mark.parametrize("rate", [0])
def test_no_rate_limit_when_set_to_zero(rate: int) -> None:
    async def scenario() -> list[int]:
        app = LimitsMiddleware(Held(), Settings(ask_rate_per_minute=rate))
        async with _client(app) as client:
            return [(await client.post("/ask", json={})).status_code for _ in range(20)]

    assert set(asyncio.run(scenario())) == {200}


def test_a_follow_up_to_a_long_question_is_cut_to_the_query_limit() -> None:
    from assistant.answering.conversation import Turn
    from assistant.answering.followup import resolve
    from assistant.answering.lexicon import load_lexicon
    from assistant.retrieval.glossary import Glossary
    from assistant.retrieval.hybrid import MAX_QUERY_CHARS
    from assistant.retrieval.lexical import FrenchAnalyzer
    from assistant.retrieval.territories import Gazetteer
    from tests.conftest import CORPUS

    previous = ("Quelles aides pour les recycleries " * 60)[:1992]
    resolved = resolve(
        "et à Nantes ?", [Turn("user", previous), Turn("assistant", "…")],
        lexicon=load_lexicon(), gazetteer=Gazetteer.load(CORPUS / "territories.yaml"),
        glossary=Glossary.load(CORPUS / "glossary.yaml"), analyzer=FrenchAnalyzer(),
    )  # fmt: skip
    assert resolved is not None and len(resolved) <= MAX_QUERY_CHARS
    assert resolved.startswith("Quelles aides pour les recycleries") and resolved.endswith(
        "Nantes ?"
    )
