"""Rebuilds started from the API: one background job at a time, with its progress, and the
running service switched to the new index when the build succeeds (hot reload).

Requests in flight keep the ``Assistant`` they started with (they hold a reference to it), so
they finish on the old index; a failed build leaves the old one serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from assistant.build import build_index
from assistant.config import Settings
from assistant.errors import AssistantError, BuildInProgressError
from assistant.index.embedders import Embedder, ProgressCallback, Vectors

logger = logging.getLogger(__name__)
DOCUMENTS_LOGGER = "assistant.ingest.documents"
MAX_JOBS_KEPT = 20


@dataclass
class Job:
    """A rebuild's state as ``GET /jobs/{id}`` shows it."""

    id: str
    state: str = "queued"  # queued, running, succeeded, failed
    stage: str = "en attente"
    embedded: int = 0
    to_embed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    report: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _CountingEmbedder:
    """The running service's embedder, counting the texts a build embeds for its progress."""

    def __init__(self, inner: Embedder, job: Job) -> None:
        self.inner = inner
        self.job = job
        self.backend = inner.backend
        self.model = inner.model

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_query(self, query: str) -> Vectors:
        return self.inner.embed_query(query)

    def embed_documents(
        self, texts: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Vectors:
        self.job.stage = "calcul des vecteurs"
        self.job.to_embed = len(texts)

        def advance(done: int) -> None:
            self.job.embedded += done
            if progress is not None:
                progress(done)

        return self.inner.embed_documents(texts, progress=advance)


class _SkippedFiles(logging.Handler):
    """Reports each skipped file to the job as the loader finds it."""

    def __init__(self, job: Job) -> None:
        super().__init__(logging.INFO)
        self.job = job

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "skipped %s: %s" and len(record.args or ()) == 2:
            path, reason = record.args  # type: ignore[misc]
            self.job.skipped.append({"path": _name(str(path)), "reason": str(reason)})


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class Rebuilds:
    """Starts rebuilds in a thread and calls ``on_built`` with the settings once one succeeds."""

    def __init__(
        self,
        settings: Settings,
        embedder: Callable[[], Embedder],
        on_built: Callable[[Settings], None],
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._on_built = on_built
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._running: str | None = None

    def start(self) -> Job:
        """A new job, running; ``BuildInProgressError`` when one is already running."""
        with self._lock:
            if self._running is not None:
                raise BuildInProgressError(
                    f"a rebuild is already running (job {self._running})",
                    hint=f"follow it at /jobs/{self._running}",
                )
            job = Job(id=uuid4().hex[:12])
            self._jobs[job.id] = job
            self._running = job.id
            for old in list(self._jobs)[:-MAX_JOBS_KEPT]:
                del self._jobs[old]
        threading.Thread(target=self._run, args=(job,), name=f"rebuild-{job.id}").start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """For tests and scripts: the job once finished (or as it is after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self._jobs.get(job_id)
            if job is None or job.state in ("succeeded", "failed"):
                return job
            time.sleep(0.1)  # polling, bounded by the deadline
        return self._jobs.get(job_id)

    def _run(self, job: Job) -> None:
        job.state, job.stage = "running", "lecture des documents"
        handler = _SkippedFiles(job)
        documents_logger = logging.getLogger(DOCUMENTS_LOGGER)
        documents_logger.addHandler(handler)
        previous_level = documents_logger.level
        if documents_logger.getEffectiveLevel() > logging.INFO:
            documents_logger.setLevel(logging.INFO)
        try:
            embedder = _CountingEmbedder(self._embedder(), job)
            report = build_index(self.settings, embedder=embedder, progress=False)
            job.stage = "chargement du nouvel index"
            self._on_built(self.settings)
            job.report = {"documents": report.documents, "units": report.units,
                          "embedded": report.embedded, "reused": report.reused,
                          "seconds": report.seconds}  # fmt: skip
            job.skipped = [{"path": _name(s.path), "reason": s.reason} for s in report.skipped]
            job.state, job.stage = "succeeded", "terminé"
        except AssistantError as exc:
            job.state, job.stage = "failed", "échec"
            job.error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        except Exception as exc:  # a failed build must leave the service serving the old index
            logger.exception("rebuild %s failed", job.id)
            job.state, job.stage = "failed", "échec"
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            documents_logger.removeHandler(handler)
            documents_logger.setLevel(previous_level)
            job.finished_at = _now()
            with self._lock:
                self._running = None
