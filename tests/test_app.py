"""The chat's event handler (``make_responder``) with a fake chain: streaming, history, filters.

The chain is a fake that streams snapshots of a hand-made result (``fake_answers``); the real
chain behind a real server is tested in ``test_web_api.py`` and ``test_browser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fake_answers import SCRIPT, fake_result, markdown_html

from qa.answer.result import AnswerResult
from qa.retrieve.filters import SearchFilters
from qa.ui.app import make_responder


class _FakeChain:
    """Streams three growing snapshots of one canned result."""

    def __init__(self, result: AnswerResult) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def stream(self, value: dict[str, Any]) -> Iterator[AnswerResult]:
        self.calls.append(value)
        answer = self.result.answer
        for end in (len(answer) // 3, 2 * len(answer) // 3, len(answer)):
            yield self.result.model_copy(update={"answer": answer[:end]})


def test_responder_streams_and_keeps_history() -> None:
    chain = _FakeChain(fake_result(sentence="Acme keeps data for ninety days."))
    respond = make_responder(chain)  # type: ignore[arg-type]
    previous = [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "earlier answer"},
    ]
    updates = list(respond("How long?", previous, "", "policy", "", "", ""))
    assert len(updates) >= 4  # placeholder + three snapshots
    history, panel, box = updates[-1]
    assert box == ""
    assert history[:2] == previous
    assert history[2] == {"role": "user", "content": "How long?"}
    assert 'href="#fp-t2-source-1"' in history[3]["content"]
    assert 'id="fp-t2-source-1"' in panel
    assert chain.calls[0]["filters"] == SearchFilters(kind="policy")
    lengths = [len(update[0][-1]["content"]) for update in updates[1:]]
    assert lengths == sorted(lengths)


def test_responder_reports_bad_filters_without_asking() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    history, _panel, box = list(respond("q?", [], "", "", "", "01/02/2021", ""))[-1]
    assert "Please fix the filters" in history[-1]["content"]
    assert box == "q?"
    assert chain.calls == []


def test_responder_escapes_the_question() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    history, _panel, _box = list(respond(SCRIPT, [], "", "", "", "", ""))[-1]
    assert "<script" not in markdown_html(history[0]["content"])
