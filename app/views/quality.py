"""Qualité: the latest evaluation in words against its targets, the trend by revision, and the
questions that fail with what was expected and what the assistant answers."""

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.ui.client import ClientError
from assistant.ui.quality import (
    HEADLINES,
    QUESTION_KINDS,
    failing,
    headlines,
    load_gold_questions,
    load_yaml,
    median_length,
    percent,
    read_history,
    trend,
)
from assistant.ui.state import client
from assistant.ui.text import escape_markdown

EVALS = Path(__file__).resolve().parents[2] / "evals"
REPORTS = EVALS / "reports"

st.title("Qualité des réponses")
report_path = REPORTS / "latest.json"
if not report_path.exists():
    st.info("Aucun rapport d'évaluation : lancez « make eval ».")
    st.stop()
report = json.loads(report_path.read_text(encoding="utf-8"))
meta = report["meta"]
answers: dict[str, Any] = report.get("answers") or {}
st.caption(
    f"Dernière évaluation : révision {meta['revision']}, {meta['created_at'][:10]}, "
    f"{meta['questions']} questions de test ({meta['answerable']} ont une réponse dans le "
    "corpus)."
)
if not answers:
    st.info("Ce rapport ne mesure pas les réponses : lancez « make eval ».")
    st.stop()

thresholds = load_yaml(EVALS / "thresholds.yaml") or {}
figures = headlines(answers, thresholds)
st.subheader("En bref")
columns = st.columns(min(len(figures), 3) or 1)
for number, figure in enumerate(figures):
    met = figure.met
    delta = None if met is None else ("objectif atteint" if met else "objectif non atteint")
    target = (
        ""
        if figure.target is None
        else f"objectif {'≥' if figure.higher_is_better else '≤'} {percent(figure.target)}"
    )
    columns[number % len(columns)].metric(
        figure.label,
        percent(figure.value),
        delta=delta,
        delta_color="normal" if met else "inverse",
        help=f"{figure.explanation.capitalize()}. {target}".strip(),
    )
length = median_length(answers)
if length is not None:
    st.metric(
        "Longueur médiane des réponses",
        f"{length:g} caractères".replace(".", ","),
        help="La moitié des réponses est plus courte, l'autre plus longue.",
    )
else:
    st.caption(
        "Longueur médiane et citations pertinentes : pas encore dans ce rapport ; "
        "la prochaine évaluation (make eval) les ajoute."
    )
for figure in figures:
    st.markdown(f"- {figure.sentence()}")

with st.expander("Que veulent dire ces mesures ?"):
    for _key, label, explanation, _higher in HEADLINES:
        st.markdown(f"- **{label}** : {explanation}.")
    st.markdown(
        "- **Faits attendus** : les mots ou chiffres qu'une bonne réponse doit contenir, "
        "écrits avec chaque question de test (evals/gold.yaml).\n"
        "- **Révision** : la version du code évaluée (identifiant git)."
    )

st.subheader("Évolution")
INK = "#1f2330"  # Vega's default grey axis text is about 3.5:1 on white, under WCAG AA's 4.5:1
rows = trend(read_history(REPORTS / "history.json"), report)
if len(rows) >= 2:
    labels = {key: label for key, label, _e, _h in HEADLINES}
    frame = pd.DataFrame(rows)
    long = frame.melt(id_vars=["revision", "created_at"], var_name="mesure", value_name="valeur")
    long = long.dropna().assign(mesure=lambda f: f["mesure"].map(labels))
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "revision:N",
                title="Révision (de la plus ancienne à la plus récente)",
                sort=list(frame["revision"]),
                axis=alt.Axis(labelColor=INK, titleColor=INK, labelAngle=-60),
            ),
            y=alt.Y(
                "valeur:Q",
                title="Part des questions",
                axis=alt.Axis(format="%", labelColor=INK, titleColor=INK),
            ),
            color=alt.Color(
                "mesure:N",
                title="Mesure",
                # one entry a line: on a phone a row of three is cut at the right edge
                legend=alt.Legend(
                    orient="bottom", direction="vertical", labelColor=INK, titleColor=INK
                ),
            ),
            tooltip=["revision", "mesure", alt.Tooltip("valeur:Q", format=".1%")],
        )
        # The height holds the plot *and* its axes and legend (the chart is fitted to its
        # container): at 240 px the revision labels and the legend left the plot no height.
        .properties(height=460)
    )
    # the title as page text: Vega's canvas title lost its accents in Chromium
    st.markdown("**Mesures par révision évaluée**")
    st.altair_chart(chart, width="stretch")
    with st.expander("Tableau de l'évolution"):
        st.table(
            frame.rename(
                columns={"revision": "Révision", "created_at": "Date", **labels}
            ).set_index("Révision")
        )
else:
    st.caption("Un seul rapport : l'évolution apparaîtra après la prochaine évaluation.")

st.subheader("Questions en échec")
failures = failing(answers, load_gold_questions(EVALS))
kinds = sorted({row["kind"] for row in failures})
chosen = st.multiselect(
    "Type de question",
    kinds,
    default=kinds,
    format_func=lambda kind: QUESTION_KINDS.get(kind, kind),
)
shown = [row for row in failures if row["kind"] in chosen]
st.caption(f"{len(shown)} question(s) sur {len(failures)} en échec.")
for row in shown:
    kind = QUESTION_KINDS.get(row["kind"], row["kind"])
    with st.expander(f"{row['id']} · {kind} · {row['problem']} — {row['question']}"):
        facts = [
            f"✗ {escape_markdown(f)} (manquant)"
            if f in row["missing"]
            else f"✓ {escape_markdown(f)}"
            for f in row["expected"]
        ]
        st.markdown("**Faits attendus** :  \n" + ("  \n".join(facts) or "aucun"))
        if row["answer"]:
            st.markdown("**Réponse donnée lors de l'évaluation** :")
            st.text(str(row["answer"]))
        elif st.button("Voir la réponse de l'assistant", key=f"ask-{row['id']}"):
            try:
                final = next(
                    (
                        data
                        for kind, data in client().ask_stream(row["question"], [], {})
                        if kind == "answer"
                    ),
                    {},
                )
            except ClientError as error:
                st.error(str(error))
            else:
                st.markdown("**Réponse de l'assistant aujourd'hui** :")
                st.text(str(final.get("answer", "")))
