"""One interface for the front end, whether the assistant runs in-process or behind the API.

Both clients return the API's JSON shapes, so the pages behave the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from assistant.answering.conversation import Turn
from assistant.config import Settings
from assistant.errors import AssistantError

Event = tuple[str, Any]  # ("token", str) | ("reset", "") | ("answer", dict)


class ClientError(Exception):
    """A message for the user (a bad input, the service unreachable)."""


class AssistantClient(Protocol):
    def ask_stream(
        self, question: str, history: list[dict[str, str]], filters: dict[str, Any]
    ) -> Iterator[Event]: ...

    def search(self, query: str, top_k: int, filters: dict[str, Any]) -> list[dict[str, Any]]: ...

    def match_schemes(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def records(self, kind: str) -> list[dict[str, Any]]: ...

    def vocabulary(self) -> dict[str, list[dict[str, str]]]: ...

    def profile(self) -> dict[str, Any]: ...


class LocalClient:
    """The assistant loaded in this process."""

    def __init__(self, settings: Settings) -> None:
        from assistant.assistant import Assistant

        self.assistant = Assistant.load(settings)

    def ask_stream(
        self, question: str, history: list[dict[str, str]], filters: dict[str, Any]
    ) -> Iterator[Event]:
        from assistant.service.schemas import AskResponse

        turns = [Turn(t["role"], t["content"]) for t in history]  # type: ignore[arg-type]
        try:
            for event in self.assistant.ask_stream(question, history=turns, filters=filters):
                if event.answer is not None:
                    yield "answer", AskResponse.of(event.answer).model_dump()
                else:
                    yield event.kind, event.text
        except AssistantError as exc:
            raise ClientError(exc.message) from exc

    def search(self, query: str, top_k: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
        from assistant.service.schemas import ResultOut

        try:
            hits = self.assistant.search(query, top_k=top_k, filters=filters)
        except AssistantError as exc:
            raise ClientError(exc.message) from exc
        return [ResultOut.of(hit).model_dump() for hit in hits]

    def match_schemes(self, body: dict[str, Any]) -> dict[str, Any]:
        from dataclasses import asdict

        from assistant.answering.schemes import SchemeQuery

        try:
            query = SchemeQuery(
                description=body["description"],
                territory=body.get("territory"),
                stage=body.get("stage"),
                needs=tuple(body.get("needs", ())),
                amount_eur=body.get("amount_eur"),
            )
            matches = self.assistant.match_schemes(query, top_k=body.get("top_k", 8))
        except AssistantError as exc:
            raise ClientError(exc.message) from exc
        return {"matches": [asdict(m) for m in matches]}

    def records(self, kind: str) -> list[dict[str, Any]]:
        return self.assistant.records(kind)

    def vocabulary(self) -> dict[str, list[dict[str, str]]]:
        return self.assistant.vocabulary.as_dict()

    def profile(self) -> dict[str, Any]:
        return self.assistant.profile_summary()


class HttpClient:
    """The assistant behind its HTTP API."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ClientError(f"le service de l'assistant est injoignable : {exc}") from exc
        if response.status_code >= 400:
            raise ClientError(str(response.json().get("detail", response.text)))
        return response.json()

    def ask_stream(
        self, question: str, history: list[dict[str, str]], filters: dict[str, Any]
    ) -> Iterator[Event]:
        body = {"question": question, "history": history, "filters": filters}
        try:
            with self.http.stream("POST", "/ask/stream", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ClientError(str(response.json().get("detail", response.text)))
                kind = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        kind = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        data = json.loads(line.removeprefix("data: "))
                        yield (kind, data) if kind == "answer" else (kind, data.get("text", ""))
        except httpx.HTTPError as exc:
            raise ClientError(f"le service de l'assistant est injoignable : {exc}") from exc

    def search(self, query: str, top_k: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"query": query, "top_k": top_k, "filters": filters}
        results: list[dict[str, Any]] = self._json("POST", "/search", body)["results"]
        return results

    def match_schemes(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", "/schemes/match", body)
        return result

    def records(self, kind: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self._json("GET", f"/records/{kind}")
        return records

    def vocabulary(self) -> dict[str, list[dict[str, str]]]:
        vocabulary: dict[str, list[dict[str, str]]] = self._json("GET", "/vocabulary")
        return vocabulary

    def profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = self._json("GET", "/profile")
        return profile


def make_client(settings: Settings) -> AssistantClient:
    return HttpClient(settings.service_url) if settings.service_url else LocalClient(settings)
