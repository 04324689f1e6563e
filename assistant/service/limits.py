"""Limits that keep one client from holding the service: body size and time, a bounded number
of search and ask requests at once (503 with ``Retry-After`` beyond it, at once rather than
queued), a per-client rate on ``/ask`` (429), and security headers on every response.

A pure ASGI middleware, so streamed answers are counted until their last byte.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings

GATED_PATHS = ("/search", "/ask", "/ask/stream", "/schemes/match")
RATE_LIMITED_PATHS = ("/ask", "/ask/stream")
UPLOAD_PREFIX = "/admin/documents/"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# The interactive docs load their script from a CDN; every other answer is data, not a page.
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
# The web app frames its own components (same origin), so it may be framed by itself only.
WEB_APP_HEADERS = [
    *(header for header in SECURITY_HEADERS if header[0] != b"x-frame-options"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
]


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn options: slow headers and idle connections closed, bounded connections."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        """h11 that closes a new connection whose request headers take too long to arrive
        (uvicorn itself waits for them forever)."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_timer = self.loop.call_later(settings.header_timeout, self._too_slow)

        def _too_slow(self) -> None:
            if self.cycle is None and self.transport is not None:
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._header_timer.cancel()
            super().connection_lost(exc)

    return {
        "http": HeaderTimeoutProtocol,
        "timeout_keep_alive": math.ceil(settings.keep_alive_timeout),
        "limit_concurrency": max(64, settings.max_concurrent_requests * 8),
        "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers
    }


class _BodyTooLarge(Exception):
    pass


class _RateLimiter:
    """A token bucket per client: ``per_minute`` questions, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 when the client may ask now (and counts it), else seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # forget the oldest clients
                for key in sorted(self._buckets, key=lambda k: self._buckets[k][1])[:5_000]:
                    del self._buckets[key]
            return 0.0


class LimitsMiddleware:
    """Body limit and timeout, concurrency gate, rate limit, security headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.in_flight = 0
        self.rate = _RateLimiter(settings.ask_rate_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        send = self._with_headers(send, docs=path in DOCS_PATHS)
        limit = (self.settings.max_upload_bytes if path.startswith(UPLOAD_PREFIX)
                 else self.settings.max_body_bytes)  # fmt: skip
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _reply(send, 413, f"body: la requête dépasse {limit} octets", close=True)
            return
        if scope["method"] == "POST" and path in RATE_LIMITED_PATHS:
            client = scope.get("client") or ("?", 0)
            wait = self.rate.retry_after(str(client[0]))
            if wait > 0:
                await _reply(send, 429, "trop de questions : réessayez dans quelques secondes",
                             retry_after=wait)  # fmt: skip
                return
        gated = path in GATED_PATHS
        if gated and self.in_flight >= self.settings.max_concurrent_requests:
            await _reply(send, 503, "le service est saturé : réessayez dans un instant",
                         retry_after=1)  # fmt: skip
            return
        if gated:
            self.in_flight += 1
        try:
            await self.app(scope, self._bounded(receive, limit), send)
        except _BodyTooLarge:
            await _reply(send, 413, f"body: la requête dépasse {limit} octets", close=True)
        except TimeoutError:
            await _reply(send, 408, "body: la requête n'est pas arrivée à temps", close=True)
        finally:
            if gated:
                self.in_flight -= 1

    def _bounded(self, receive: Receive, limit: int) -> Receive:
        """``receive`` that counts the body and gives it ``body_timeout`` seconds to arrive;
        once the body is in, later receives (waiting for a disconnect) have no deadline."""
        received = 0
        deadline = time.monotonic() + self.settings.body_timeout
        complete = False

        async def bounded() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            remaining = max(deadline - time.monotonic(), 0.001)
            message = await asyncio.wait_for(receive(), timeout=remaining)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
                complete = not message.get("more_body", False)
            return message

        return bounded

    @staticmethod
    def _with_headers(send: Send, *, docs: bool) -> Send:
        return _with_headers(send, SECURITY_HEADERS if docs else [*SECURITY_HEADERS, API_CSP])


class SecurityHeadersMiddleware:
    """Security headers on every HTTP response of another ASGI app (the Streamlit web app)."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.headers = WEB_APP_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            send = _with_headers(send, self.headers)
        await self.app(scope, receive, send)


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that adds ``extra`` to the response's headers (those it does not set itself)."""
    started = False

    async def wrapped(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            if started:
                return  # a reply after the response started cannot be sent
            started = True
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in extra if name not in names]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(
    send: Send, status: int, detail: str, *, retry_after: float | None = None, close: bool = False
) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    if close:
        headers.append((b"connection", b"close"))
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    except Exception:  # the client is gone, or the response had started: nothing to tell
        return
