"""``StoredSentences``: a document's stored sentences, made into ``Document`` objects on demand."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

import qa.index.sentence_rows as rows_module
from qa.index.sentence_rows import StoredSentences

ROWS = [
    ["d@0", "We keep logs.", {"doc_id": "d", "start": 0, "end": 13}],
    ["d@14", "We delete them after 30 days.", {"doc_id": "d", "start": 14, "end": 43}],
    ["d@44", "Ask us anything.", {"doc_id": "d", "start": 44, "end": 60}],
]


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the ``Document`` objects ``StoredSentences`` makes, in order."""
    ids: list[str] = []

    def counting(**fields: object) -> Document:
        ids.append(str(fields["id"]))
        return Document(**fields)  # type: ignore[arg-type]

    monkeypatch.setattr(rows_module, "Document", counting)
    return ids


def test_texts_and_offsets_are_read_without_making_documents(made: list[str]) -> None:
    stored = StoredSentences([list(row) for row in ROWS])

    assert stored.texts == [row[1] for row in ROWS]
    assert stored.starts == [0, 14, 44]
    assert stored.ends == [13, 43, 60]
    assert len(stored) == 3
    assert made == []


def test_a_row_is_made_once_when_asked_for(made: list[str]) -> None:
    stored = StoredSentences([list(row) for row in ROWS])

    second = stored[1]
    assert (second.id, second.page_content, second.metadata["end"]) == ("d@14", ROWS[1][1], 43)
    assert stored[-2] is second and stored[1] is second
    assert made == ["d@14"]


def test_it_reads_like_the_list_of_its_documents() -> None:
    stored = StoredSentences([list(row) for row in ROWS])
    documents = [Document(page_content=text, metadata=meta, id=sid) for sid, text, meta in ROWS]

    assert list(stored) == documents
    assert stored[1:] == documents[1:]
    assert stored.index(documents[2]) == 2
    with pytest.raises(IndexError):
        stored[3]


def test_of_keeps_the_given_documents() -> None:
    documents = [Document(page_content=text, metadata=meta, id=sid) for sid, text, meta in ROWS]

    stored = StoredSentences.of(documents)

    assert stored[0] is documents[0]
    assert stored.texts == [doc.page_content for doc in documents]
    assert stored.starts == [0, 14, 44]
    assert not StoredSentences([])
