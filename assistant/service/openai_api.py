"""OpenAI-compatible endpoints, for chat front ends (Open WebUI, LibreChat) and OpenAI clients.

``GET /v1/models`` lists the assistant as models; ``POST /v1/chat/completions`` answers the last
user message, reading the earlier messages as the conversation's history. The message's text is
the cited answer followed by its numbered sources; the full structured answer (the ``/ask``
response: citations, ``abstained``, notice…) rides along in the extra field ``ess_answer``,
on the completion and on the last chunk of a stream.

Errors follow OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, with a 4xx
status, so OpenAI clients raise their usual exceptions. Sampling options (``temperature``,
``top_p``, ``max_tokens``, ``seed``, ``stop``, ``user``…) are accepted and ignored: the answer is
built from the documents, and cutting it would cut its citations.
"""

from __future__ import annotations

import json
import logging
import re
import textwrap
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.answering.conversation import Turn
from assistant.assistant import Assistant, StreamEvent
from assistant.errors import AssistantError, InvalidQueryError
from assistant.retrieval.hybrid import MAX_QUERY_CHARS
from assistant.service.schemas import MAX_HISTORY_TURNS, MAX_TURN_CHARS, AskResponse, FilterValue
from assistant.types import Answer, Citation

logger = logging.getLogger(__name__)

MODEL = "ess-assistant"
MODEL_EXTRACTIVE = "ess-assistant-extractive"
OWNER = "ess-assistant"
SOURCES_HEADING = "**Sources**"
EXCERPT_CHARS = 240
_TOKEN = re.compile(r"\w+|[^\w\s]")

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])


class OpenAIError(Exception):
    """A client mistake, reported in OpenAI's error shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.param, self.code, self.kind = (
            message,
            status,
            param,
            code,
            kind,
        )

    def response(self) -> JSONResponse:
        error = {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}
        return JSONResponse(status_code=self.status, content={"error": error})


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request; unknown fields are accepted and ignored, as new clients send more."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(default=1, ge=1, le=1, description="Only one choice is produced.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    user: str | None = Field(default=None, max_length=512)
    # Extensions (``extra_body`` in the openai client): the filters of ``/ask``.
    filters: dict[str, FilterValue] = Field(default_factory=dict)


def _model_card(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": OWNER}


def _models(assistant: Assistant) -> list[str]:
    """The assistant as it answers; its extractive-only self when a language model is set."""
    return [MODEL, MODEL_EXTRACTIVE] if assistant.generator is not None else [MODEL]


def _assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


@router.get("/models")
def list_models(request: Request) -> dict[str, Any]:
    return {"object": "list", "data": [_model_card(m) for m in _models(_assistant(request))]}


OPENAI_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": 'A bad request, in OpenAI\'s error shape ({"error": {…}}).'},
    404: {"description": "No such model, in OpenAI's error shape."},
}


@router.get("/models/{model_id}", response_model=None, responses=OPENAI_ERRORS)
def get_model(model_id: str, request: Request) -> dict[str, Any] | JSONResponse:
    known = _models(_assistant(request))
    if model_id not in known:
        return _unknown_model(model_id, known).response()
    return _model_card(model_id)


@router.post(
    "/chat/completions",
    response_model=None,
    responses=OPENAI_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChatCompletionRequest.model_json_schema()}},
        }
    },
)
async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
    """The answer to the last user message, as a chat completion (or a stream of chunks)."""
    assistant = _assistant(request)
    try:
        body = _parse(await request.body())
        question, history = _conversation(body)
        known = _models(assistant)
        if body.model not in known:
            raise _unknown_model(body.model, known)
        generate = body.model == MODEL
        if body.stream:
            # Check the filters before the stream starts: a bad one is a 400, not a broken stream.
            await run_in_threadpool(assistant.search, question, top_k=1, filters=body.filters)
            events = _events(assistant, question, history, body.filters, generate=generate)
            chunks = _chunks(events, body, prompt=_prompt_text(body))
            return StreamingResponse(iterate_in_threadpool(chunks), media_type="text/event-stream")
        answer = await run_in_threadpool(
            assistant.ask, question, history=history, filters=body.filters, generate=generate
        )
    except OpenAIError as exc:
        return exc.response()
    except InvalidQueryError as exc:
        return OpenAIError(exc.message, param=_param_of(exc.message)).response()
    except AssistantError as exc:
        message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return OpenAIError(message, status=503, kind="server_error").response()
    return JSONResponse(_completion(answer, body, prompt=_prompt_text(body)))


def _parse(raw: bytes) -> ChatCompletionRequest:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OpenAIError(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise OpenAIError("the request body must be a JSON object")
    try:
        return ChatCompletionRequest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = _dotted(error["loc"])
        raise OpenAIError(f"{param}: {error['msg']}", param=param) from exc


def _dotted(location: tuple[int | str, ...]) -> str:
    """``messages[1].role`` from pydantic's ``("messages", 1, "role")``, without union tags."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("str", "list[ContentPart]") or part.startswith(("literal[", "function-")):
            continue
        else:
            text += f".{part}" if text else part
    return text or "body"


def _conversation(body: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """The question (the last message, a user's) and the earlier user and assistant turns."""
    last = len(body.messages) - 1
    if body.messages[-1].role != "user":
        raise OpenAIError(
            f"the last message must be the user's question, got role {body.messages[-1].role!r}",
            param=f"messages[{last}].role",
        )
    question = body.messages[-1].text.strip()
    if not question:
        raise OpenAIError(
            "the question is empty: the last user message has no text",
            param=f"messages[{last}].content",
        )
    if len(question) > MAX_QUERY_CHARS:
        raise OpenAIError(
            f"the question has {len(question)} characters; the limit is {MAX_QUERY_CHARS}",
            param=f"messages[{last}].content",
            code="string_above_max_length",
        )
    turns: list[Turn] = []
    for message in body.messages[:-1]:
        # System and tool messages do not shape an answer drawn from the documents.
        if message.role in ("user", "assistant") and message.text.strip():
            text = message.text.split(f"\n\n{SOURCES_HEADING}", 1)[0]
            role: Literal["user", "assistant"] = "user" if message.role == "user" else "assistant"
            turns.append(Turn(role, text[:MAX_TURN_CHARS]))
    return question, turns[-MAX_HISTORY_TURNS:]


def _unknown_model(model: str, known: list[str]) -> OpenAIError:
    return OpenAIError(
        f"the model {model!r} does not exist; models: {', '.join(known)}",
        status=404,
        param="model",
        code="model_not_found",
    )


def _param_of(message: str) -> str:
    """Which request field a library message is about (filters are the only one it checks)."""
    return "filters" if "filter" in message else "messages"


def render(answer: Answer) -> str:
    """The answer as chat text: the cited answer, its notice, then the numbered sources."""
    parts = [answer.text.strip()]
    if answer.notice:
        parts.append(f"> {answer.notice}")
    if answer.citations:
        parts.append(
            SOURCES_HEADING + "\n\n" + "\n".join(_source_line(c) for c in answer.citations)
        )
    return "\n\n".join(parts)


def _source_line(citation: Citation) -> str:
    source = citation.source
    where = f"{source.document} — {source.section}" if source.section else source.document
    excerpt = textwrap.shorten(" ".join(citation.text.split()), EXCERPT_CHARS, placeholder=" …")
    return f"- [{citation.number}] *{where}* : « {excerpt} »"


def _count_tokens(text: str) -> int:
    """Words and punctuation marks: an approximation, as no model's tokenizer is involved."""
    return len(_TOKEN.findall(text))


def _prompt_text(body: ChatCompletionRequest) -> str:
    return "\n".join(message.text for message in body.messages)


def _usage(prompt: str, completion: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = _count_tokens(prompt), _count_tokens(completion)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion(answer: Answer, body: ChatCompletionRequest, *, prompt: str) -> dict[str, Any]:
    text = render(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "system_fingerprint": answer.generator,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(prompt, text),
        "ess_answer": AskResponse.of(answer).model_dump(mode="json"),
    }


def _events(
    assistant: Assistant,
    question: str,
    history: list[Turn],
    filters: dict[str, FilterValue],
    *,
    generate: bool,
) -> Iterator[StreamEvent]:
    if generate:
        yield from assistant.ask_stream(question, history=history, filters=filters)
        return
    answer = assistant.ask(question, history=history, filters=filters, generate=False)
    for line in answer.text.splitlines(keepends=True):
        yield StreamEvent("token", line)
    yield StreamEvent("answer", answer=answer)


def _chunks(
    events: Iterator[StreamEvent], body: ChatCompletionRequest, *, prompt: str
) -> Iterator[str]:
    """Server-sent chunks: the role, the answer's pieces, its notice and sources, ``[DONE]``."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**base, "choices": [choice], **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent: list[str] = []
    try:
        for event in events:
            if event.kind == "token":
                sent.append(event.text)
                yield chunk({"content": event.text})
            elif event.kind == "reset":
                # Sent text cannot be taken back: say plainly that what follows replaces it.
                sent.append("\n\n---\n\n")
                yield chunk({"content": "\n\n---\n\n"})
            elif event.kind == "answer" and event.answer is not None:
                answer = event.answer
                tail = render(answer).removeprefix(answer.text.strip())
                sent.append(tail)
                usage = _usage(prompt, "".join(sent))
                extra: dict[str, Any] = {
                    "system_fingerprint": answer.generator,
                    "ess_answer": AskResponse.of(answer).model_dump(mode="json"),
                }
                yield chunk({"content": tail}, "stop", **extra)
                if body.stream_options is not None and body.stream_options.include_usage:
                    yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
    except AssistantError as exc:
        logger.warning("streamed chat completion failed: %s", exc.message)
        error = {"message": exc.message, "type": "server_error", "param": None, "code": None}
        yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
