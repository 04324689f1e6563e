"""A small OpenAI-compatible chat-completions server for the tests (localhost only).

The model name chooses the behaviour: ``good`` answers citing [1], ``bad`` cites a passage that
does not exist, ``slow`` answers after longer than the client's timeout, ``down`` fails.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

app = FastAPI()
GOOD = "D'après la feuille de route, plusieurs actions y contribuent [1]."


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/chat/completions", response_model=None)
async def chat(request: Request) -> JSONResponse | StreamingResponse:
    body: dict[str, Any] = await request.json()
    model = body.get("model", "good")
    sources = body["messages"][-1]["content"]
    if "[1]" not in sources:  # the client must send numbered passages
        return JSONResponse({"error": "no numbered passages"}, status_code=400)
    if model == "down":
        return JSONResponse({"error": "unavailable"}, status_code=503)
    if model == "slow":
        await asyncio.sleep(5)
    text = "Voir le passage [42]." if model == "bad" else GOOD
    if body.get("stream"):
        return StreamingResponse(_chunks(text), media_type="text/event-stream")
    return JSONResponse({"choices": [{"message": {"role": "assistant", "content": text}}]})


async def _chunks(text: str) -> AsyncIterator[str]:
    for word in text.split(" "):
        delta = {"choices": [{"delta": {"content": word + " "}}]}
        yield f"data: {json.dumps(delta)}\n\n"
    yield "data: [DONE]\n\n"
