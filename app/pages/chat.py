"""Chat: cited answers, streamed, with follow-up questions and feedback."""

import streamlit as st

from assistant.ui.client import ClientError
from assistant.ui.feedback import FeedbackError
from assistant.ui.state import client, feedback_store
from assistant.ui.text import conversation_markdown

EXAMPLES = [
    "Quelles actions soutiennent l'économie circulaire ?",
    "Qui pilote la feuille de route et à quelle fréquence ?",
    "Quels dispositifs existent pour trouver des locaux à bas prix ?",
    "Combien rapporte le prix nantais de l'innovation sociale ?",
]

st.title("Assistant ESS — Niort Agglo")
st.caption(
    "Questions sur la feuille de route ESS et innovation sociale 2023-2026 et son benchmark."
)
messages: list[dict] = st.session_state.setdefault("messages", [])


def show_answer(message: dict, index: int) -> None:
    if message.get("abstained"):
        st.info("La feuille de route ne répond pas à cette question ; voici ce qui s'en rapproche.")
    if message.get("notice"):
        st.caption(message["notice"])
    for citation in message.get("citations", []):
        source = citation["source"]
        with st.expander(f"[{citation['number']}] {source['section'] or source['document']}"):
            st.text(citation["text"])
            st.caption(f"{source['document']}, caractères {source['start']}–{source['end']}")
    with st.popover("Votre avis", use_container_width=False):
        comment = st.text_input("Commentaire (facultatif)", key=f"comment-{index}")
        useful, useless = st.columns(2)
        vote = None
        if useful.button("👍 Utile", key=f"up-{index}"):
            vote, thanks = True, "Merci pour votre retour !"
        if useless.button("👎 Pas utile", key=f"down-{index}"):
            vote, thanks = False, "Merci, ce retour aide à améliorer l'assistant."
        if vote is not None:
            try:
                feedback_store().add(message["question"], message["content"], useful=vote,
                                     comment=comment)  # fmt: skip
            except FeedbackError as error:
                st.error(f"Votre avis n'a pas pu être enregistré : {error}")
            else:
                st.toast(thanks)


for index, message in enumerate(messages):
    with st.chat_message(message["role"]):
        st.markdown(message["content"])
        if message["role"] == "assistant":
            show_answer(message, index)

question = st.chat_input("Posez votre question sur l'ESS à Niort Agglo…")
if not messages and question is None:
    st.write("Exemples de questions :")
    for example in EXAMPLES:
        if st.button(example, key=f"example-{example}"):
            question = example

if question:
    history = [{"role": m["role"], "content": m["content"]} for m in messages][-10:]
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        final: dict = {}
        tokens: list[str] = []

        def stream():  # type: ignore[no-untyped-def]
            for kind, data in client().ask_stream(question, history, {}):
                if kind == "token":
                    tokens.append(data)
                    yield data
                elif kind == "answer":
                    final.update(data)

        try:
            st.write_stream(stream())
        except ClientError as error:
            st.error(str(error))
            messages.pop()
        else:
            message = {"role": "assistant", "content": final.get("answer", "".join(tokens)),
                       "question": question, "citations": final.get("citations", []),
                       "abstained": final.get("abstained", False),
                       "notice": final.get("notice")}  # fmt: skip
            messages.append(message)
            show_answer(message, len(messages) - 1)

with st.sidebar:
    if st.button("Nouvelle conversation", disabled=not messages):
        st.session_state["messages"] = []
        st.rerun()
    st.download_button(
        "Exporter la conversation (Markdown)",
        data=conversation_markdown(messages),
        file_name="conversation-ess.md",
        mime="text/markdown",
        disabled=not messages,
    )
