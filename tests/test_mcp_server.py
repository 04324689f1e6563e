"""The MCP server as a server: ``assistant mcp`` over stdio and over streamable HTTP, called with
the ``mcp`` client SDK."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from assistant.config import Settings
from tests.conftest import REPO, ROADMAP, free_port, index_env, running

DOCUMENT = ROADMAP.read_text(encoding="utf-8")
TOOLS = {"search", "ask", "find_schemes", "get_record"}
PRIZE = "Combien rapporte le prix nantais de l'innovation sociale ?"


def _stdio(settings: Settings) -> StdioServerParameters:
    # The SDK passes a child only a few safe variables: the index's location must be given.
    env = {**os.environ, **index_env(settings)}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=env, cwd=str(REPO)
    )


def _structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    content: dict[str, Any] = result.structured_content
    return content


def _error_text(result: Any) -> str:
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_over_stdio_each_tool_answers_with_typed_output(real_index_settings: Settings) -> None:
    async def session() -> None:
        async with Client(_stdio(real_index_settings), read_timeout_seconds=120) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == TOOLS
            for tool in tools.values():
                assert tool.description and tool.output_schema is not None
            assert tools["search"].input_schema["required"] == ["query"]
            assert "stage" in tools["find_schemes"].input_schema["properties"]

            found = _structured(
                await client.call_tool(
                    "search",
                    {"query": "économie circulaire", "top_k": 3, "filters": {"kind": "action"}},
                )
            )
            assert len(found["results"]) == 3
            assert all(r["kind"] == "action" for r in found["results"])

            answer = _structured(
                await client.call_tool(
                    "ask", {"question": "Quelles actions soutiennent l'économie circulaire ?"}
                )
            )
            assert answer["abstained"] is False and "A.1.3" in answer["answer"]
            for citation in answer["citations"]:
                source = citation["source"]
                assert DOCUMENT[source["start"] : source["end"]] == citation["text"]

            follow_up = _structured(
                await client.call_tool(
                    "ask",
                    {
                        "question": "et à Grand Poitiers ?",
                        "history": [
                            {
                                "role": "user",
                                "content": PRIZE,
                            },
                            {"role": "assistant", "content": "20 000 € [1]"},
                        ],
                    },
                )
            )
            assert "Poitiers" in follow_up["resolved_question"]

            schemes = _structured(
                await client.call_tool(
                    "find_schemes",
                    {
                        "description": "association d'insertion qui veut créer une recyclerie",
                        "needs": ["financement"],
                        "top_k": 5,
                    },
                )
            )
            assert 0 < len(schemes["matches"]) <= 5
            assert {"fits", "may_not_fit", "territory"} <= set(schemes["matches"][0])

            record = _structured(
                await client.call_tool("get_record", {"kind": "action", "record_id": "C.2.2"})
            )
            assert record["id"] == "C.2.2" and record["kind"] == "action" and record["themes"]
            source = record["source"]
            assert DOCUMENT[source["start"] : source["end"]] == source["quote"]

            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            assert "roadmap://outline" in resources
            outline = (await client.read_resource("roadmap://outline")).contents[0]
            text = getattr(outline, "text", "")
            assert text.count("\n## Axe ") == 3 and text.count("- **") == 29
            axis = (await client.read_resource("record://axe/B.2")).contents[0]
            assert json.loads(getattr(axis, "text", "{}"))["id"] == "B.2"

    anyio.run(session)


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("search", {"query": "   "}, "query"),
    ("search", {"query": "vélo", "top_k": 0}, "top_k"),
    ("search", {"query": "vélo", "filters": {"couleur": "rouge"}}, "couleur"),
    ("search", {}, "query"),
    ("ask", {"question": "x" * 2001}, "question"),
    ("ask", {"question": "ok", "history": [{"role": "bot", "content": "x"}]}, "role"),
    ("find_schemes", {"description": "recyclerie", "stage": "adulte"}, "stage"),
    ("find_schemes", {"description": "recyclerie", "amount_eur": -5}, "amount_eur"),
    ("get_record", {"kind": "projet", "record_id": "A"}, "kind"),
    ("get_record", {"kind": "action", "record_id": "Z.9.9"}, "Z.9.9"),
]


@pytest.mark.parametrize(("tool", "arguments", "field"), BAD_CALLS)
def test_a_bad_input_is_a_tool_error_naming_the_field(
    mcp_stdio_errors: dict[tuple[str, str], str], tool: str, arguments: dict[str, Any], field: str
) -> None:
    message = mcp_stdio_errors[(tool, json.dumps(arguments))]
    assert field in message, message
    assert "Traceback" not in message


@pytest.fixture(scope="module")
def mcp_stdio_errors(real_index_settings: Settings) -> dict[tuple[str, str], str]:
    """Every bad call of the test above, made in one stdio session (the server starts once)."""

    async def session() -> dict[tuple[str, str], str]:
        errors: dict[tuple[str, str], str] = {}
        async with Client(_stdio(real_index_settings), read_timeout_seconds=120) as client:
            for tool, arguments, _ in BAD_CALLS:
                result = await client.call_tool(tool, arguments)
                errors[(tool, json.dumps(arguments))] = _error_text(result)
        return errors

    return anyio.run(session)


def test_over_streamable_http_tools_answer_and_bad_input_is_a_tool_error(
    real_index_settings: Settings,
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "assistant.cli", "mcp", "--http", "--port", str(port)]
    with running(
        command, f"http://127.0.0.1:{port}/health", env=index_env(real_index_settings)
    ) as health:
        url = health.removesuffix("/health") + "/mcp"

        async def session() -> None:
            async with Client(url, read_timeout_seconds=120) as client:
                assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
                answer = _structured(
                    await client.call_tool(
                        "ask",
                        {"question": "Combien rapporte le prix nantais de l'innovation sociale ?"},
                    )
                )
                assert "20 000 €" in answer["answer"] and answer["citations"]
                bad = await client.call_tool("get_record", {"kind": "axe", "record_id": "Q"})
                assert "'Q'" in _error_text(bad)

        anyio.run(session)
