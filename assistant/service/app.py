"""The FastAPI application: models loaded once at start-up, errors mapped to status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant import __version__, wiring
from assistant.answering.conversation import Turn
from assistant.answering.schemes import SchemeQuery
from assistant.assistant import Assistant, RecordNotFoundError
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError, InvalidQueryError
from assistant.retrieval.filters import UnitFilter
from assistant.retrieval.hybrid import check_query
from assistant.service import openai_api
from assistant.service.admin import add_admin_routes
from assistant.service.feedback import add_feedback_routes
from assistant.service.jobs import Rebuilds
from assistant.service.limits import LimitsMiddleware
from assistant.service.schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    ResultOut,
    SchemeMatchOut,
    SchemeMatchRequest,
    SchemeMatchResponse,
    SearchRequest,
    SearchResponse,
)
from assistant.ui.feedback import FeedbackStore

logger = logging.getLogger(__name__)
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "A query, filter or option is not acceptable."},
    422: {"model": ErrorResponse, "description": "A field is missing or invalid."},
}
NOTICE_ELSEWHERE = (
    "Les dispositifs du benchmark relèvent d'autres territoires : ils sont donnés en exemple. "
    "Les acteurs locaux de l'accompagnement sont signalés comme tels."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's."""

    resolved = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.assistant = Assistant.load(resolved)
        app.state.rebuilds = Rebuilds(
            resolved,
            embedder=lambda: app.state.assistant.retriever.embedder,
            on_built=lambda built: setattr(app.state, "assistant", Assistant.load(built)),
        )
        yield

    corpus_profile = wiring.profile(settings or get_settings())
    app = FastAPI(
        title=corpus_profile.title,
        version=__version__,
        description="Search, cited answers and a support-scheme finder over "
        f"{corpus_profile.corpus_description}.",
        lifespan=lifespan,
    )
    app.state.settings = resolved
    app.state.feedback = FeedbackStore(resolved.data_dir)
    app.add_middleware(LimitsMiddleware, settings=resolved)
    _add_error_handlers(app)
    _add_routes(app)
    add_feedback_routes(app)
    add_admin_routes(app)
    app.include_router(openai_api.router)
    return app


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


def _add_routes(app: FastAPI) -> None:
    @app.get("/health")
    def health(assistant: AssistantDep) -> dict[str, Any]:
        return {"status": "ok", "units": len(assistant.index.units), "version": __version__}

    @app.get("/stats")
    def stats(assistant: AssistantDep) -> dict[str, Any]:
        manifest = assistant.index.manifest.model_dump()
        # File names only: the server's folders are nobody's business.
        manifest["record_files"] = [Path(f).name for f in manifest["record_files"]]
        manifest["skipped"] = [{**s, "path": Path(s["path"]).name} for s in manifest["skipped"]]
        generator = assistant.generator.name if assistant.generator else "extractive"
        return {**manifest, "generator": generator}

    @app.post("/search", responses=ERRORS)
    def search(body: SearchRequest, assistant: AssistantDep) -> SearchResponse:
        hits = assistant.search(body.query, top_k=body.top_k, filters=body.filters.spec())
        return SearchResponse(query=body.query, results=[ResultOut.of(h) for h in hits])

    @app.post("/ask", responses=ERRORS)
    def ask(body: AskRequest, assistant: AssistantDep) -> AskResponse:
        answer = assistant.ask(
            body.question,
            history=_history(body),
            filters=body.filters.spec(),
            generate=body.generate,
        )
        return AskResponse.of(answer)

    @app.post(
        "/ask/stream",
        responses={**ERRORS, 200: {"content": {"text/event-stream": {}},
                                   "description": "token events, then one answer event "
                                   "(or an error event)"}},
        response_class=StreamingResponse,
    )  # fmt: skip
    def ask_stream(body: AskRequest, assistant: AssistantDep) -> StreamingResponse:
        # Check the question and filters before the stream starts, so a bad one is a 400, not a
        # broken stream (without searching: the question is embedded once, by the answer).
        check_query(body.question)
        UnitFilter(body.filters.spec())
        events = assistant.ask_stream(
            body.question, history=_history(body), filters=body.filters.spec()
        )
        return StreamingResponse(
            iterate_in_threadpool(_server_sent(events)), media_type="text/event-stream"
        )

    @app.post("/schemes/match", responses=ERRORS)
    def match_schemes(body: SchemeMatchRequest, assistant: AssistantDep) -> SchemeMatchResponse:
        query = SchemeQuery(
            description=body.description,
            territory=body.territory,
            stage=body.stage,
            needs=tuple(body.needs),
            amount_eur=body.amount_eur,
        )
        matches = assistant.match_schemes(query, top_k=body.top_k)
        outs = [SchemeMatchOut(**{k: v for k, v in asdict(m).items() if k != "unit_id"})
                for m in matches]  # fmt: skip
        elsewhere = any(not m.local and m.kind == "dispositif" for m in matches)
        return SchemeMatchResponse(matches=outs, notice=NOTICE_ELSEWHERE if elsewhere else None)

    @app.get("/vocabulary")
    def vocabulary(assistant: AssistantDep) -> dict[str, list[dict[str, str]]]:
        """The values records use (themes, scheme types, stages, needs, actor types), labelled."""
        return assistant.vocabulary.as_dict()

    @app.get("/profile")
    def profile(assistant: AssistantDep) -> dict[str, Any]:
        """What the web app shows of the corpus: its title, home territory and territories."""
        return assistant.profile_summary()

    @app.get("/records/{kind}", responses={404: {"model": ErrorResponse}})
    def records(kind: str, assistant: AssistantDep) -> list[dict[str, Any]]:
        return assistant.records(kind)

    @app.get("/records/{kind}/{record_id}", responses={404: {"model": ErrorResponse}})
    def record(kind: str, record_id: str, assistant: AssistantDep) -> dict[str, Any]:
        return assistant.record(kind, record_id)


def _history(body: AskRequest) -> list[Turn]:
    return [Turn(turn.role, turn.content) for turn in body.history]


def _server_sent(events: Iterator[Any]) -> Iterator[str]:
    """Server-sent events; a failure once the stream has started becomes an ``error`` event
    (the status line is already sent), never a cut stream."""
    try:
        for event in events:
            if event.kind == "answer" and event.answer is not None:
                payload = AskResponse.of(event.answer).model_dump_json()
                yield f"event: answer\ndata: {payload}\n\n"
            else:
                data = json.dumps({"text": event.text}, ensure_ascii=False)
                yield f"event: {event.kind}\ndata: {data}\n\n"
    except AssistantError as exc:
        yield _error_event(exc.message)
    except Exception:
        logger.exception("the answer stream failed")
        yield _error_event("une erreur interne a interrompu la réponse")


def _error_event(detail: str) -> str:
    return f"event: error\ndata: {json.dumps({'detail': detail}, ensure_ascii=False)}\n\n"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            location = [str(part) for part in error["loc"]]
            if location and location[0] in ("body", "query", "path"):
                location = location[1:]  # where it was sent, not which field
            field = ".".join(location) or "body"
            problems.append(f"{field}: {error['msg']}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.exception_handler(InvalidQueryError)
    async def invalid_query(_: Request, exc: InvalidQueryError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": exc.message})

    @app.exception_handler(RecordNotFoundError)
    async def not_found(_: Request, exc: RecordNotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": exc.message})

    @app.exception_handler(AssistantError)
    async def unavailable(_: Request, exc: AssistantError) -> JSONResponse:
        detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return JSONResponse(status_code=503, content={"detail": detail})
