"""Admin endpoints (feedback export, corpus documents, rebuilds), behind ``ASSISTANT_ADMIN_TOKEN``.

No token configured means admin actions are disabled (403, said plainly). Every admin request,
allowed or refused, is appended to ``<data_dir>/admin-audit.jsonl``: who (client address), what
(method, path, outcome), when.
"""

from __future__ import annotations

import hmac
import json
import re
import tempfile
import threading
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from assistant.config import Settings
from assistant.errors import BuildInProgressError
from assistant.ingest.documents import (
    SIDECAR_SUFFIX,
    SUPPORTED_SUFFIXES,
    UnreadableDocument,
    load_document,
)
from assistant.service.jobs import Rebuilds
from assistant.service.schemas import DocumentOut, ErrorResponse, JobOut
from assistant.ui.feedback import FeedbackStore

AUDIT_FILE = "admin-audit.jsonl"
DISABLED = (
    "Les actions d'administration sont désactivées : aucun jeton n'est configuré sur le "
    "serveur (définissez ASSISTANT_ADMIN_TOKEN)."
)
MISSING = "Jeton d'administration manquant : envoyez l'en-tête « Authorization: Bearer <jeton> »."
WRONG = "Jeton d'administration invalide."
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_audit_lock = threading.Lock()

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No admin token was sent."},
    403: {"model": ErrorResponse, "description": "Wrong token, or admin actions disabled."},
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _rebuilds(request: Request) -> Rebuilds:
    rebuilds: Rebuilds = request.app.state.rebuilds
    return rebuilds


def audit(request: Request, action: str, outcome: str, **detail: object) -> None:
    """Append one line to the admin log in the data folder."""
    settings = _settings(request)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
            "who": request.client.host if request.client else "inconnu",
            "user_agent": request.headers.get("user-agent", "")[:200],
            "action": action, "outcome": outcome, **detail}  # fmt: skip
    with _audit_lock, (settings.data_dir / AUDIT_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def require_admin(request: Request) -> None:
    """Let the request through only with the configured token (compared in constant time)."""
    expected = _settings(request).admin_token
    action = f"{request.method} {request.url.path}"
    if not expected:
        audit(request, action, "refusé : administration désactivée")
        raise HTTPException(status_code=403, detail=DISABLED)
    header = request.headers.get("authorization", "")
    scheme, _, sent = header.partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        audit(request, action, "refusé : jeton manquant")
        raise HTTPException(status_code=401, detail=MISSING, headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        audit(request, action, "refusé : jeton invalide")
        raise HTTPException(status_code=403, detail=WRONG)


Admin = Annotated[None, Depends(require_admin)]


def sanitise_name(name: str) -> str:
    """A file name safe to store in the corpus folder: no folder part, no leading dot."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Accents are dropped rather than replaced (« partagé » → « partage »).
    base = "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c))
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    clean = _SAFE_NAME.sub("-", stem).strip("-.")[:120]
    return f"{clean}.{suffix.lower()}" if suffix else clean


def add_admin_routes(app: FastAPI) -> None:
    router = APIRouter(tags=["admin"], responses=ADMIN_ERRORS)

    @router.get("/admin/feedback.csv", response_class=Response,
                responses={200: {"content": {"text/csv": {}}}})  # fmt: skip
    def export_feedback(request: Request, _: Admin) -> Response:
        csv_text = FeedbackStore(_settings(request).data_dir).to_csv()
        audit(request, "export des avis", "ok")
        return Response(
            csv_text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="avis-assistant-ess.csv"'},
        )

    @router.get("/admin/documents")
    def list_documents(request: Request, _: Admin) -> list[DocumentOut]:
        audit(request, "liste des documents", "ok")
        return _documents(request)

    @router.put(
        "/admin/documents/{name}",
        status_code=201,
        responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    )
    async def upload_document(name: str, request: Request, _: Admin) -> DocumentOut:
        settings = _settings(request)
        clean = sanitise_name(name)
        suffix = Path(clean).suffix.lower()
        if not clean or not Path(clean).stem or suffix not in SUPPORTED_SUFFIXES:
            audit(request, "ajout d'un document", "refusé : type", name=name[:200])
            raise HTTPException(
                422,
                f"name: type de fichier non accepté ({suffix or 'sans extension'}) ; "
                f"acceptés : {', '.join(sorted(SUPPORTED_SUFFIXES))}",
            )
        body = await request.body()
        if len(body) > settings.max_upload_bytes:
            raise HTTPException(
                413, f"le document dépasse la taille maximale ({settings.max_upload_bytes} octets)"
            )
        reason = await run_in_threadpool(_unreadable, clean, body, settings)
        if reason is not None:
            audit(request, "ajout d'un document", "refusé : illisible", name=clean)
            raise HTTPException(422, f"body: document illisible ({reason})")
        folder = settings.documents_dir
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".upload-{clean}"
        staging.write_bytes(body)
        staging.replace(folder / clean)
        audit(request, "ajout d'un document", "ok", name=clean, bytes=len(body))
        listed = await run_in_threadpool(_documents, request)
        return next(d for d in listed if d.name == clean)

    @router.delete("/admin/documents/{name}", responses={404: {"model": ErrorResponse}})
    def remove_document(name: str, request: Request, _: Admin) -> dict[str, str]:
        settings = _settings(request)
        clean = sanitise_name(name)
        path = settings.documents_dir / clean
        if not clean or clean != name or not path.is_file():
            audit(request, "suppression d'un document", "introuvable", name=name[:200])
            raise HTTPException(404, f"name: aucun document nommé {name!r} dans le corpus")
        path.unlink()
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if sidecar.exists():
            sidecar.unlink()
        audit(request, "suppression d'un document", "ok", name=clean)
        return {"removed": clean, "next": "lancez une reconstruction (POST /admin/rebuild)"}

    @router.post("/admin/rebuild", status_code=202, responses={409: {"model": ErrorResponse}})
    def rebuild(request: Request, _: Admin) -> JobOut:
        try:
            job = _rebuilds(request).start()
        except BuildInProgressError as exc:
            audit(request, "reconstruction", "refusé : déjà en cours")
            raise HTTPException(409, f"{exc.message} ({exc.hint})") from exc
        audit(request, "reconstruction", "lancée", job=job.id)
        return JobOut(**job.as_dict())

    @router.get("/jobs/{job_id}", responses={404: {"model": ErrorResponse}})
    def job_status(job_id: str, request: Request, _: Admin) -> JobOut:
        job = _rebuilds(request).get(job_id)
        if job is None:
            raise HTTPException(404, f"job_id: aucune tâche {job_id!r}")
        return JobOut(**job.as_dict())

    app.include_router(router)


def _unreadable(name: str, body: bytes, settings: Settings) -> str | None:
    """Why the uploaded bytes cannot be indexed, or ``None``: the loader itself reads them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(body)
        try:
            load_document(path, max_pages=settings.max_document_pages,
                          max_bytes=settings.max_document_bytes)  # fmt: skip
        except UnreadableDocument as exc:
            return str(exc)
    return None


def _documents(request: Request) -> list[DocumentOut]:
    """The corpus folder's documents with what the served index knows of each."""
    settings = _settings(request)
    index = request.app.state.assistant.index
    indexed = {str(d["name"]): d for d in index.manifest.documents}
    units: dict[str, int] = {}
    for unit in index.units:
        units[unit.source.document] = units.get(unit.source.document, 0) + 1
    out: list[DocumentOut] = []
    folder = settings.documents_dir
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        if path.name.startswith(".") or path.name.endswith(SIDECAR_SUFFIX):
            continue
        known = indexed.get(path.name)
        out.append(DocumentOut(
            name=path.name, format=path.suffix.lower().lstrip("."), size_bytes=path.stat().st_size,
            indexed=known is not None, units=units.get(path.name, 0),
            last_indexed=index.manifest.built_at if known else None))  # fmt: skip
    return out
