"""Recherche: ranked passages and records, with filters applied inside retrieval."""

import streamlit as st

from assistant.ui.client import ClientError
from assistant.ui.state import client
from assistant.ui.text import escape_markdown, highlight

KINDS = {"passage": "Passage", "axe": "Axe", "action": "Action", "dispositif": "Dispositif",
         "acteur": "Acteur"}  # fmt: skip
THEMES = ["économie circulaire", "alimentation durable", "logistique zéro carbone", "tourisme",
          "cohésion territoriale", "insertion", "financement", "commande publique",
          "foncier et immobilier", "communication", "observation et données", "coopération",
          "formation", "innovation sociale", "accompagnement", "transition écologique"]  # fmt: skip
TERRITORIES = ["Niort Agglo", "Métropole de Lyon", "Nantes Métropole", "La Rochelle Agglo",
               "Grand Poitiers", "Grenoble Alpes Métropole", "Métropole Européenne de Lille",
               "Toulouse Métropole", "Rennes Métropole"]  # fmt: skip
SCHEME_TYPES = ["subvention", "avance remboursable", "prêt", "prix", "appel à projets",
                "fonds d'amorçage", "locaux", "commande publique", "accompagnement"]  # fmt: skip
STAGES = ["émergence", "développement", "changement d'échelle"]

st.title("Recherche")
with st.sidebar:
    st.header("Filtres")
    kinds = st.multiselect("Type de résultat", list(KINDS), format_func=KINDS.__getitem__)
    axis = st.text_input("Axe (ex. B ou B.2)")
    themes = st.multiselect("Thème", THEMES)
    territories = st.multiselect("Territoire", TERRITORIES)
    scheme_types = st.multiselect("Type de dispositif", SCHEME_TYPES)
    stages = st.multiselect("Stade du projet", STAGES)
    top_k = st.slider("Nombre de résultats", 1, 30, 8)

query = st.text_input("Rechercher dans la feuille de route et le benchmark",
                      placeholder="ex. locaux pas chers pour une association")  # fmt: skip
filters = {key: value for key, value in {
    "kind": kinds, "axis": axis.strip(), "theme": themes, "territory": territories,
    "scheme_type": scheme_types, "stage": stages}.items() if value}  # fmt: skip

if query.strip():
    try:
        results = client().search(query, top_k, filters)
    except ClientError as error:
        st.error(str(error))
        results = []
    if not results:
        st.info("Aucun résultat avec ces filtres.")
    for result in results:
        with st.container(border=True):
            record = result["metadata"].get("record_id")
            label = KINDS.get(result["kind"], result["kind"])
            st.markdown(f"**{label}{' ' + escape_markdown(str(record)) if record else ''}** · "
                        f"score {result['score']:.2f}")  # fmt: skip
            if result["source"]["section"]:
                st.caption(result["source"]["section"])
            st.markdown(highlight(result["text"], query))
