"""Command line: ``assistant build | search | stats | ask | serve | mcp | ui | eval | shell``.

User errors print one line and a hint on stderr and exit with status 1 (2 for bad settings or
usage), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant import __version__
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.retrieval.filters import FILTER_KEYS, parse_filter_pairs
from assistant.types import Hit

if TYPE_CHECKING:
    from assistant.retrieval.hybrid import Retriever

EXIT_USER_ERROR = 1
EXIT_BAD_SETTINGS = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # A broken PDF is reported once, as a skipped file; pypdf's own warnings are noise here.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        settings = Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = "ASSISTANT_" + str(err["loc"][0]).upper() if err["loc"] else "a setting"
        _fail(f"invalid setting {field}: {err['msg']}", "fix it in the environment or in .env")
        return EXIT_BAD_SETTINGS
    try:
        result: int = args.run(settings, args)
        return result
    except AssistantError as exc:
        _fail(exc.message, exc.hint)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        _fail("interrupted", "the index on disk was left as it was")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Search the ESS roadmap and the benchmark of support schemes.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the index from corpus/ (and extra files)")
    build.add_argument("paths", nargs="*", type=Path, help="extra documents or folders to index")
    build.add_argument(
        "--if-needed",
        action="store_true",
        help="build only when the index is missing, stale or built with other settings",
    )
    build.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    build.add_argument(
        "--save-embeddings",
        action="store_true",
        help="also save the vectors to corpus/embeddings/ (a fresh clone's build reuses them)",
    )
    build.set_defaults(run=_cmd_build)

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query", help="the question or keywords, in French or English")
    search.add_argument("-k", "--top-k", type=int, default=None, help="number of results")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keep units matching it; repeatable. Keys: " + ", ".join(FILTER_KEYS),
    )
    search.set_defaults(run=_cmd_search)

    stats = commands.add_parser("stats", help="describe the built index")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(run=_cmd_stats)

    ask = commands.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question", help="the question, in French or English")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument(
        "-f", "--filter", action="append", default=[], metavar="KEY=VALUE", help="as for search"
    )
    ask.set_defaults(run=_cmd_ask)

    serve = commands.add_parser("serve", help="start the HTTP API (FastAPI + uvicorn)")
    serve.add_argument("--host", default=None, help="address (default: ASSISTANT_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default: ASSISTANT_PORT)")
    serve.set_defaults(run=_cmd_serve)

    ui = commands.add_parser("ui", help="start the Streamlit front end")
    ui.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    ui.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    ui.set_defaults(run=_cmd_ui)

    evaluate = commands.add_parser(
        "eval", help="score retrieval configurations on the gold set and write a report"
    )
    evaluate.add_argument("--gold", type=Path, default=Path("evals/gold.yaml"), help="gold set")
    evaluate.add_argument(
        "--out", type=Path, default=Path("evals/reports"), help="folder of the report"
    )
    evaluate.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when the default configuration is below the thresholds",
    )
    evaluate.add_argument(
        "--thresholds", type=Path, default=Path("evals/thresholds.yaml"), help="gate minima"
    )
    evaluate.add_argument("--no-baseline", action="store_true", help="skip the tutorial baseline")
    evaluate.add_argument("--no-answers", action="store_true", help="skip the answer evaluation")
    evaluate.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    evaluate.add_argument(
        "--store",
        choices=["embedded", "postgres"],
        default=None,
        help="postgres: compare the PostgreSQL store with the embedded one "
        "(default: ASSISTANT_STORE)",
    )
    evaluate.add_argument(
        "--batches",
        type=Path,
        default=Path("evals/batches"),
        help="folder of further gold files, each loaded with the gold set",
    )
    evaluate.add_argument(
        "--validate",
        type=Path,
        metavar="FILE",
        default=None,
        help="only check a gold file (schema, verbatim quotes, ids); runs no retrieval or answer",
    )
    evaluate.set_defaults(run=_cmd_eval)

    records = commands.add_parser("records", help="work on the structured records")
    records_commands = records.add_subparsers(dest="records_command", required=True)
    draft = records_commands.add_parser(
        "draft",
        help="propose axis and action records from a document's plan, for review",
        description="Reads the plan of DOCUMENT with the patterns of the corpus' profile.yaml "
        "and writes axes.yaml and actions.yaml to review before moving them to records/.",
    )
    draft.add_argument("document", type=Path, help="a roadmap (Markdown, text, PDF, DOCX, HTML)")
    draft.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="folder to write to (default: corpus/drafts)",
    )
    draft.add_argument("--force", action="store_true", help="overwrite existing draft files")
    draft.set_defaults(run=_cmd_records_draft)
    mcp = commands.add_parser(
        "mcp", help="serve the tools over the Model Context Protocol (stdio, or HTTP with --http)"
    )
    mcp.add_argument(
        "--http", action="store_true", help="streamable HTTP at http://HOST:PORT/mcp, not stdio"
    )
    mcp.add_argument("--host", default="127.0.0.1", help="address with --http (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8001, help="port with --http (default 8001)")
    mcp.set_defaults(run=_cmd_mcp)

    shell = commands.add_parser("shell", help="interactive search in the terminal")
    shell.add_argument("-k", "--top-k", type=int, default=None, help="number of results")
    shell.set_defaults(run=_cmd_shell)
    return parser


def _fail(message: str, hint: str | None) -> None:
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def _cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.build import build_index, index_status

    if args.if_needed:
        reason = index_status(settings, args.paths)
        if reason is None:
            print(f"The index in {settings.index_dir} is up to date.")
            return 0
        print(f"Building the index: {reason}.")
    report = build_index(
        settings,
        extra_paths=args.paths,
        progress=not args.quiet,
        save_embeddings=args.save_embeddings,
    )
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    print(
        f"Indexed {report.documents} documents ({report.passages} passages) and "
        f"{report.records} records: {report.units} units and {report.segments} sentences; "
        f"{report.embedded} texts embedded, {report.reused} reused; "
        f"{len(report.skipped)} files skipped; "
        f"{report.size_bytes / 1024:.0f} KiB in {report.path}; {report.seconds:.1f} s."
    )
    if report.database_build:
        print(f"PostgreSQL: build {report.database_build} is current.")
    return 0


def _cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    filters = parse_filter_pairs(args.filter)
    retriever = _open_retriever(settings)
    hits = retriever.retrieve(args.query, top_k=_top_k(args, settings), filters=filters)
    if args.json:
        print(
            json.dumps(
                {"query": args.query, "results": [_hit_json(h) for h in hits]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_hits(hits)
    return 0


def _cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.build import index_status
    from assistant.index.store import read_manifest, require_build

    manifest = read_manifest(settings.index_dir)
    path = require_build(settings.index_dir)
    size = sum(p.stat().st_size for p in path.iterdir())
    status = index_status(settings)
    if args.json:
        payload = manifest.model_dump() | {"path": str(path), "size_bytes": size, "stale": status}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    counts = manifest.counts
    print(
        f"Index: {path} ({size / 1024:.0f} KiB), built {manifest.built_at} "
        f"in {manifest.build_seconds:.1f} s"
    )
    print(
        f"Embedder: {manifest.embedder['backend']} {manifest.embedder['model']} "
        f"({manifest.embedder['dim']} dimensions); FAISS {manifest.faiss_factory}"
    )
    print(f"Chunking: {manifest.chunking}")
    print(
        f"Documents: {counts['documents']}, passages: {counts['passages']}, "
        f"records: {counts['records']} (axes {counts.get('records_axes', 0)}, actions "
        f"{counts.get('records_actions', 0)}, dispositifs {counts.get('records_dispositifs', 0)}, "
        f"acteurs {counts.get('records_acteurs', 0)}), units: {counts['units']}, "
        f"skipped files: {counts['skipped']}"
    )
    for document in manifest.documents:
        print(f"  - {document['name']} ({document['format']}, {document['chars']} characters)")
    print(f"Status: {'up to date' if status is None else 'rebuild needed: ' + status}")
    return 0


def _cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.assistant import Assistant

    answer = Assistant.load(settings).ask(args.question, filters=parse_filter_pairs(args.filter))
    if args.json:
        from assistant.service.schemas import AskResponse

        print(AskResponse.of(answer).model_dump_json(indent=2))
        return 0
    print(answer.text)
    if answer.notice:
        print(f"\nNote : {answer.notice}")
    if answer.citations:
        print("\nSources :")
    for citation in answer.citations:
        excerpt = textwrap.shorten(" ".join(citation.text.split()), 300)
        print(f"[{citation.number}] {citation.source.document} § {citation.source.section}")
        print(textwrap.indent(textwrap.fill(f"« {excerpt} »", 96), "    "))
    if answer.related:
        print("\nPour aller plus loin (passages proches, qui ne répondent pas) :")
    for passage in answer.related:
        excerpt = textwrap.shorten(" ".join(passage.text.split()), 200)
        print(
            textwrap.indent(textwrap.fill(f"« {excerpt} » ({passage.source.section})", 96), "  - ")
        )
    return 0


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.build import index_status
    from assistant.service import create_app
    from assistant.service.limits import uvicorn_limits
    from assistant.wiring import check_service_ready

    if settings.store == "postgres":
        from assistant.pgstore.status import require_database_build

        require_database_build(settings.database_url)  # a clear error before the server starts
        stale = None  # serve instances read the database; builds run elsewhere
    else:
        check_service_ready(settings)  # a clear error before the server starts, not half a service
        stale = index_status(settings)
    if stale is not None:
        print(f'warning: {stale}; run "assistant build" to update the index', file=sys.stderr)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="warning",
        **uvicorn_limits(settings),
    )
    return 0


def _cmd_mcp(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.assistant import Assistant
    from assistant.service.mcp import serve

    # Loaded before the server starts: a missing index is one line on stderr, not a dead tool.
    # Over stdio nothing but the protocol may go to stdout.
    assistant = Assistant.load(settings)
    if args.http:
        print(f"MCP: http://{args.host}:{args.port}/mcp", file=sys.stderr)
    serve(
        assistant,
        transport="streamable-http" if args.http else "stdio",
        host=args.host,
        port=args.port,
    )
    return 0


def _cmd_ui(settings: Settings, args: argparse.Namespace) -> int:

    from assistant.errors import ConfigurationError
    from assistant.index.store import require_build

    app = Path(__file__).resolve().parent.parent / "app" / "server.py"
    if not app.exists():
        raise ConfigurationError(
            f"the Streamlit app is not at {app}", hint="run the assistant from its repository"
        )
    if not settings.service_url:
        require_build(settings.index_dir)  # a clear error before the server starts
    # The upload box announces the service's own limit, not Streamlit's 200 MB (in MiB).
    upload_mib = str(max(1, -(-settings.max_upload_bytes // 1_048_576)))
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port",
               str(args.port), "--server.address", args.host,
               "--browser.gatherUsageStats", "false",
               "--server.maxUploadSize", upload_mib]  # fmt: skip
    print(f"Assistant ESS: http://{args.host}:{args.port}")
    return _run_forwarding_signals(command)


def _run_forwarding_signals(command: list[str]) -> int:
    """Run a child and pass it the signals this process gets, so that stopping ``assistant ui``
    stops Streamlit too instead of leaving it serving the port."""
    import signal
    import subprocess

    child = subprocess.Popen(command)

    def forward(signum: int, _: object) -> None:
        child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    return child.wait()


def _cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    if args.validate is not None:
        return _validate_gold(settings, args)
    if (args.store or settings.store) == "postgres":
        from assistant.evaluation.stores import run_store_comparison

        return run_store_comparison(settings, args.gold, args.out, progress=not args.quiet)
    from assistant.evaluation.answers import check_answer_thresholds
    from assistant.evaluation.report import answers_markdown, markdown, write_report
    from assistant.evaluation.suite import (
        DEFAULT_NAME,
        check_thresholds,
        load_answer_thresholds,
        load_thresholds,
        run_evaluation,
    )

    run = run_evaluation(
        settings,
        args.gold,
        batches=args.batches,
        baseline=not args.no_baseline,
        answers=not args.no_answers,
        progress=not args.quiet,
    )
    paths = write_report(run.results, run.meta, args.out, default=DEFAULT_NAME, answers=run.answers)
    print(markdown(run.results, run.meta, default=DEFAULT_NAME).split("## Questions")[0].strip())
    if run.answers is not None:
        print(answers_markdown(run.answers))
    print(f"\nReport: {paths['markdown']} (JSON {paths['json']}, plot {paths['plot']})")
    if args.check:
        gated, minima = load_thresholds(args.thresholds)
        failures = check_thresholds(run.result(gated), minima)
        if run.answers is not None:
            limits = load_answer_thresholds(args.thresholds)
            failures += check_answer_thresholds(run.answers, limits)
        for failure in failures:
            print(f"below threshold: {failure}", file=sys.stderr)
        if failures:
            return EXIT_USER_ERROR
        print(f"Quality gate passed ({args.thresholds}).")
    return 0


def _validate_gold(settings: Settings, args: argparse.Namespace) -> int:
    """Check a gold file without building an index, retrieving or answering."""
    from assistant.evaluation.gold import check_quotes, load_gold, load_gold_set
    from assistant.ingest.documents import load_documents

    questions = load_gold(args.validate)
    documents, _ = load_documents([settings.documents_dir])
    problems = check_quotes(questions, {d.name: d.text for d in documents})
    known = {q.id for q in load_gold_set(args.gold, args.batches)}
    if args.validate.resolve().parent != args.batches.resolve():
        problems += [f"{q.id}: id already used in the gold set" for q in questions if q.id in known]
    for problem in problems:
        print(f"{args.validate}: {problem}", file=sys.stderr)
    if problems:
        print(f"hint: copy each quote from {settings.documents_dir} exactly", file=sys.stderr)
        return EXIT_USER_ERROR
    parts = sum(len(q.parts) > 0 for q in questions)
    unanswerable = sum(not q.answerable for q in questions)
    english = sum(q.lang == "en" for q in questions)
    print(
        f"{args.validate}: {len(questions)} questions valid ({unanswerable} unanswerable, "
        f"{parts} with parts, {english} in English); every quote is verbatim in the corpus."
    )
    return 0


def _cmd_records_draft(settings: Settings, args: argparse.Namespace) -> int:
    import yaml

    from assistant import wiring
    from assistant.errors import CorpusError
    from assistant.ingest.catalog import load_catalog
    from assistant.ingest.documents import UnreadableDocument, load_document
    from assistant.ingest.drafting import draft_records

    try:
        document = load_document(args.document)
    except (UnreadableDocument, OSError) as exc:
        raise CorpusError(
            f"{args.document}: cannot be read: {exc}", hint="give a Markdown, PDF or DOCX file"
        ) from exc
    plan = wiring.profile(settings).plan
    draft = draft_records(document, plan, wiring.vocabulary(settings))
    if not draft.axes:
        raise CorpusError(
            f"{args.document}: no axis heading matches the profile's plan patterns",
            hint=f"set plan.strategic_axis and plan.operational_axis in {settings.profile_path}",
        )
    output: Path = args.output or settings.corpus_dir / "drafts"
    files = {"axes.yaml": draft.axes, "actions.yaml": draft.actions}
    existing = [output / name for name in files if (output / name).exists()]
    if existing and not args.force:
        raise CorpusError(
            f"{existing[0]} exists already", hint="pass --force to overwrite, or -o another folder"
        )
    output.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        text = yaml.safe_dump(rows, allow_unicode=True, sort_keys=False, width=100)
        (output / name).write_text(text, encoding="utf-8")
    # The build must accept what was drafted: check it as it will be checked there.
    load_catalog(
        output, {document.name: document}, vocabulary=wiring.vocabulary(settings), plan=plan
    )
    themed = sum(1 for action in draft.actions if action["themes"])
    print(
        f"Proposed {len(draft.axes)} axes and {len(draft.actions)} actions "
        f"({themed} with suggested themes) from {document.name} in {output}/."
    )
    print(
        f"Review them (themes above all), then move the files into {settings.records_dir}/ "
        "and run 'assistant build'."
    )
    return 0


def _cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    retriever = _open_retriever(settings)
    print(
        "Recherche dans la feuille de route ESS. Posez une question (ligne vide ou Ctrl-D pour "
        "quitter)."
    )
    while True:
        try:
            query = input("\n? ").strip()
        except EOFError:
            print()
            return 0
        if not query:
            return 0
        try:
            _print_hits(retriever.retrieve(query, top_k=_top_k(args, settings)))
        except AssistantError as exc:
            _fail(exc.message, exc.hint)


def _open_retriever(settings: Settings) -> Retriever:
    if settings.store == "postgres":
        from assistant.wiring import open_postgres

        return open_postgres(settings)[1]
    from assistant.wiring import open_retriever

    return open_retriever(settings)


def _top_k(args: argparse.Namespace, settings: Settings) -> int:
    return int(args.top_k) if args.top_k is not None else settings.top_k


def _label(hit: Hit) -> str:
    record_id = hit.chunk.metadata.get("record_id")
    return f"{hit.chunk.kind} {record_id}" if record_id else hit.chunk.kind


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        print("No result.")
    for rank, hit in enumerate(hits, 1):
        source = hit.chunk.source
        print(f"{rank}. [{_label(hit)}] score {hit.score:.3f}  {source.document}")
        if source.section:
            print(f"   § {source.section}")
        snippet = " ".join(hit.chunk.text.split())
        print(textwrap.indent(textwrap.fill(textwrap.shorten(snippet, 420), 96), "   "))


def _hit_json(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "id": chunk.id,
        "kind": chunk.kind,
        "score": round(hit.score, 6),
        "text": chunk.text,
        "source": {
            "document": chunk.source.document,
            "section": chunk.source.section,
            "start": chunk.source.start,
            "end": chunk.source.end,
        },
        "metadata": chunk.metadata,
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
