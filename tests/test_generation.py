"""The language-model path against a real OpenAI-compatible server process (localhost)."""

from __future__ import annotations

import pytest

from assistant.answering.generate import ChatCompletionsGenerator, GenerationError, check_citations
from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.types import Citation, SourceSpan

CITATIONS = [Citation(1, "passage:x", "passage", "texte", SourceSpan("d.md", "S", 0, 5))]


def test_citations_are_checked() -> None:
    assert check_citations("Oui [1].", CITATIONS) == "Oui [1]."
    with pytest.raises(GenerationError, match="do not exist: \\[3\\]"):
        check_citations("Oui [1] et [3].", CITATIONS)
    with pytest.raises(GenerationError, match="without citing"):
        check_citations("Oui.", CITATIONS)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("bad", "sa réponse citait des passages qui n'existent pas"),
        ("slow", "il n'a pas répondu dans les 1 s"),
        ("down", "son serveur a renvoyé une erreur"),
    ],
)
def test_a_failing_model_falls_back_to_the_extractive_answer_with_a_notice(
    real_index_settings: Settings, fake_llm_url: str, model: str, message: str
) -> None:
    settings = real_index_settings.model_copy(
        update={"llm_url": fake_llm_url, "llm_model": model, "llm_timeout": 1.0}
    )
    assistant = Assistant.load(settings)
    answer = assistant.ask("Quelles actions soutiennent l'économie circulaire ?")
    assert answer.generator == "extractive"
    assert answer.notice is not None and message in answer.notice
    assert answer.notice.startswith("Le modèle de langage n'a pas pu répondre")  # French, whole
    assert "A.1.3" in answer.text
    streamed = list(assistant.ask_stream("Quelles actions soutiennent l'économie circulaire ?"))
    assert streamed[-1].answer is not None and streamed[-1].answer.generator == "extractive"
    if model == "bad":
        assert any(event.kind == "reset" for event in streamed)


def test_a_bad_url_is_a_configuration_error() -> None:
    from assistant.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="must start with http"):
        ChatCompletionsGenerator("localhost:8000", "m")


def test_every_kind_of_generation_failure_has_its_wording_in_each_language() -> None:
    from typing import get_args

    from assistant.answering.generate import Failure
    from assistant.answering.lexicon import load_lexicon

    lexicon = load_lexicon()
    for language in ("fr", "en"):
        reasons = {lexicon.line(language, f"failure_{f}", seconds="3") for f in get_args(Failure)}
        assert len(reasons) == len(get_args(Failure))  # one distinct reason a kind
        notice = lexicon.line(language, "fallback", reason="x")
        assert "(x)" in notice and ("extractive" in notice)
    assert "3 s" in lexicon.line("fr", "failure_timeout", seconds="3")
    assert check_failure("Oui.") == "uncited" and check_failure("Oui [9].") == "unknown_citations"


def check_failure(text: str) -> str:
    with pytest.raises(GenerationError) as caught:
        check_citations(text, CITATIONS)
    return caught.value.failure
