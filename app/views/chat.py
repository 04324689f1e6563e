"""Chat: cited answers, streamed, with the sources by document, follow-ups and one vote."""

from typing import Any

import streamlit as st

from assistant.ui.chat import (
    REASONS,
    follow_ups,
    group_by_document,
    passage_link,
    related,
    rewritten,
    vote_comment,
    with_chips,
)
from assistant.ui.client import ClientError
from assistant.ui.feedback import FeedbackError
from assistant.ui.state import client, feedback_store, profile, records_by_id
from assistant.ui.text import conversation_markdown, escape_markdown

corpus = profile()
st.title(corpus["title"])
st.caption(f"Questions sur {corpus['corpus_description']}.")
messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
votes: dict[int, dict[str, Any]] = st.session_state.setdefault("votes", {})
asked: str | None = st.session_state.pop("ask_next", None)


def show_sources(message: dict[str, Any]) -> None:
    citations = message.get("citations", [])
    if not citations:
        return
    with st.expander(f"Sources ({len(citations)})"):
        for document, cited in group_by_document(citations):
            st.markdown(f"**{escape_markdown(document)}**")
            for citation in cited:
                source = citation["source"]
                section = escape_markdown(source["section"] or "passage")
                st.markdown(
                    f":blue-background[{citation['number']}] {section} · "
                    f"[voir dans le document]({passage_link(source)})"
                )
                st.markdown("> " + escape_markdown(" ".join(str(citation["text"]).split())))


def show_vote(message: dict[str, Any], index: int) -> None:
    vote = votes.get(index)
    if vote and vote.get("sent"):
        verdict = "utile" if vote["useful"] else "pas utile"
        reasons = f" ({', '.join(vote['reasons'])})" if vote.get("reasons") else ""
        st.success(f"Votre avis : réponse {verdict}{reasons}. Merci !", icon="✅")
        return
    st.markdown("**Cette réponse vous a-t-elle aidé ?**")
    up, down, _ = st.columns([1, 1, 4])
    if up.button("👍 Utile", key=f"up-{index}", help="Réponse utile") and send_vote(
        message, useful=True
    ):
        votes[index] = {"useful": True, "sent": True}
        st.rerun()
    if down.button("👎 Pas utile", key=f"down-{index}", help="Réponse pas utile"):
        votes[index] = {"useful": False, "sent": False}
    vote = votes.get(index)
    if vote and not vote["useful"]:
        reasons = st.pills(
            "Qu'est-ce qui ne va pas ?", REASONS, selection_mode="multi", key=f"reasons-{index}"
        )
        comment = st.text_input("Commentaire (facultatif)", key=f"comment-{index}")
        if st.button("Envoyer l'avis", key=f"send-{index}", type="primary") and send_vote(
            message, useful=False, comment=vote_comment(reasons or [], comment)
        ):
            votes[index] = {"useful": False, "sent": True, "reasons": list(reasons or [])}
            st.rerun()


def send_vote(message: dict[str, Any], *, useful: bool, comment: str = "") -> bool:
    """Store a vote; say so in French when it cannot be stored."""
    try:
        feedback_store().add(
            message["question"], message["content"], useful=useful, comment=comment
        )
    except FeedbackError as error:
        st.error(f"Votre avis n'a pas pu être enregistré : {error}")
        return False
    return True


def show_answer(message: dict[str, Any], index: int, *, latest: bool) -> None:
    understood = rewritten(message["question"], message.get("resolved_question"))
    if understood:
        st.caption(f"Question comprise : {escape_markdown(understood)}")
    if message.get("abstained"):
        st.info("Le corpus ne répond pas à cette question ; voici ce qui s'en rapproche.")
    numbers = [c["number"] for c in message.get("citations", [])]
    st.markdown(with_chips(message["content"], numbers))
    if message.get("notice"):
        st.caption(escape_markdown(message["notice"]))
    show_sources(message)
    more = related(message)
    if more:
        with st.expander("Pour aller plus loin"):
            for item in more:
                st.markdown(f"- {escape_markdown(item)}")
    if latest:
        suggestions = follow_ups(message, records_by_id())
        if suggestions:
            st.markdown("**Questions suivantes possibles**")
            for number, suggestion in enumerate(suggestions):
                if st.button(suggestion, key=f"next-{index}-{number}"):
                    st.session_state["ask_next"] = suggestion
                    st.rerun()
    show_vote(message, index)


with st.container(horizontal=True):
    if st.button("Nouvelle conversation", disabled=not messages, icon="🆕"):
        st.session_state["messages"] = []
        st.session_state["votes"] = {}
        st.rerun()
    st.download_button(
        "Exporter la conversation",
        data=conversation_markdown(messages),
        file_name="conversation-ess.md",
        mime="text/markdown",
        disabled=not messages,
        icon="⬇️",
        help="La conversation et ses citations, en Markdown",
    )

for index, message in enumerate(messages):
    with st.chat_message(message["role"]):
        if message["role"] == "assistant":
            show_answer(message, index, latest=index == len(messages) - 1)
        else:
            st.markdown(escape_markdown(message["content"]))

question = st.chat_input("Posez votre question sur l'ESS…") or asked
examples: list[str] = corpus.get("examples") or []
if not messages and question is None and examples:
    st.markdown("**Exemples de questions :**")
    for example in examples:
        if st.button(example, key=f"example-{example}"):
            question = example

if question:
    history = [{"role": m["role"], "content": m["content"]} for m in messages][-10:]
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        final: dict[str, Any] = {}
        tokens: list[str] = []

        def stream():  # type: ignore[no-untyped-def]
            for kind, data in client().ask_stream(question, history, {}):
                if kind == "token":
                    tokens.append(data)
                    yield data
                elif kind == "reset":
                    tokens.clear()
                elif kind == "answer":
                    final.update(data)

        placeholder = st.empty()
        try:
            with placeholder.container():
                st.write_stream(stream())
        except ClientError as error:
            placeholder.empty()
            st.error(str(error))
            messages.pop()
        else:
            placeholder.empty()
            message = {
                "role": "assistant",
                "content": final.get("answer", "".join(tokens)),
                "question": question,
                "citations": final.get("citations", []),
                "resolved_question": final.get("resolved_question"),
                "related": final.get("related", []),
                "abstained": final.get("abstained", False),
                "notice": final.get("notice"),
            }
            messages.append(message)
            show_answer(message, len(messages) - 1, latest=True)
