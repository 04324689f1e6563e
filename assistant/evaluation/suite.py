"""The evaluation suite: build or load the index, run every configuration, report, gate."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from assistant import wiring
from assistant.assistant import Assistant
from assistant.build import build_index, index_status
from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.evaluation.answers import AnswerResult, evaluate_answers
from assistant.evaluation.baseline import minilm_embedder, tutorial_retriever
from assistant.evaluation.gold import GoldQuestion, load_gold_set
from assistant.evaluation.quality import load_absence_cues
from assistant.evaluation.runner import System, SystemResult, evaluate
from assistant.index.store import LoadedIndex
from assistant.index.vectors import set_search_threads
from assistant.ingest.documents import load_documents
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import RetrievalConfig, Retriever
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.rerank import CrossEncoderReranker
from assistant.types import Document
from assistant.wiring import (
    make_embedder,
    open_index,
    retrieval_config,
)

DEFAULT_NAME = "hybrid"


@dataclass(frozen=True)
class EvaluationRun:
    results: list[SystemResult]
    meta: dict[str, Any]
    answers: AnswerResult | None = None

    def result(self, name: str) -> SystemResult:
        return next(r for r in self.results if r.name == name)


def systems(
    index: LoadedIndex, settings: Settings, *, baseline: bool, documents: list[Document]
) -> list[System]:
    """The configurations compared side by side; ``hybrid`` is what the settings select."""
    embedder = make_embedder(settings)
    glossary = Glossary.load(settings.glossary_path)
    default = retrieval_config(settings)
    set_search_threads(settings.search_threads)
    lexical = LexicalIndex.over(index.lexical) if index.lexical is not None else None

    def system(
        name: str,
        description: str,
        config: RetrievalConfig,
        *,
        expand: bool = True,
        rerank: bool = False,
    ) -> System:
        retriever = Retriever(
            index.units,
            index.vectors,
            embedder,
            config=config,
            glossary=glossary if expand else None,
            reranker=CrossEncoderReranker(settings.reranker_model) if rerank else None,
            segments=index.segments,
            gazetteer=wiring.gazetteer(settings),
            lexical=lexical,
        )
        return System(name, description, retriever)

    found = [
        system("bm25", "BM25 only, French analysis", RetrievalConfig(mode="lexical"), expand=False),
        system("dense", "multilingual-e5 only", RetrievalConfig(mode="dense")),
        system("hybrid-rrf", "BM25 + e5, reciprocal rank fusion", replace(default, fusion="rrf")),
        system("hybrid-no-glossary", "hybrid without query expansion", default, expand=False),
        system(
            "hybrid+dense-glossary",
            "hybrid, the query embedded with the glossary terms it names spelled out",
            replace(default, dense_expansion=True),
        ),
        system(
            "hybrid-full-scoring",
            "hybrid, every unit scored on every signal (candidates cover the corpus): what "
            "candidates-then-fusion must match",
            replace(default, candidates=max(default.candidates, len(index.units))),
        ),
        system(
            DEFAULT_NAME,
            f"BM25 + e5, weighted sum (dense {default.dense_weight_fr} in French, "
            f"{default.dense_weight_en} in English), glossary expansion, merged overlaps",
            default,
        ),
    ]
    if settings.reranker_model:
        description = f"hybrid, reranked by {settings.reranker_model}"
        found.append(system("hybrid+rerank", description, default, rerank=True))
    if baseline:
        minilm = minilm_embedder()
        if minilm is not None:
            description = "fixed 800/100 chunks, English all-MiniLM-L6-v2, flat FAISS"
            found.append(
                System("tutorial-baseline", description, tutorial_retriever(documents, minilm))
            )
    return found


def run_evaluation(
    settings: Settings,
    gold_path: Path,
    *,
    batches: Path | None = None,
    baseline: bool = True,
    answers: bool = True,
    progress: bool = True,
) -> EvaluationRun:
    questions = load_gold_set(gold_path, batches)
    if index_status(settings) is not None:
        build_index(settings, progress=progress)
    index = open_index(settings)
    documents, _ = load_documents([settings.documents_dir])
    texts = {d.name: d.text for d in documents}
    results: list[SystemResult] = []
    candidates = systems(index, settings, baseline=baseline, documents=documents)
    total = (len(candidates) + answers) * len(questions)
    answer_result = None
    with tqdm(total=total, desc="Evaluating", disable=not progress, file=sys.stderr) as bar:

        def advance() -> None:
            bar.update(1)

        for system in candidates:
            results.append(evaluate(system, questions, texts, on_question=advance))
        if answers:
            assistant = Assistant.load(
                settings.model_copy(update={"llm_url": "", "llm_gguf_path": ""})
            )
            cues_path = gold_path.parent / "absence_cues.yaml"
            answer_result = evaluate_answers(
                lambda q: assistant.ask(q),
                questions,
                index.documents,
                on_question=advance,
                absence_cues=load_absence_cues(cues_path) if cues_path.exists() else (),
            )
    return EvaluationRun(results, _meta(settings, index, questions), answer_result)


def load_thresholds(path: Path) -> tuple[str, dict[str, float]]:
    """The gated configuration's name and its retrieval minima."""
    spec = _thresholds(path)
    try:
        return str(spec["configuration"]), {str(k): float(v) for k, v in spec["minimum"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(f"invalid thresholds file {path}: {exc}") from exc


def load_answer_thresholds(path: Path) -> dict[str, float]:
    """Answer metrics' bounds: a minimum, or a maximum for keys written ``max:<metric>``."""
    spec = _thresholds(path)
    try:
        return {str(k): float(v) for k, v in (spec.get("answers") or {}).items()}
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(f"invalid thresholds file {path}: {exc}") from exc


def _thresholds(path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"invalid thresholds file {path}: {exc}") from exc
    if not isinstance(spec, dict):
        raise ConfigurationError(f"invalid thresholds file {path}: expected a mapping")
    return spec


def check_thresholds(result: SystemResult, minima: dict[str, float]) -> list[str]:
    """Failures of the gate: each metric of ``result`` below its minimum."""
    name = result.name
    failures = []
    for key, minimum in minima.items():
        group, _, metric = key.rpartition("/")
        values = result.by_group.get(group, {}) if group else result.overall
        value = values.get(metric)
        if value is None:
            failures.append(f"{key}: no such metric in the report")
        elif value < minimum:
            failures.append(f"{name} {key} = {value:.3f}, below the minimum {minimum}")
    return failures


def _meta(settings: Settings, index: LoadedIndex, questions: list[GoldQuestion]) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "revision": _git_revision(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "units": len(index.units),
        "embedder": f"{index.manifest.embedder['backend']} {index.manifest.embedder['model']}",
        "index_build_seconds": index.manifest.build_seconds,
        "index_bytes": sum(p.stat().st_size for p in index.path.iterdir()),
        "peak_memory_mb": round(usage.ru_maxrss / 1024, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "settings": settings.model_dump(mode="json"),
    }


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    revision = out.stdout.strip() or "unknown"
    return f"{revision}+dirty" if dirty else revision
