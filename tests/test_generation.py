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
    [("bad", "do not exist: [42]"), ("slow", "did not answer within 1.0 s"), ("down", "503")],
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
    assert "A.1.3" in answer.text
    streamed = list(assistant.ask_stream("Quelles actions soutiennent l'économie circulaire ?"))
    assert streamed[-1].answer is not None and streamed[-1].answer.generator == "extractive"
    if model == "bad":
        assert any(event.kind == "reset" for event in streamed)


def test_a_bad_url_is_a_configuration_error() -> None:
    from assistant.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="must start with http"):
        ChatCompletionsGenerator("localhost:8000", "m")
