"""Optional generation by a language model, confined to the passages the answerer found.

Any OpenAI-compatible chat-completions endpoint works (the public sector's Albert API, Ollama,
vLLM, a llama.cpp server), or a local GGUF file through llama-cpp-python. The model sees only the
numbered passages and must cite them by number; an answer citing a number that does not exist
is refused, and the caller falls back to the extractive answer.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import httpx

from assistant.errors import AssistantError, ConfigurationError
from assistant.types import Citation

Failure = Literal["timeout", "unreachable", "context", "empty", "uncited", "unknown_citations",
                  "failed"]  # fmt: skip


class GenerationError(AssistantError):
    """The language model failed, timed out, or answered outside its sources. ``failure`` says
    which, for the notice users read (the message, in English, is for the logs)."""

    def __init__(
        self,
        message: str,
        *,
        failure: Failure = "failed",
        values: dict[str, str] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.failure: Failure = failure
        self.values = values or {}  # what the notice's wording needs ("seconds")


class ContextLengthError(GenerationError):
    """The prompt and the answer do not fit in the model's context window."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, failure="context", hint=hint)


SYSTEM_FR = (
    "Tu es l'assistant d'une collectivité pour l'économie sociale et solidaire (ESS) : sa "
    "stratégie et les dispositifs de soutien que ses documents décrivent. "
    "Réponds uniquement à partir des extraits numérotés fournis, sans rien inventer. Cite chaque "
    "information par le numéro de son extrait entre crochets, par exemple [1]. Si les extraits ne "
    "répondent pas à la question, dis-le clairement. Réponds en français, de façon brève."
)
SYSTEM_EN = SYSTEM_FR.replace("Réponds en français, de façon brève.", "Answer in English, briefly.")
_CITED = re.compile(r"\[(\d+)\]")
# French read by an English-centred tokenizer (SmolLM2's, Llama's) takes about 3 characters a
# token; 2.5 leaves a margin, and a server that still finds the prompt too long is retried shorter.
CHARS_PER_TOKEN = 2.5
# A chat template's role markers and the prompt's labels, in characters.
TEMPLATE_CHARS = 200
MIN_PASSAGE_CHARS = 200
SHORTER_RETRIES = 2


def build_messages(
    question: str, citations: Sequence[Citation], *, language: str
) -> list[dict[str, str]]:
    sources = "\n\n".join(
        f"[{c.number}] ({c.source.document} — {c.source.section})\n{c.text}" for c in citations
    )
    return [
        {"role": "system", "content": SYSTEM_EN if language == "en" else SYSTEM_FR},
        {"role": "user", "content": f"Extraits :\n\n{sources}\n\nQuestion : {question}"},
    ]


@dataclass(frozen=True)
class Prompt:
    """The messages sent to the model and the citations they hold (some perhaps shortened)."""

    messages: list[dict[str, str]]
    citations: list[Citation]


def build_prompt(
    question: str, citations: Sequence[Citation], *, language: str, max_chars: int
) -> Prompt:
    """The messages, with as many whole passages as ``max_chars`` holds, in their order.

    The passage that does not fit whole is shortened when enough room is left for it; the
    passages after it are left out, so the model can cite only what it was shown.
    """
    system = SYSTEM_EN if language == "en" else SYSTEM_FR
    room = max_chars - len(system) - len(question) - TEMPLATE_CHARS
    if room < MIN_PASSAGE_CHARS:
        raise ContextLengthError(
            f"the model's context leaves {max(room, 0)} characters for the passages",
            hint="raise ASSISTANT_LLM_CONTEXT_TOKENS or lower ASSISTANT_LLM_MAX_TOKENS",
        )
    kept: list[Citation] = []
    for citation in citations:
        size = len(_header(citation)) + len(citation.text) + 2
        if size <= room:
            kept.append(citation)
            room -= size
            continue
        left = room - len(_header(citation)) - 3
        if left >= MIN_PASSAGE_CHARS or not kept:
            cut = citation.text[: max(left, 0)].rsplit(" ", 1)[0]
            kept.append(replace(citation, text=cut + " …"))
        break
    return Prompt(build_messages(question, kept, language=language), kept)


def _header(citation: Citation) -> str:
    return f"[{citation.number}] ({citation.source.document} — {citation.source.section})\n"


def generate_checked(
    generator: Generator, question: str, citations: Sequence[Citation], *, language: str
) -> str:
    """The model's answer from the passages, its citations checked; shorter when it must be."""
    failure = ContextLengthError("the prompt is longer than the model's context")
    for prompt in _prompts(generator, question, citations, language):
        try:
            return check_citations(generator.generate(prompt.messages), prompt.citations)
        except ContextLengthError as exc:
            failure = exc
    raise failure


def stream_checked(
    generator: Generator, question: str, citations: Sequence[Citation], *, language: str
) -> Iterator[str]:
    """Pieces of the model's answer as they come. ``GenerationError`` during it when the model
    fails, or at its end when the answer is refused (a citation that does not exist)."""
    failure = ContextLengthError("the prompt is longer than the model's context")
    for prompt in _prompts(generator, question, citations, language):
        parts: list[str] = []
        try:
            for piece in generator.stream(prompt.messages):
                parts.append(piece)
                yield piece
        except ContextLengthError as exc:
            if parts:
                raise
            failure = exc
            continue
        check_citations("".join(parts), prompt.citations)
        return
    raise failure


def _prompts(
    generator: Generator, question: str, citations: Sequence[Citation], language: str
) -> Iterator[Prompt]:
    """The prompt at the size the model's context allows, then at half and a quarter of it,
    for a server whose tokenizer counts more tokens than estimated."""
    budget = int((generator.context_tokens - generator.max_tokens) * CHARS_PER_TOKEN)
    for _ in range(SHORTER_RETRIES + 1):
        yield build_prompt(question, citations, language=language, max_chars=budget)
        budget //= 2


def check_citations(text: str, citations: Sequence[Citation]) -> str:
    """``text`` if every number it cites exists and it cites at least one; else an error."""
    numbers = {int(n) for n in _CITED.findall(text)}
    known = {c.number for c in citations}
    if not text.strip():
        raise GenerationError("the language model returned an empty answer", failure="empty")
    if not numbers:
        raise GenerationError(
            "the language model answered without citing any passage", failure="uncited"
        )
    unknown = sorted(numbers - known)
    if unknown:
        raise GenerationError(
            f"the language model cited passages that do not exist: {unknown}",
            failure="unknown_citations",
        )
    return text.strip()


class Generator(Protocol):
    name: str
    context_tokens: int
    max_tokens: int

    def generate(self, messages: list[dict[str, str]]) -> str: ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class ChatCompletionsGenerator:
    """An OpenAI-compatible ``/chat/completions`` endpoint over HTTP."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout: float = 30.0,
        context_tokens: int = 4096,
        max_tokens: int = 512,
        temperature: float = 0.1,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"llm_url must start with http:// or https://, got {base_url!r}",
                hint="e.g. ASSISTANT_LLM_URL=http://localhost:11434/v1",
            )
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"llm:{model or 'default'}"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        self.context_tokens = context_tokens
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.extra_body = dict(extra_body or {})

    def _payload(self, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
        payload = {"model": self.model, "messages": messages, "temperature": self.temperature,
                   "max_tokens": self.max_tokens, "stream": stream}  # fmt: skip
        return {**payload, **self.extra_body}

    @staticmethod
    def _check_status(response: httpx.Response) -> None:
        """A refusal as a ``GenerationError`` quoting the server; a context overflow as such."""
        if response.status_code < 400:
            return
        body = response.read().decode("utf-8", "replace")
        reason = f"HTTP {response.status_code}: {' '.join(body.split())[:300]}"
        if response.status_code in (400, 413, 422) and "context" in body.lower():
            raise ContextLengthError(f"the prompt is longer than the model's context ({reason})")
        raise GenerationError(f"the language model failed: {reason}")

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """HTTP and payload errors become one ``GenerationError`` with a plain reason."""
        try:
            yield
        except httpx.TimeoutException as exc:
            message = f"the language model did not answer within {self.timeout} s"
            seconds = {"seconds": f"{self.timeout:g}"}
            raise GenerationError(message, failure="timeout", values=seconds) from exc
        except httpx.TransportError as exc:
            message = f"the language model's server could not be reached or hung up: {exc!r}"
            raise GenerationError(message, failure="unreachable") from exc
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise GenerationError(f"the language model failed: {exc}") from exc

    def generate(self, messages: list[dict[str, str]]) -> str:
        with self._failures():
            response = httpx.post(
                self.url,
                json=self._payload(messages, False),
                headers=self.headers,
                timeout=self.timeout,
            )
            self._check_status(response)
            content = str(response.json()["choices"][0]["message"]["content"])
        return content

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with (
            self._failures(),
            httpx.stream(
                "POST",
                self.url,
                json=self._payload(messages, True),
                headers=self.headers,
                timeout=self.timeout,
            ) as response,
        ):
            self._check_status(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators and ": keep-alive" comments
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    raise GenerationError(f"the language model failed: {chunk['error']}")
                if not chunk["choices"]:
                    continue  # the usage chunk of stream_options.include_usage
                delta = chunk["choices"][0].get("delta") or {}
                if delta.get("content"):
                    yield str(delta["content"])


class LlamaCppGenerator:
    """A local GGUF model through llama-cpp-python (``pip install -e '.[llm]'``)."""

    def __init__(
        self, model_path: str, *, context_tokens: int = 4096, max_tokens: int = 512,
        temperature: float = 0.1,
    ) -> None:  # fmt: skip
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ImportError(
                "a local GGUF model needs the 'llm' extra: pip install -e '.[llm]'"
            ) from exc
        try:
            self._llama = Llama(model_path=model_path, n_ctx=context_tokens, verbose=False)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot load the GGUF model {model_path!r}: {exc}") from exc
        self.name = f"gguf:{model_path}"
        self.context_tokens = context_tokens
        self.max_tokens = max_tokens
        self.temperature = temperature

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except ValueError as exc:  # llama-cpp-python's "Requested tokens exceed context window"
            if "context" in str(exc):
                message = f"the prompt is longer than the model's context: {exc}"
                raise ContextLengthError(message) from exc
            raise GenerationError(f"the language model failed: {exc}") from exc
        except RuntimeError as exc:
            raise GenerationError(f"the language model failed: {exc}") from exc

    def _options(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    def generate(self, messages: list[dict[str, str]]) -> str:
        with self._failures():
            result = self._llama.create_chat_completion(messages=messages, **self._options())
        return str(result["choices"][0]["message"]["content"])

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self._failures():
            for part in self._llama.create_chat_completion(
                messages=messages, stream=True, **self._options()
            ):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield str(delta)
