"""Assistant ESS — Niort Agglo: the Streamlit front end (``make run``)."""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Assistant ESS — Niort Agglo", page_icon="🤝", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "chat.py", title="Chat", icon="💬", default=True),
        st.Page(PAGES / "search.py", title="Recherche", icon="🔎"),
        st.Page(PAGES / "schemes.py", title="Trouver un dispositif", icon="🧭"),
        st.Page(PAGES / "roadmap.py", title="Feuille de route", icon="🗺️"),
        st.Page(PAGES / "quality.py", title="Qualité", icon="📊"),
        st.Page(PAGES / "admin.py", title="Administration", icon="🔐"),
    ]
)
navigation.run()
