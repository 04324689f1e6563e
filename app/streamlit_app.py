"""Assistant ESS: the Streamlit front end (``make run``)."""

from pathlib import Path

import streamlit as st

from assistant.ui import layout

# Not "pages/": a folder of that name next to the entry point makes Streamlit serve its files as
# pages of their own (no st.navigation, no layout) to the first visitor of a page address.
PAGES = Path(__file__).parent / "views"

st.set_page_config(page_title="Assistant ESS", page_icon="🤝", layout="wide")
layout.apply()
navigation = st.navigation(
    [
        st.Page(PAGES / "chat.py", title="Chat", icon="💬", default=True),
        st.Page(PAGES / "search.py", title="Recherche", icon="🔎"),
        st.Page(PAGES / "schemes.py", title="Trouver un dispositif", icon="🧭"),
        st.Page(PAGES / "roadmap.py", title="Feuille de route", icon="🗺️"),
        st.Page(PAGES / "document.py", title="Document", icon="📄", url_path="document"),
        st.Page(PAGES / "quality.py", title="Qualité", icon="📊"),
        st.Page(PAGES / "admin.py", title="Administration", icon="🔐"),
    ]
)
navigation.run()
