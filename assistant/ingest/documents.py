"""Load the corpus documents: Markdown, plain text, PDF, DOCX and HTML, all turned into text.

Every format becomes Markdown-like text (``#`` headings, ``-`` bullets) so that one chunker
serves all. A file that cannot be read is returned as a ``SkippedFile`` with the reason, never
raised, so one bad file does not stop a build.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.datafile import load_yaml
from assistant.types import Document, SkippedFile

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".html", ".htm"}
SIDECAR_SUFFIX = ".meta.yaml"
DEFAULT_MAX_UNPACKED = 200_000_000

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class UnreadableDocument(Exception):
    """Raised by a format reader; the message is shown to the user as the reason."""


def load_documents(
    paths: Iterable[Path], *, max_pages: int | None = None, max_bytes: int | None = None
) -> tuple[list[Document], list[SkippedFile]]:
    """Load files and folders (searched recursively). Returns documents and skipped files."""
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    seen: set[str] = set()
    for path in _expand(paths, skipped):
        try:
            document = load_document(path, max_pages=max_pages, max_bytes=max_bytes)
        except UnreadableDocument as exc:
            logger.info("skipped %s: %s", path, exc)
            skipped.append(SkippedFile(str(path), str(exc)))
            continue
        if document.name in seen:
            reason = f"another document is already named {document.name}"
            logger.info("skipped %s: %s", path, reason)
            skipped.append(SkippedFile(str(path), reason))
            continue
        seen.add(document.name)
        documents.append(document)
    return documents, skipped


def load_document(
    path: Path, *, max_pages: int | None = None, max_bytes: int | None = None
) -> Document:
    """Read one file into a ``Document``; raise ``UnreadableDocument`` with a plain reason
    (also when it has more than ``max_pages`` pages or ``max_bytes`` bytes, unpacked)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnreadableDocument(f"unsupported file type '{suffix}' (supported: {supported})")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise UnreadableDocument(
                f"the file is {size} bytes; the limit is {max_bytes} (ASSISTANT_MAX_DOCUMENT_BYTES)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read the file ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise UnreadableDocument("the file is empty")
    # Text files are kept as they are, so offsets point into the file itself; converted formats
    # are tidied (their text is ours anyway).
    reader = _READERS.get(suffix)
    if reader is None:
        text = _read_text(raw).replace("\r\n", "\n")
    else:
        limits = _Limits(max_pages=max_pages, max_bytes=max_bytes)
        try:
            text = _tidy(reader(raw, limits))
        except UnreadableDocument:
            raise
        except Exception as exc:  # a parser's own error (broken XML, odd encoding…) skips the file
            detail = (str(exc).splitlines() or [""])[0][:200]
            raise UnreadableDocument(
                f"not a readable {suffix.lstrip('.').upper()} file ({type(exc).__name__}: {detail})"
            ) from exc
    if not text.strip():
        raise UnreadableDocument("no text could be extracted (a scanned PDF or an empty document?)")
    meta = _read_sidecar(path)
    title = str(meta.get("title") or _first_heading(text) or path.stem)
    territory = meta.get("territory")
    return Document(
        name=path.name,
        title=title,
        text=text,
        format=suffix.lstrip("."),
        path=path,
        territory=str(territory) if territory else None,
    )


def _expand(paths: Iterable[Path], skipped: list[SkippedFile]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not p.name.startswith(".")
                and not p.name.endswith(SIDECAR_SUFFIX)
            )
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(SkippedFile(str(path), "no such file or folder"))
    return files


def _read_sidecar(path: Path) -> dict[str, object]:
    """Optional ``<file>.meta.yaml`` beside a document: ``title``, ``territory``."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        data = load_yaml(sidecar.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(f"its metadata file {sidecar.name} is invalid: {exc}") from exc
    if not isinstance(data, dict):
        raise UnreadableDocument(f"its metadata file {sidecar.name} must be a mapping")
    return data


def _first_heading(text: str) -> str | None:
    match = _HEADING.search(text)
    return match.group(1) if match else None


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n") + "\n"


def _read_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"not valid UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from exc


@dataclass(frozen=True)
class _Limits:
    max_pages: int | None
    max_bytes: int | None


def _read_pdf(raw: bytes, limits: _Limits) -> str:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is encrypted")
        if limits.max_pages is not None and len(reader.pages) > limits.max_pages:
            raise UnreadableDocument(
                f"the PDF has {len(reader.pages)} pages; the limit is {limits.max_pages} "
                "(ASSISTANT_MAX_DOCUMENT_PAGES)"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"not a readable PDF ({exc})") from exc
    return "\n\n".join(page.strip() for page in pages)


def _read_docx(raw: bytes, limits: _Limits) -> str:
    from io import BytesIO
    from zipfile import BadZipFile, ZipFile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with ZipFile(BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except BadZipFile as exc:
        raise UnreadableDocument(f"not a readable DOCX file ({exc})") from exc
    # A small archive that unpacks to gigabytes (a zip bomb) is refused before it is opened.
    ceiling = limits.max_bytes if limits.max_bytes is not None else DEFAULT_MAX_UNPACKED
    if unpacked > ceiling:
        raise UnreadableDocument(
            f"the DOCX unpacks to {unpacked} bytes; the limit is {ceiling} "
            "(ASSISTANT_MAX_DOCUMENT_BYTES)"
        )
    try:
        document = docx.Document(BytesIO(raw))
    except (BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableDocument(f"not a readable DOCX file ({exc})") from exc
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = _heading_level(style)
        if level:
            lines += ["", "#" * level + " " + text, ""]
        elif "List" in style:
            lines.append("- " + text)
        else:
            lines += [text, ""]
    for table in document.tables:
        lines.append("")
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return min(int(match.group(1)), 6) if match else 0


def _read_html(raw: bytes, limits: _Limits) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines: list[str] = []
    title = soup.title.get_text(strip=True) if soup.title else ""
    body = soup.body or soup
    for element in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "pre"]):
        if element.find_parent(["li", "td"]) is not None and element.name not in ("li", "td"):
            continue
        text = " ".join(element.get_text().split())
        if not text:
            continue
        if element.name.startswith("h"):
            lines += ["", "#" * int(element.name[1]) + " " + text, ""]
        elif element.name == "li":
            lines.append("- " + text)
        else:
            lines += [text, ""]
    if title and not any(line.startswith("# ") for line in lines):
        lines = [f"# {title}", "", *lines]
    return "\n".join(lines)


_READERS = {".pdf": _read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html}
