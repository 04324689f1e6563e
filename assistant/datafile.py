"""Reading a corpus' YAML data files (profile, vocabulary) with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.errors import CorpusError


def read_mapping(path: Path, what: str) -> dict[str, Any] | None:
    """The mapping in ``path`` (``None`` when the file does not exist); ``what`` says what its
    top level must hold, for the message when it holds something else."""
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: must be {what}, got {type(data).__name__}")
    return data
