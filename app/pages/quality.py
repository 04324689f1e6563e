"""Qualité: the latest evaluation report (evals/reports/)."""

import json
from pathlib import Path

import pandas as pd
import streamlit as st

REPORTS = Path(__file__).resolve().parents[2] / "evals" / "reports"

st.title("Qualité")
report_path = REPORTS / "latest.json"
if not report_path.exists():
    st.info("Aucun rapport d'évaluation : lancez « make eval ».")
    st.stop()
report = json.loads(report_path.read_text(encoding="utf-8"))
meta = report["meta"]
st.caption(f"Révision {meta['revision']}, {meta['created_at']} — {meta['questions']} questions "
           f"({meta['answerable']} avec réponse).")  # fmt: skip
rows = [{"configuration": r["name"], **r["overall"], **{f"{k} ms": v
         for k, v in r["latency_ms"].items()}} for r in report["results"]]  # fmt: skip
st.subheader("Recherche : toutes les questions")
st.dataframe(pd.DataFrame(rows).set_index("configuration"))
default = next(r for r in report["results"] if r["name"] == report["default"])
st.subheader(f"Configuration par défaut ({report['default']}) par type de question")
st.dataframe(pd.DataFrame(default["by_group"]).T)
if (REPORTS / "latest.png").exists():
    st.image(str(REPORTS / "latest.png"))
if report.get("answers"):
    answers = report["answers"]
    st.subheader("Réponses")
    st.dataframe(pd.DataFrame({"valeur": {
        "réponses avec tous les faits clés": answers["answered_with_key_facts"],
        "faits clés trouvés (moyenne)": answers["key_fact_recall"],
        "questions sans réponse déclinées": answers["abstained_on_unanswerable"],
        "questions avec réponse déclinées à tort": answers["wrongly_abstained"],
        "citations exactes": answers["exact_citations"],
    }}))  # fmt: skip
