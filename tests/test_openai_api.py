"""The OpenAI-compatible endpoints, called with the official `openai` client on a real uvicorn."""

from __future__ import annotations

import re
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.conftest import ROADMAP

DOCUMENT = ROADMAP.read_text(encoding="utf-8")
QUESTION = "Quelles actions soutiennent l'économie circulaire ?"


@pytest.fixture(scope="module")
def client(service_url: str) -> OpenAI:
    # The key is not checked by the service; the client insists on one.
    return OpenAI(base_url=f"{service_url}/v1", api_key="unused", max_retries=0, timeout=60)


def _structured(payload: Any) -> dict[str, Any]:
    extra: dict[str, Any] = payload.model_extra or {}
    return dict(extra["ess_answer"])


def test_the_models_are_listed(client: OpenAI) -> None:
    models = client.models.list()
    assert [m.id for m in models.data] == ["ess-assistant"]
    assert client.models.retrieve("ess-assistant").owned_by == "ess-assistant"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_a_completion_is_the_cited_answer_with_its_numbered_sources(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="ess-assistant",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},  # ignored
            {"role": "user", "content": QUESTION},
        ],
    )
    text = completion.choices[0].message.content or ""
    answer = _structured(completion)
    assert completion.choices[0].finish_reason == "stop" and completion.object == "chat.completion"
    assert answer["abstained"] is False and "A.1.3" in text and "C.2.2" in text
    body, sources = text.split("\n\n**Sources**\n\n")
    assert body == answer["answer"]
    listed = [int(n) for n in re.findall(r"^- \[(\d+)\] ", sources, flags=re.M)]
    assert listed == [c["number"] for c in answer["citations"]] and listed
    for citation in answer["citations"]:
        source = citation["source"]
        assert DOCUMENT[source["start"] : source["end"]] == citation["text"]
        assert f"[{citation['number']}]" in body
    assert completion.usage is not None and completion.usage.completion_tokens > 10


def test_a_streamed_completion_sends_the_same_text_in_pieces(client: OpenAI) -> None:
    plain = client.chat.completions.create(
        model="ess-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    stream = client.chat.completions.create(
        model="ess-assistant",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len([p for p in pieces if p]) > 5
    assert "".join(pieces) == plain.choices[0].message.content
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finished) == 1 and _structured(finished[0])["citations"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_a_follow_up_reads_the_earlier_messages_as_history(client: OpenAI) -> None:
    first = client.chat.completions.create(
        model="ess-assistant",
        messages=[
            {
                "role": "user",
                "content": "Combien rapporte le prix nantais de l'innovation sociale ?",
            }
        ],
    )
    previous = first.choices[0].message.content or ""
    assert "20 000 €" in previous
    follow_up = client.chat.completions.create(
        model="ess-assistant",
        messages=[
            {
                "role": "user",
                "content": "Combien rapporte le prix nantais de l'innovation sociale ?",
            },
            {"role": "assistant", "content": previous},
            {"role": "user", "content": [{"type": "text", "text": "et à Grand Poitiers ?"}]},
        ],
    )
    answer = _structured(follow_up)
    assert (
        "Poitiers" in answer["resolved_question"] and "nantais" not in answer["resolved_question"]
    )
    assert "21 000 €" in answer["answer"] or "7 000€" in answer["answer"]


def test_sampling_options_and_user_are_accepted_and_ignored(client: OpenAI) -> None:
    plain = client.chat.completions.create(
        model="ess-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    tuned = client.chat.completions.create(
        model="ess-assistant",
        messages=[{"role": "user", "content": QUESTION}],
        temperature=0.7,
        top_p=0.9,
        max_tokens=20,
        seed=3,
        stop=["\n"],
        user="agent-42",
        extra_body={"repetition_penalty": 1.1},
    )
    assert tuned.choices[0].message.content == plain.choices[0].message.content


def test_filters_ride_in_the_extra_body(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="ess-assistant",
        messages=[{"role": "user", "content": "Quels dispositifs pour financer un projet ?"}],
        extra_body={"filters": {"territory": "Rennes"}},
    )
    citations = _structured(completion)["citations"]
    assert citations and all(
        "Rennes" in c["source"]["section"] for c in citations if c["kind"] == "passage"
    )


@pytest.mark.parametrize(
    ("request_body", "error", "param"),
    [
        (
            {"messages": [{"role": "assistant", "content": "Bonjour"}]},
            openai.BadRequestError,
            "messages[0].role",
        ),
        (
            {"messages": [{"role": "user", "content": "  "}]},
            openai.BadRequestError,
            "messages[0].content",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 2001}]},
            openai.BadRequestError,
            "messages[0].content",
        ),
        ({"messages": []}, openai.BadRequestError, "messages"),
        (
            {"messages": [{"role": "robot", "content": "x"}]},
            openai.BadRequestError,
            "messages[0].role",
        ),
        (
            {"messages": [{"role": "user", "content": QUESTION}], "temperature": 5},
            openai.BadRequestError,
            "temperature",
        ),
        (
            {"messages": [{"role": "user", "content": QUESTION}], "n": 2},
            openai.BadRequestError,
            "n",
        ),
        (
            {"messages": [{"role": "user", "content": QUESTION}], "model": "gpt-4o"},
            openai.NotFoundError,
            "model",
        ),
        (
            {
                "messages": [{"role": "user", "content": QUESTION}],
                "extra_body": {"filters": {"couleur": "rouge"}},
            },
            openai.BadRequestError,
            "filters",
        ),
        (
            {
                "messages": [{"role": "user", "content": QUESTION}],
                "stream": True,
                "extra_body": {"filters": {"couleur": "rouge"}},
            },
            openai.BadRequestError,
            "filters",
        ),
    ],
)
def test_a_bad_request_gets_an_openai_error_naming_the_parameter(
    client: OpenAI, request_body: dict[str, Any], error: type[openai.APIStatusError], param: str
) -> None:
    arguments = {"model": "ess-assistant", **request_body}
    with pytest.raises(error) as raised:
        client.chat.completions.create(**arguments)
    body = raised.value.body
    assert isinstance(body, dict) and body["param"] == param, body
    assert set(body) == {"message", "type", "param", "code"} and body["message"]
    assert raised.value.status_code in (400, 404)


def test_a_body_that_is_not_json_gets_an_openai_error(service_url: str) -> None:
    response = httpx.post(
        f"{service_url}/v1/chat/completions",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "not valid JSON" in error["message"]
