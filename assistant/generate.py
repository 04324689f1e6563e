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
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import httpx

from assistant.errors import AssistantError, ConfigurationError
from assistant.types import Citation


class GenerationError(AssistantError):
    """The language model failed, timed out, or answered outside its sources."""


SYSTEM_FR = (
    "Tu es l'assistant de la feuille de route Économie sociale et solidaire (ESS) de Niort Agglo. "
    "Réponds uniquement à partir des extraits numérotés fournis, sans rien inventer. Cite chaque "
    "information par le numéro de son extrait entre crochets, par exemple [1]. Si les extraits ne "
    "répondent pas à la question, dis-le clairement. Réponds en français, de façon brève."
)
SYSTEM_EN = SYSTEM_FR.replace("Réponds en français, de façon brève.", "Answer in English, briefly.")
_CITED = re.compile(r"\[(\d+)\]")


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


def check_citations(text: str, citations: Sequence[Citation]) -> str:
    """``text`` if every number it cites exists and it cites at least one; else an error."""
    numbers = {int(n) for n in _CITED.findall(text)}
    known = {c.number for c in citations}
    if not text.strip():
        raise GenerationError("the language model returned an empty answer")
    if not numbers:
        raise GenerationError("the language model answered without citing any passage")
    unknown = sorted(numbers - known)
    if unknown:
        raise GenerationError(f"the language model cited passages that do not exist: {unknown}")
    return text.strip()


class Generator(Protocol):
    name: str

    def generate(self, messages: list[dict[str, str]]) -> str: ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class ChatCompletionsGenerator:
    """An OpenAI-compatible ``/chat/completions`` endpoint over HTTP."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 30.0):
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

    def _payload(self, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": 0.1, "stream": stream}

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """HTTP and payload errors become one ``GenerationError`` with a plain reason."""
        try:
            yield
        except httpx.TimeoutException as exc:
            message = f"the language model did not answer within {self.timeout} s"
            raise GenerationError(message) from exc
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
            response.raise_for_status()
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
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    break
                delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield str(delta)


class LlamaCppGenerator:
    """A local GGUF model through llama-cpp-python (``pip install -e '.[llm]'``)."""

    def __init__(self, model_path: str) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ImportError(
                "a local GGUF model needs the 'llm' extra: pip install -e '.[llm]'"
            ) from exc
        try:
            self._llama = Llama(model_path=model_path, n_ctx=4096, verbose=False)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot load the GGUF model {model_path!r}: {exc}") from exc
        self.name = f"gguf:{model_path}"

    def generate(self, messages: list[dict[str, str]]) -> str:
        result = self._llama.create_chat_completion(messages=messages, temperature=0.1)
        return str(result["choices"][0]["message"]["content"])

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        for part in self._llama.create_chat_completion(
            messages=messages, temperature=0.1, stream=True
        ):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                yield str(delta)
