"""Trouver un dispositif: a project holder describes the project, gets ranked support."""

import streamlit as st

from assistant.ui.client import ClientError
from assistant.ui.state import client

TERRITORIES = ["Niort Agglo", "Métropole de Lyon", "Nantes Métropole", "La Rochelle Agglo",
               "Grand Poitiers", "Grenoble Alpes Métropole", "Métropole Européenne de Lille",
               "Toulouse Métropole", "Rennes Métropole"]  # fmt: skip
STAGES = ["émergence", "développement", "changement d'échelle"]
NEEDS = ["financement", "locaux", "accompagnement", "visibilité", "commande publique"]

st.title("Trouver un dispositif")
st.write("Décrivez votre projet : l'assistant classe les dispositifs du benchmark et les acteurs "
         "de l'accompagnement, et dit ce qui correspond et ce qui peut bloquer.")  # fmt: skip
with st.form("projet"):
    description = st.text_area(
        "Votre projet", placeholder="ex. association d'insertion qui veut créer une recyclerie"
    )
    territory = st.selectbox("Territoire du projet", TERRITORIES)
    stage = st.selectbox("Stade", ["(non précisé)", *STAGES])
    needs = st.multiselect("Besoins", NEEDS)
    amount = st.number_input("Montant recherché (€)", min_value=0, step=1000, value=0)
    submitted = st.form_submit_button("Trouver des dispositifs")

if submitted:
    body = {"description": description, "territory": territory,
            "stage": None if stage.startswith("(") else stage, "needs": needs,
            "amount_eur": int(amount) or None, "top_k": 8}  # fmt: skip
    try:
        matches = client().match_schemes(body)["matches"] if description.strip() else None
    except ClientError as error:
        st.error(str(error))
        matches = []
    if matches is None:
        st.warning("Décrivez votre projet en quelques mots.")
    elif not matches:
        st.info("Aucun dispositif trouvé.")
    for match in matches or []:
        with st.container(border=True):
            badge = "acteur local" if match["local"] else f"autre territoire : {match['territory']}"
            st.subheader(match["name"])
            st.caption(f"{'Acteur' if match['kind'] == 'acteur' else 'Dispositif'} · {badge}")
            st.text(match["summary"])
            for reason in match["fits"]:
                st.markdown(f"✅ {reason}")
            for concern in match["may_not_fit"]:
                st.markdown(f"⚠️ {concern}")
            if match.get("amounts"):
                st.text(f"Montants : {match['amounts']}")
            if match.get("contact"):
                st.text(f"Contact : {match['contact']}")
            if match.get("website"):
                st.link_button("Site web", match["website"])
