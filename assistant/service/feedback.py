"""``POST /feedback``: a vote on an answer (useful or not, a comment), one per answer and client."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request

from assistant.service.schemas import ERROR_MODEL, FeedbackRequest, FeedbackResponse
from assistant.ui.feedback import FeedbackError, FeedbackStore


def add_feedback_routes(app: FastAPI) -> None:
    @app.post("/feedback", responses={422: ERROR_MODEL})
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
        store: FeedbackStore = request.app.state.feedback
        client = body.client_id or (request.client.host if request.client else "")
        try:
            row = store.add(body.question, body.answer, useful=body.useful, comment=body.comment,
                            client=client)  # fmt: skip
        except FeedbackError as exc:
            raise HTTPException(422, f"comment: {exc}") from exc
        return FeedbackResponse(id=row)
