"""The assistant as a Model Context Protocol server, for assistants that call tools.

Tools: ``search`` (passages and records), ``ask`` (a cited answer), ``find_schemes`` (support
schemes for a project) and ``get_record`` (one axis, action, scheme or actor). Resources: the
roadmap's outline (``roadmap://outline``) and every record (``record://{kind}/{record_id}``).
Inputs and outputs are typed: each tool publishes a JSON schema of both, and returns structured
content. A bad input is a tool error (``isError``) whose text names the field and the problem.

``assistant mcp`` serves it over stdio (the default, for clients that start the server) or over
streamable HTTP (``--http``, at ``/mcp``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assistant import __version__
from assistant.answering.conversation import Turn
from assistant.answering.schemes import SchemeQuery
from assistant.assistant import Assistant, RecordNotFoundError
from assistant.errors import InvalidQueryError
from assistant.retrieval.hybrid import MAX_QUERY_CHARS, MAX_TOP_K
from assistant.service.app import NOTICE_ELSEWHERE
from assistant.service.schemas import (
    MAX_HISTORY_TURNS,
    MAX_TURN_CHARS,
    AskResponse,
    FilterValue,
    HistoryTurn,
    ResultOut,
    SchemeMatchOut,
    SchemeMatchResponse,
    SearchResponse,
)

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
RecordKind = Literal["axe", "action", "dispositif", "acteur"]
INSTRUCTIONS = (
    "Recherche et réponses citées sur une feuille de route de l'économie sociale et solidaire "
    "(ESS) et son benchmark des dispositifs d'autres territoires. Use `ask` for a cited answer, "
    "`search` for passages, `find_schemes` for the support schemes that fit a project, "
    "`get_record` for one axis, action, scheme or actor; the resource roadmap://outline lists "
    "the roadmap's axes and actions."
)
FILTERS_HELP = (
    "Keep only units matching every key (kind, document, section, axis, theme, territory, "
    "scheme_type, stage, need, actor_type, record_id); a list gives alternatives."
)

Query = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
Filters = Annotated[dict[str, FilterValue], Field(description=FILTERS_HELP)]


class RecordSource(BaseModel):
    """Where a record is quoted from: the document, its section and character offsets."""

    model_config = ConfigDict(extra="allow")
    document: str
    quote: str
    section: str
    start: int
    end: int


class RecordOut(BaseModel):
    """A record: its kind, id and source, and the fields of its kind (title, text, themes,
    territory, amounts, contact…)."""

    model_config = ConfigDict(extra="allow")
    kind: RecordKind
    id: str
    source: RecordSource


def _not_blank(field: str, value: str) -> str:
    if not value.strip():
        raise ToolError(f"{field}: must not be empty or only whitespace")
    return value.strip()


def create_server(assistant: Assistant) -> MCPServer[Any]:
    """The MCP server over a loaded assistant (the index and the model load once, before)."""
    server: MCPServer[Any] = MCPServer(
        "ess-assistant", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(title="Rechercher")
    def search(
        query: Annotated[Query, Field(description="Keywords or a question, French or English.")],
        top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K, description="Number of results.")] = 5,
        filters: Filters | None = None,
    ) -> SearchResponse:
        """Search the roadmap, the benchmark and their records; best matches first."""
        query = _not_blank("query", query)
        try:
            hits = assistant.search(query, top_k=top_k, filters=filters or {})
        except InvalidQueryError as exc:
            raise ToolError(exc.message) from exc
        return SearchResponse(query=query, results=[ResultOut.of(h) for h in hits])

    @server.tool(title="Répondre")
    def ask(
        question: Annotated[Query, Field(description="The question, in French or English.")],
        history: Annotated[
            list[HistoryTurn],
            Field(
                max_length=MAX_HISTORY_TURNS,
                description="Earlier turns, oldest first, so "
                f"that a follow-up is understood (each at most {MAX_TURN_CHARS} characters).",
            ),
        ]
        | None = None,
        filters: Filters | None = None,
    ) -> AskResponse:
        """A cited answer drawn from the documents' own sentences: each sentence carries the
        number of its citation, and every citation quotes its document at exact offsets.
        ``abstained`` is true when the documents do not answer."""
        question = _not_blank("question", question)
        turns = [Turn(turn.role, turn.content) for turn in history or []]
        try:
            answer = assistant.ask(question, history=turns, filters=filters or {})
        except InvalidQueryError as exc:
            raise ToolError(exc.message) from exc
        return AskResponse.of(answer)

    @server.tool(title="Trouver un dispositif")
    def find_schemes(
        description: Annotated[Query, Field(description="The project, in a few words.")],
        territory: Annotated[str | None, Field(max_length=100)] = None,
        stage: Annotated[
            str | None, Field(max_length=100, description="A stage of the corpus' vocabulary.")
        ] = None,
        needs: Annotated[
            list[str] | None, Field(max_length=20, description="Needs of the corpus' vocabulary.")
        ] = None,
        amount_eur: Annotated[int | None, Field(ge=0, le=1_000_000_000)] = None,
        top_k: Annotated[int, Field(ge=1, le=30)] = 8,
    ) -> SchemeMatchResponse:
        """Support schemes of the benchmark and local support organisations that fit a project,
        ranked, each with what fits and what may not."""
        query = SchemeQuery(
            description=_not_blank("description", description),
            territory=territory,
            stage=stage,
            needs=tuple(needs or ()),
            amount_eur=amount_eur,
        )
        try:
            matches = assistant.match_schemes(query, top_k=top_k)
        except InvalidQueryError as exc:
            raise ToolError(exc.message) from exc
        outs = [
            SchemeMatchOut(**{k: v for k, v in asdict(m).items() if k != "unit_id"})
            for m in matches
        ]
        elsewhere = any(not m.local and m.kind == "dispositif" for m in matches)
        return SchemeMatchResponse(matches=outs, notice=NOTICE_ELSEWHERE if elsewhere else None)

    @server.tool(title="Lire une fiche")
    def get_record(
        kind: Annotated[RecordKind, Field(description="axe, action, dispositif or acteur.")],
        record_id: Annotated[
            str,
            Field(min_length=1, max_length=200, description="e.g. B.2, C.2.2, or a scheme's slug."),
        ],
    ) -> RecordOut:
        """One record with its fields and the passage it is quoted from."""
        try:
            return RecordOut.model_validate(assistant.record(kind, record_id.strip()))
        except RecordNotFoundError as exc:
            raise ToolError(f"record_id: {exc.message}") from exc

    @server.resource(
        "roadmap://outline",
        name="outline",
        title="Plan de la feuille de route",
        description="Strategic axes, operational axes and their actions, with themes.",
        mime_type="text/markdown",
    )
    def outline() -> str:
        return roadmap_outline(assistant)

    @server.resource(
        "record://{kind}/{record_id}",
        name="record",
        title="Fiche",
        description="One record (axe, action, dispositif, acteur) as JSON.",
        mime_type="application/json",
    )
    def record(kind: str, record_id: str) -> str:
        try:
            data = assistant.record(kind, record_id)
        except RecordNotFoundError as exc:
            raise ResourceNotFoundError(exc.message) from exc
        return RecordOut.model_validate(data).model_dump_json(indent=2)

    async def health(_: Request) -> Response:
        """Liveness over HTTP, outside the protocol (for probes and tests)."""
        return JSONResponse({"status": "ok", "units": len(assistant.index.units)})

    # The SDK's decorator has no return annotation; typed here so the handler stays typed.
    add_route: Callable[..., Callable[[Handler], Handler]] = server.custom_route
    add_route("/health", methods=["GET"])(health)

    return server


def roadmap_outline(assistant: Assistant) -> str:
    """The roadmap as Markdown: strategic axes, their operational axes, their actions."""
    axes = assistant.records("axe")
    actions = assistant.records("action")
    lines = ["# Plan de la feuille de route", ""]
    for strategic in (a for a in axes if "." not in a["id"]):
        lines += [f"## Axe {strategic['id']} — {strategic['title']}", ""]
        for operational in (a for a in axes if a["id"].startswith(strategic["id"] + ".")):
            lines += [f"### {operational['id']} — {operational['title']}", ""]
            for action in (a for a in actions if a["id"].rsplit(".", 1)[0] == operational["id"]):
                text = " ".join(action["text"].split())
                lines.append(f"- **{action['id']}** {text} ({', '.join(action['themes'])})")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def serve(
    assistant: Assistant,
    *,
    transport: Literal["stdio", "streamable-http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8001,
) -> None:
    """Run the server until the client leaves (stdio) or the process is stopped (HTTP)."""
    server = create_server(assistant)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
