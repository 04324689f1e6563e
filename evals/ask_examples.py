"""Print the answers to the examples of issue 11 (questions users wrote, none of them tuned for),
one process, the index of the current settings: ``.venv/bin/python evals/ask_examples.py``."""

from __future__ import annotations

from assistant.answering.conversation import Turn
from assistant.assistant import Assistant
from assistant.config import Settings

EXAMPLES = [
    "Quel est le budget de la feuille de route ?",
    "météo demain à Niort ?",
    "Combien de bénévoles sur le territoire ?",
    "Je monte une recyclerie associative à Niort, il me faut 10 000 € pour démarrer, "
    "qui peut m'aider ?",
    "Notre SCIC est installée à Angers et veut ouvrir une antenne à Nantes : peut-elle "
    "candidater à l'ESS Nantes Factory ?",
    "Pour la fondation lyonnaise : peut-on cumuler subvention et avance remboursable, et y "
    "a-t-il une date limite ?",
    "Which territories use public procurement to support the social economy?",
]
HISTORY = [
    Turn("user", "Quelles actions concernent l'alimentation ?"),
    Turn("assistant", "…"),
]


def main() -> None:
    assistant = Assistant.load(Settings())
    asked = [(question, ()) for question in EXAMPLES]
    asked.append(("Combien de bénévoles sur le territoire ?", tuple(HISTORY)))
    for question, history in asked:
        answer = assistant.ask(question, history=history)
        after = " (after a question on alimentation)" if history else ""
        print(f"### {question}{after}")
        print(f"abstained={answer.abstained} resolved_question={answer.resolved_question!r} "
              f"characters={len(answer.text)} citations={len(answer.citations)} "
              f"related={len(answer.related)}")  # fmt: skip
        print(answer.text)
        if answer.notice:
            print(f"Note : {answer.notice}")
        print()


if __name__ == "__main__":
    main()
