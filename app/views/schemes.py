"""Trouver un dispositif: a project holder describes the project, gets ranked support, split
between what is open on their territory and examples from other territories."""

from typing import Any

import streamlit as st

from assistant.ui.cards import amount_lines, amount_notes, concerns, contact_text, site_url
from assistant.ui.chat import passage_link
from assistant.ui.client import ClientError
from assistant.ui.state import client, records_by_kind, vocabulary
from assistant.ui.text import escape_markdown

st.title("Trouver un dispositif")
vocab = vocabulary()
st.write(
    "Décrivez votre projet : l'assistant classe les dispositifs du benchmark et les acteurs "
    "de l'accompagnement, et dit ce qui correspond et ce qui peut bloquer."
)
territories = vocab.territories_home_first()
with st.form("projet"):
    description = st.text_area(
        "Votre projet", placeholder="ex. association d'insertion qui veut créer une recyclerie"
    )
    territory = st.selectbox("Territoire du projet", territories)
    stage = st.selectbox(
        "Stade",
        [None, *vocab.ids("stages")],
        format_func=lambda v: "(non précisé)" if v is None else vocab.label("stages", v),
    )
    needs = st.multiselect(
        "Besoins",
        vocab.ids("needs"),
        format_func=lambda v: vocab.label("needs", v),
        placeholder="Choisir un ou plusieurs besoins",
    )
    amount = st.number_input("Montant recherché (€)", min_value=0, step=1000, value=0)
    submitted = st.form_submit_button("Trouver des dispositifs", type="primary")


def accessible(match: dict[str, Any]) -> bool:
    """Open to the project: the service says so when it can, else a local scheme or actor."""
    value = match.get("accessible")
    return bool(match["local"]) if value is None else bool(value)


def show(match: dict[str, Any], *, open_to_project: bool) -> None:
    record = records_by_kind().get((match["kind"], match["id"]), {})
    with st.container(border=True):
        st.markdown(f"#### {escape_markdown(match['name'])}")
        kind = "Acteur de l'accompagnement" if match["kind"] == "acteur" else "Dispositif"
        st.markdown(
            f":blue-background[{kind}] :gray-background[{escape_markdown(match['territory'])}]"
        )
        st.markdown(escape_markdown(match["summary"]))
        if open_to_project:
            for reason in match["fits"]:
                st.markdown(f":green[✔] {escape_markdown(reason)}")
        elif match["fits"]:
            st.markdown(
                "Ce qui correspondrait s'il était ouvert à votre territoire : "
                + "; ".join(escape_markdown(r) for r in match["fits"])
            )
        restriction = match.get("restriction")
        if restriction and not open_to_project:
            st.markdown(f"⛔ {escape_markdown(restriction)}")
        for concern in concerns(match, open_to_project=open_to_project):
            st.markdown(f"⚠️ {escape_markdown(concern)}")
        for note in match.get("notes", []) or []:
            st.caption(escape_markdown(str(note)))
        amounts = record.get("amounts") or {}
        figures = amount_lines(amounts)
        stated, other = amount_notes(amounts.get("notes", []))
        if figures or stated:
            st.markdown("**Montants**")
            for line in figures:
                st.markdown(f"- {escape_markdown(line)}")
            for note in stated if not figures else []:
                st.markdown(f"- {escape_markdown(note)}")
        if figures and stated:
            st.caption("Dans le texte : " + " ; ".join(escape_markdown(n) for n in stated))
        for note in other:
            st.caption(escape_markdown(note))
        contact = match.get("contact") or record.get("contact")
        website = match.get("website") or record.get("website")
        if match["kind"] == "acteur" or contact or website:
            st.markdown(f"**Contact** : {escape_markdown(contact_text(contact))}")
            if website:
                st.markdown(f"**Site** : [{escape_markdown(website)}]({site_url(website)})")
            source = record.get("source")
            if source and match["kind"] == "acteur":
                st.markdown(f"[Ce qu'en dit le document]({passage_link(source)})")


if submitted:
    body = {
        "description": description,
        "territory": territory,
        "stage": stage,
        "needs": needs,
        "amount_eur": int(amount) or None,
        "top_k": 8,
    }
    matches: list[dict[str, Any]] | None
    try:
        matches = client().match_schemes(body)["matches"] if description.strip() else None
    except ClientError as error:
        st.error(str(error))
        matches = []
    if matches is None:
        st.warning("Décrivez votre projet en quelques mots.")
    elif not matches:
        st.info("Aucun dispositif trouvé.")
    else:
        here = [m for m in matches if accessible(m)]
        elsewhere = [m for m in matches if not accessible(m)]
        st.subheader(f"Sur votre territoire ({len(here)})")
        if not here:
            st.info(f"Aucun dispositif ni acteur de {territory} ne correspond à cette description.")
        for match in here:
            show(match, open_to_project=True)
        if elsewhere:
            st.subheader(f"Exemples d'autres territoires (non accessibles depuis {territory})")
            st.caption(
                "Ces dispositifs sont réservés aux projets de leur territoire : ils montrent "
                "ce qui existe ailleurs, pas une aide que vous pouvez demander."
            )
            for match in elsewhere:
                show(match, open_to_project=False)
