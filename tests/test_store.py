"""The passage store on a real Chroma collection: what goes in comes back out exactly.

Passages and sentences are written with ``replace_document`` and read back through every
reader (``all_passages``, ``search``, ``sentences_of``, ``passage_vectors``), which all turn
Chroma's results into ``Document``s with ``_documents``. Vectors come from the fake embedder
(``FakeEmbeddings``) for speed; Chroma itself is real.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from langchain_core.documents import Document

from qa.errors import IndexMismatchError, IndexMissingError
from qa.index.manifest import IndexConfig
from qa.index.store import PassageStore, _documents, _rows

if TYPE_CHECKING:
    from conftest import FakeEmbeddings

CONFIG = IndexConfig("fake-embeddings", 300, 1)
ACME_TEXTS = [
    "We do not share your contact list with Facebook.",
    "Undelivered messages are kept on our servers for thirty days.",
]
ZETA_TEXT = "The quokkafax feature stores diagnostic logs for ninety days."


def make_passage(doc_id: str, index: int, text: str, start: int, **extra: Any) -> Document:
    """Passage ``index`` of ``doc_id``: scalar metadata of every type Chroma stores."""
    metadata: dict[str, Any] = {
        "doc_id": doc_id,
        "passage_index": index,
        "start": start,
        "end": start + len(text),
        "title": f"{doc_id} title",
        "section": "Contacts > Sharing",
        "weight": 0.123456789,
        "has_page": False,
        **extra,
    }
    return Document(page_content=text, metadata=metadata, id=f"{doc_id}#{index}")


def make_sentence(doc_id: str, index: int, text: str, start: int) -> Document:
    """Stored sentence ``index`` of ``doc_id``."""
    metadata = {"doc_id": doc_id, "start": start, "end": start + len(text)}
    return Document(page_content=text, metadata=metadata, id=f"{doc_id}@{index}")


def acme_passages() -> list[Document]:
    """Acme's two passages."""
    return [
        make_passage("acme", 0, ACME_TEXTS[0], 0),
        make_passage("acme", 1, ACME_TEXTS[1], len(ACME_TEXTS[0]) + 1),
    ]


def zeta_passages() -> list[Document]:
    """Zeta's one passage, dated."""
    return [make_passage("zeta", 0, ZETA_TEXT, 0, document_date="2019-12-19")]


def sentences_of(passages: list[Document]) -> list[Document]:
    """One stored sentence per passage, the passage's own text."""
    return [
        make_sentence(str(p.metadata["doc_id"]), i, p.page_content, p.metadata["start"])
        for i, p in enumerate(passages)
    ]


def put(store: PassageStore, embeddings: FakeEmbeddings, passages: list[Document]) -> None:
    """``replace_document`` with ``passages`` and their sentences, embedded by the fake."""
    sentences = sentences_of(passages)
    store.replace_document(
        str(passages[0].metadata["doc_id"]),
        passages,
        embeddings.embed_documents([p.page_content for p in passages]),
        sentences,
        embeddings.embed_documents([s.page_content for s in sentences]),
    )


def assert_same(actual: list[Document], expected: list[Document]) -> None:
    """Same ids, texts and metadata, in the same order."""
    assert [(d.id, d.page_content, d.metadata) for d in actual] == [
        (d.id, d.page_content, d.metadata) for d in expected
    ]


@pytest.fixture
def store(tmp_path: Path, fake_embeddings: FakeEmbeddings) -> PassageStore:
    """A new store holding Acme's two passages and Zeta's one, with their sentences."""
    store = PassageStore.open(tmp_path / "index", CONFIG, create=True)
    put(store, fake_embeddings, acme_passages())
    put(store, fake_embeddings, zeta_passages())
    return store


# -- the fake embedder the store tests rely on ----------------------------------------------------


def test_the_fake_embedder_ranks_shared_words_higher(fake_embeddings: FakeEmbeddings) -> None:
    query = np.array(fake_embeddings.embed_query("Is my contact list shared?"))
    near, far = (np.array(v) for v in fake_embeddings.embed_documents(ACME_TEXTS))
    assert query @ near > query @ far
    assert np.linalg.norm(near) == pytest.approx(1.0)
    assert (
        fake_embeddings.embed_query(ACME_TEXTS[0])
        == fake_embeddings.embed_documents([ACME_TEXTS[0]])[0]
    )
    assert np.linalg.norm(fake_embeddings.embed_query("?!")) == pytest.approx(1.0)


# -- the round trip -------------------------------------------------------------------------------


def test_all_passages_come_back_exactly_as_stored(store: PassageStore) -> None:
    assert store.count() == 3
    assert_same(store.all_passages(), [*acme_passages(), *zeta_passages()])


def test_metadata_chroma_cannot_store_is_dropped(
    tmp_path: Path, fake_embeddings: FakeEmbeddings
) -> None:
    store = PassageStore.open(tmp_path / "index", CONFIG, create=True)
    listed = make_passage("pdf", 0, "Page one text here.", 0, page_starts=[0, 120], page=1)
    put(store, fake_embeddings, [listed])
    (stored,) = store.all_passages()
    assert "page_starts" not in stored.metadata
    assert stored.metadata == {k: v for k, v in listed.metadata.items() if k != "page_starts"}


def test_search_returns_stored_documents_with_cosines(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    hits = store.search(fake_embeddings.embed_query(ACME_TEXTS[1]), 3)
    assert len(hits) == 3
    assert hits[0].passage.id == "acme#1"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    by_id = {p.id: p for p in [*acme_passages(), *zeta_passages()]}
    assert_same([hit.passage for hit in hits], [by_id[str(hit.passage.id)] for hit in hits])


def test_search_honours_k_and_a_metadata_filter(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    query = fake_embeddings.embed_query(ACME_TEXTS[0])
    assert [hit.passage.id for hit in store.search(query, 1)] == ["acme#0"]
    only_zeta = store.search(query, 3, {"doc_id": {"$in": ["zeta"]}})
    assert_same([hit.passage for hit in only_zeta], zeta_passages())


def test_search_of_an_empty_store_finds_nothing(
    tmp_path: Path, fake_embeddings: FakeEmbeddings
) -> None:
    empty = PassageStore.open(tmp_path / "empty", CONFIG, create=True)
    assert empty.search(fake_embeddings.embed_query("contacts"), 5) == []


def test_sentences_come_back_with_their_vectors(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    sentences, vectors = store.sentences_of(["acme", "acme"])
    order = sorted(range(len(sentences)), key=lambda i: sentences[i].metadata["start"])
    assert_same([sentences[i] for i in order], sentences_of(acme_passages()))
    expected = fake_embeddings.embed_documents(ACME_TEXTS)
    for i, row in zip(order, expected, strict=True):
        np.testing.assert_allclose(vectors[i], row, atol=1e-6)
    assert store.sentences_of([]) == ([], [])
    assert store.sentences_of(["nobody"]) == ([], [])


def test_passage_vectors_are_the_stored_vectors(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    vectors = store.passage_vectors(["zeta#0", "acme#1", "missing#0"])
    assert set(vectors) == {"zeta#0", "acme#1"}
    np.testing.assert_allclose(vectors["zeta#0"], fake_embeddings.embed_query(ZETA_TEXT), atol=1e-6)
    np.testing.assert_allclose(
        vectors["acme#1"], fake_embeddings.embed_query(ACME_TEXTS[1]), atol=1e-6
    )
    assert store.passage_vectors([]) == {}


def test_replace_document_replaces_every_passage_and_sentence(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    shorter = [make_passage("acme", 0, "Acme now keeps nothing at all.", 0)]
    put(store, fake_embeddings, shorter)
    assert_same(store.all_passages(), [*shorter, *zeta_passages()])
    assert_same(store.sentences_of(["acme"])[0], sentences_of(shorter))
    assert store.passage_vectors(["acme#1"]) == {}


def test_delete_document_removes_its_passages_and_sentences(store: PassageStore) -> None:
    store.delete_document("acme")
    assert store.count() == 1
    assert_same(store.all_passages(), zeta_passages())
    assert store.sentences_of(["acme"]) == ([], [])
    assert store.stored_doc_ids() == {"zeta"}
    store.delete_document("nobody")  # deleting what is not there is fine
    assert store.count() == 1


def test_stored_doc_ids_counts_sentences_without_passages(
    store: PassageStore, fake_embeddings: FakeEmbeddings
) -> None:
    orphan = [make_sentence("orphan", 0, "A sentence no passage vouches for.", 0)]
    store.replace_document(
        "orphan", [], [], orphan, fake_embeddings.embed_documents([orphan[0].page_content])
    )
    assert store.stored_doc_ids() == {"acme", "zeta", "orphan"}
    assert store.count() == 3


def test_rows_read_get_and_query_results() -> None:
    got = {"ids": ["a#0"], "documents": ["text"], "metadatas": [{"doc_id": "a"}]}
    queried = {
        "ids": [["b#0", "c#0"]],
        "documents": [["bee", "sea"]],
        "metadatas": [[{"doc_id": "b"}, {"doc_id": "c"}]],
        "distances": [[0.1, 0.2]],
    }
    assert_same(
        _documents(got), [Document(page_content="text", metadata={"doc_id": "a"}, id="a#0")]
    )
    rows = _rows(queried, "distances", row=0)
    assert [(d.id, d.page_content, distance) for d, distance in rows] == [
        ("b#0", "bee", 0.1),
        ("c#0", "sea", 0.2),
    ]
    with pytest.raises(ValueError):
        _documents({"ids": ["a#0"], "documents": [], "metadatas": []})


def test_an_entry_being_deleted_is_left_out_with_its_values() -> None:
    # Another process deleting "b#0" mid-read: Chroma returns the id without text or metadata.
    queried = {
        "ids": [["b#0", "c#0"]],
        "documents": [[None, "sea"]],
        "metadatas": [[None, {"doc_id": "c"}]],
        "distances": [[0.1, 0.2]],
    }
    assert [(d.id, distance) for d, distance in _rows(queried, "distances", row=0)] == [
        ("c#0", 0.2)
    ]


# -- opening --------------------------------------------------------------------------------------


def test_open_without_an_index_is_an_index_missing_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="fineprint ingest"):
        PassageStore.open(tmp_path / "nothing", CONFIG)
    assert not (tmp_path / "nothing").exists()


def test_open_with_other_settings_is_an_index_mismatch_error(store: PassageStore) -> None:
    other = IndexConfig("another-model", 300, 1)
    with pytest.raises(IndexMismatchError, match="another-model"):
        PassageStore.open(store.index_dir, other)
    assert PassageStore.open(store.index_dir).count() == 3


def test_threads_open_and_close_clients_of_one_folder_at_once(tmp_path: Path) -> None:
    # A served page opens a client while its indexing thread does; Chroma's shared engine per
    # folder broke when two threads opened or closed clients at once.
    import threading

    from qa.index.location import LocalIndex

    errors: list[str] = []

    def open_and_close() -> None:
        for _ in range(10):
            try:
                index = LocalIndex(tmp_path)
                index.client().heartbeat()
                index.close()
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=open_and_close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
