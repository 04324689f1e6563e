"""Feuille de route: strategic axes → operational axes → actions, and charts."""

from collections import Counter

import pandas as pd
import streamlit as st

from assistant.ui.state import client

st.title("Feuille de route ESS 2023-2026")
axes = client().records("axe")
actions = client().records("action")
titles = {axis["id"]: axis["title"] for axis in axes}

for strategic in [a for a in axes if "." not in a["id"]]:
    st.header(f"Axe {strategic['id']} — {strategic['title']}")
    for operational in [a for a in axes if a["id"].startswith(strategic["id"] + ".")]:
        members = [a for a in actions if a["id"].rsplit(".", 1)[0] == operational["id"]]
        with st.expander(f"{operational['id']} — {operational['title']} ({len(members)})"):
            for action in members:
                st.markdown(f"**{action['id']}**")
                st.text(action["text"])
                st.caption(" · ".join(f"#{theme}" for theme in action["themes"]))

st.header("Actions par axe et par thème")
per_axis = Counter(a["id"].rsplit(".", 1)[0] for a in actions)
per_theme = Counter(theme for a in actions for theme in a["themes"])
left, right = st.columns(2)
left.bar_chart(pd.DataFrame({"actions": per_axis}).sort_index(), horizontal=True)
right.bar_chart(pd.DataFrame({"actions": per_theme}).sort_values("actions"), horizontal=True)
