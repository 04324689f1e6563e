"""The package's layout shows the pipeline: no module imports from a later stage than its own,
and only the wiring, the build, the facade and the entry points read ``Settings``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"

# The stages in pipeline order; a module may import from its own stage or an earlier one.
STAGES = {
    "shared": 0,  # errors, types, text, config, datafile, profile, vocabulary
    "ingest": 1,  # documents, records, sections, chunking, units
    "index": 2,  # embedders, vectors, sentence vectors, store
    "retrieval": 3,  # lexical, glossary, query, filters, hybrid, rerank, territories
    "pgstore": 4,  # the PostgreSQL store: index and retrieval in a database
    "answering": 5,  # the question analysed, routed, answered; schemes, cards, generation
    "wiring": 6,  # Settings → objects; the build; the facade
    "entry": 7,  # service, ui, evaluation, cli
}
TOP_LEVEL = {"wiring": "wiring", "build": "wiring", "assistant": "wiring", "cli": "entry"}
ENTRY_FOLDERS = {"service", "ui", "evaluation"}
# Who may read Settings: the wiring stage and the entry points.
READS_SETTINGS = {"wiring", "entry"}


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "shared"
    name = parts[1]
    if name in ENTRY_FOLDERS:
        return "entry"
    if name in STAGES:
        return name
    return TOP_LEVEL.get(name, "shared")


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            if node.module == "assistant":
                found += [f"assistant.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("assistant")]
    return found


def _modules() -> list[tuple[str, Path]]:
    root = PACKAGE.parent
    return [(".".join(p.relative_to(root).with_suffix("").parts), p) for p in PACKAGE.rglob("*.py")]


def test_the_stage_folders_exist() -> None:
    for folder in ("ingest", "index", "retrieval", "answering", "service", "ui", "evaluation"):
        assert (PACKAGE / folder / "__init__.py").is_file(), folder


def test_no_module_imports_from_a_later_stage() -> None:
    upward = [
        f"{module} ({_stage(module)}) imports {target} ({_stage(target)})"
        for module, path in _modules()
        for target in _imports(path)
        if STAGES[_stage(target)] > STAGES[_stage(module)]
    ]
    assert not upward, "\n".join(upward)


def test_only_the_wiring_and_the_entry_points_read_settings() -> None:
    readers = [
        module
        for module, path in _modules()
        if "assistant.config" in _imports(path)
        and _stage(module) not in READS_SETTINGS
        and module != "assistant.config"
    ]
    assert not readers, readers
