"""A broken, hostile or oversized document is skipped with its reason; the rest is loaded."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from fpdf import FPDF

from assistant.build import build_index
from assistant.ingest.documents import load_documents
from tests.conftest import FakeEmbedder, small_settings, write_small_corpus

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def _docx_with(document_xml: str) -> bytes:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, document_xml if item.filename == "word/document.xml" else data)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("word/document.xml", b"<" + b"a" * 3_000_000 + b">")
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for i in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Page {i} du guide")
    return bytes(pdf.output())


def test_hostile_and_oversized_documents_are_skipped_with_their_reason(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("# Bon\n\nUn document lisible.\n", encoding="utf-8")
    (tmp_path / "xml-casse.docx").write_bytes(_docx_with("<w:document><pas fermé"))
    (tmp_path / "rires.docx").write_bytes(_docx_with(LAUGHS))
    (tmp_path / "bombe.docx").write_bytes(_bomb())
    (tmp_path / "long.pdf").write_bytes(_pdf(12))
    (tmp_path / "gros.txt").write_text("mot " * 600_000, encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("économie".encode("latin-1"))
    documents, skipped = load_documents([tmp_path], max_pages=10, max_bytes=1_000_000)
    assert [d.name for d in documents] == ["ok.md"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"xml-casse.docx", "rires.docx", "bombe.docx", "long.pdf", "gros.txt",
                            "latin.txt"}  # fmt: skip
    assert "not a readable DOCX" in reasons["xml-casse.docx"]
    assert (
        "unpacks to" in reasons["bombe.docx"]
        and "ASSISTANT_MAX_DOCUMENT_BYTES" in reasons["bombe.docx"]
    )
    assert (
        "12 pages" in reasons["long.pdf"] and "ASSISTANT_MAX_DOCUMENT_PAGES" in reasons["long.pdf"]
    )
    assert "2400000 bytes" in reasons["gros.txt"]
    assert "UTF-8" in reasons["latin.txt"]


def test_a_pdf_within_the_page_limit_is_read(tmp_path: Path) -> None:
    (tmp_path / "court.pdf").write_bytes(_pdf(3))
    documents, skipped = load_documents([tmp_path], max_pages=10)
    assert not skipped and "Page 2 du guide" in documents[0].text


def test_identical_texts_are_embedded_once(tmp_path: Path) -> None:
    corpus = write_small_corpus(tmp_path)
    page = "Le même paragraphe répété sur chaque page du rapport annuel de l'association."
    (corpus / "documents" / "repete.md").write_text(
        "\n\n".join(f"## Page {i}\n\n{page}" for i in range(40)), encoding="utf-8"
    )
    embedder = FakeEmbedder()
    build_index(small_settings(tmp_path), embedder=embedder, progress=False)
    assert len(embedder.embedded) == len(set(embedder.embedded))
    assert embedder.embedded.count(page) <= 1


def _pdf_of_identical_pages(pages: int) -> bytes:
    """The issue's file: one page of text repeated (about 3 MB for 20,000 pages)."""
    from pypdf import PdfReader, PdfWriter

    page = PdfReader(io.BytesIO(_pdf(1))).pages[0]
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_of_20000_pages_is_skipped_by_a_build_with_the_default_limit(tmp_path: Path) -> None:
    corpus = write_small_corpus(tmp_path)
    (corpus / "documents" / "rapport.pdf").write_bytes(_pdf_of_identical_pages(20_000))
    settings = small_settings(tmp_path)
    assert settings.max_document_pages < 20_000  # the default, not a limit set for the test
    embedder = FakeEmbedder()
    report = build_index(settings, embedder=embedder, progress=False)
    assert report.documents == 2 and report.units > 0  # the rest is indexed
    [skipped] = report.skipped
    assert Path(skipped.path).name == "rapport.pdf"
    assert "20000 pages" in skipped.reason and "ASSISTANT_MAX_DOCUMENT_PAGES" in skipped.reason
    assert not any("Page 0 du guide" in text for text in embedder.embedded)
