"""Users' own documents: real PDF, DOCX and HTML files made here, and broken files skipped."""

from __future__ import annotations

from pathlib import Path

import docx
from fpdf import FPDF

from assistant.ingest.documents import load_documents


def make_pdf(path: Path, lines: list[str]) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Appel à projets Économie circulaire", level=1)
    document.add_paragraph("Le dispositif finance les recycleries du territoire.")
    document.add_heading("Critères", level=2)
    document.add_paragraph("être une association", style="List Bullet")
    document.add_paragraph("créer des emplois locaux", style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Plafond"
    table.rows[0].cells[1].text = "15 000 €"
    document.save(str(path))
    return path


def test_pdf_docx_html_and_text_are_read_as_markdown_like_text(tmp_path: Path) -> None:
    make_pdf(tmp_path / "guide.pdf", ["Guide du porteur de projet", "Les garages solidaires."])
    make_docx(tmp_path / "aap.docx")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Tiers-lieux</title><script>alert('x')</script></head><body>"
        "<h2>Les tiers-lieux</h2><p>Un tiers-lieu accueille des <b>associations</b>.</p>"
        "<ul><li>ateliers partagés</li><li>cafés associatifs</li></ul></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("Notes de réunion\r\nSecond ligne\r\n", encoding="utf-8")

    documents, skipped = load_documents([tmp_path])

    assert skipped == []
    by_name = {d.name: d for d in documents}
    assert set(by_name) == {"guide.pdf", "aap.docx", "page.html", "notes.txt"}
    assert "Les garages solidaires." in by_name["guide.pdf"].text
    assert by_name["guide.pdf"].format == "pdf"
    aap = by_name["aap.docx"].text
    assert "# Appel à projets Économie circulaire" in aap
    assert "## Critères" in aap
    assert "- être une association" in aap
    assert "Plafond | 15 000 €" in aap
    assert by_name["aap.docx"].title == "Appel à projets Économie circulaire"
    page = by_name["page.html"].text
    assert "## Les tiers-lieux" in page and "- ateliers partagés" in page
    assert "alert" not in page
    assert "Un tiers-lieu accueille des associations." in page
    assert by_name["page.html"].title == "Tiers-lieux"
    assert "\r" not in by_name["notes.txt"].text
    assert by_name["notes.txt"].title == "notes"


def test_broken_files_are_reported_by_name_with_a_reason_and_the_rest_is_loaded(
    tmp_path: Path,
) -> None:
    (tmp_path / "bon.md").write_text("# Bon\n\nUn texte lisible.\n", encoding="utf-8")
    (tmp_path / "vide.md").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "casse.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    (tmp_path / "casse.docx").write_bytes(b"PK\x03\x04 broken zip")
    (tmp_path / "latin1.txt").write_bytes("Économie".encode("latin-1"))
    (tmp_path / "tableur.xlsx").write_bytes(b"whatever")
    make_pdf(tmp_path / "sans-texte.pdf", [])

    documents, skipped = load_documents([tmp_path, tmp_path / "absent.md"])

    assert [d.name for d in documents] == ["bon.md"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["vide.md"] == "the file is empty"
    assert "not a readable PDF" in reasons["casse.pdf"]
    assert "not a readable DOCX" in reasons["casse.docx"]
    assert "not valid UTF-8" in reasons["latin1.txt"]
    assert "unsupported file type '.xlsx'" in reasons["tableur.xlsx"]
    assert "no text could be extracted" in reasons["sans-texte.pdf"]
    assert reasons["absent.md"] == "no such file or folder"


def test_a_sidecar_gives_title_and_territory(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text("# Plan\n\nTexte.\n", encoding="utf-8")
    (tmp_path / "plan.md.meta.yaml").write_text(
        "title: Plan ESS de Parthenay\nterritory: Parthenay\n", encoding="utf-8"
    )
    documents, skipped = load_documents([tmp_path])
    assert skipped == []
    assert [(d.title, d.territory) for d in documents] == [("Plan ESS de Parthenay", "Parthenay")]
