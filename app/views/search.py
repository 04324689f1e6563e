"""Recherche: ranked passages and records as readable cards, with filters applied in retrieval."""

from typing import Any

import streamlit as st

from assistant.ui.cards import KIND_LABELS, result_card, unknown_filter_values
from assistant.ui.client import ClientError
from assistant.ui.state import client, records_by_kind, vocabulary
from assistant.ui.text import escape_markdown, highlight

params = st.query_params
st.title("Recherche")
vocab = vocabulary()
query = st.text_input(
    "Rechercher dans la feuille de route et le benchmark",
    value=params.get("q", ""),
    placeholder="ex. locaux pas chers pour une association",
)
CHOOSE = "Choisir…"  # Streamlit's own placeholder is English ("Choose options")
with st.expander("Filtres", expanded=bool(set(params) - {"q"})):
    left, right = st.columns(2)
    kinds = left.multiselect(
        "Type de résultat",
        list(KIND_LABELS),
        format_func=KIND_LABELS.__getitem__,
        placeholder=CHOOSE,
    )
    axis = right.text_input("Axe (ex. B ou B.2)", value=params.get("axe", ""))
    themes = left.multiselect(
        "Thème",
        vocab.ids("themes"),
        format_func=lambda v: vocab.label("themes", v),
        placeholder=CHOOSE,
    )
    territories = right.multiselect("Territoire", vocab.ids("territories"), placeholder=CHOOSE)
    scheme_types = left.multiselect(
        "Type de dispositif",
        vocab.ids("scheme_types"),
        format_func=lambda v: vocab.label("scheme_types", v),
        placeholder=CHOOSE,
    )
    stages = right.multiselect(
        "Stade du projet",
        vocab.ids("stages"),
        format_func=lambda v: vocab.label("stages", v),
        placeholder=CHOOSE,
    )
    top_k = st.slider("Nombre de résultats", 1, 30, 8)

# Values typed (the axis) or passed in the address (?theme=…) may name nothing that exists.
typed = {"theme": params.get_all("theme"), "territory": params.get_all("territoire")}
filters: dict[str, Any] = {
    key: value
    for key, value in {
        "kind": kinds,
        "axis": [axis.strip()] if axis.strip() else [],
        "theme": [*themes, *typed["theme"]],
        "territory": [*territories, *typed["territory"]],
        "scheme_type": scheme_types,
        "stage": stages,
    }.items()
    if value
}

if query.strip():
    problems = unknown_filter_values(filters, vocab)
    try:
        results = client().search(query, top_k, filters)
    except ClientError as error:
        st.error(str(error))
        results = []
    for problem in problems:
        st.warning(problem)
    if not results and not problems:
        active = ", ".join(f"{key} = {', '.join(v)}" for key, v in filters.items())
        st.info(f"Aucun résultat avec ces filtres ({active})." if filters else "Aucun résultat.")
    if results:
        st.caption(f"{len(results)} résultat(s)")
    records = records_by_kind()
    for result in results:
        card = result_card(result, records, query)
        with st.container(border=True):
            st.markdown(f"#### {escape_markdown(card.title)}")
            st.markdown(" ".join(f":blue-background[{escape_markdown(t)}]" for t in card.tags))
            st.markdown(highlight(card.sentence, query))
