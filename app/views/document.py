"""Document: a corpus document, opened at a cited passage (?doc=…&start=…&end=…)."""

import streamlit as st

from assistant.config import Settings
from assistant.ui.documents import document_names, excerpt, open_document
from assistant.ui.text import escape_markdown

corpus_dir = Settings().corpus_dir
names = document_names(corpus_dir)
params = st.query_params
st.title("Document")
if not names:
    st.info("Les documents du corpus ne sont pas lisibles depuis cette application.")
    st.stop()
asked = params.get("doc")
if asked and asked not in names:
    st.warning(f"Aucun document « {asked} » dans le corpus. Documents : {', '.join(names)}.")
name = st.selectbox("Document", names, index=names.index(asked) if asked in names else 0)
document = open_document(corpus_dir, name)
if document is None:
    st.error(f"Le document « {name} » ne peut pas être lu.")
    st.stop()
st.subheader(document.title)


def paragraphs(text: str) -> None:
    for block in text.split("\n\n"):
        if block.strip():
            st.markdown(escape_markdown(block.strip()).replace("\n", "  \n"))


try:
    start, end = int(params.get("start", "")), int(params.get("end", ""))
except ValueError:
    start = end = -1
shown = excerpt(document.text, start, end) if name == asked else None
if shown is None:
    if name == asked and "start" in params:
        st.warning("Le passage demandé n'est pas dans ce document ; voici le document entier.")
    paragraphs(document.text)
else:
    st.caption("Le passage cité est encadré, avec le texte qui l’entoure.")
    paragraphs(shown.before)
    with st.container(border=True):
        st.markdown("**Passage cité**")
        paragraphs(shown.passage)
    paragraphs(shown.after)
    with st.expander("Tout le document"):
        paragraphs(document.text)
