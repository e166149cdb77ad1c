"""The changes tab's event handlers: pick a series and two versions, read them side by side.

The diff is computed when asked for, for the two chosen versions only, and the last few views
are kept per index generation. A "See how this changed" link in a source card (``page.js``)
posts the cited document's id here: the tab opens on that version and the one before it (or
after it, for the first version).
"""

from __future__ import annotations

import json
import logging
import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from qa.errors import FineprintError
from qa.ui.changes_view import (
    render_message,
    render_view,
    series_choice,
    version_choice,
    words,
)
from qa.ui.render import human_message, ui_language
from qa.versions.captures import skipped_captures
from qa.versions.changes import version_sentences
from qa.versions.sidebyside import SectionOf, side_by_side

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from qa.retrieve.catalog import Catalog
    from qa.versions.series import Version

_log = logging.getLogger(__name__)
# Rendered views kept, by index generation, versions and language.
VIEW_CACHE_SIZE = 8
# The longest request a followed link may post (a document id and a language).
MAX_LINK_CHARS = 2000


class ChangesPage:
    """Handlers for the changes tab, answering from the index of ``holder``'s chain.

    ``holder`` is the page's ``ChainHolder``: ``get()`` returns the chain, or ``None`` while
    the first index is built; ``settings.corpus_dir`` is where skipped captures are looked for.
    """

    def __init__(self, holder: Any) -> None:
        """Answer from ``holder``'s chain."""
        self.holder = holder
        self._views: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def _index(self) -> tuple[Catalog, Any] | None:
        from qa.retrieve.catalog import catalog_of

        chain = self.holder.get()
        if chain is None:
            return None
        return catalog_of(chain.store), chain.store

    def series_choices(self, catalog: Catalog, language: str) -> list[tuple[str, str]]:
        """The series with more than one version, as (label, key), by label."""
        labels: list[tuple[str, str]] = []
        for key, versions in catalog.timelines.items():
            meta = catalog.documents.get(versions[-1].doc_id, {})
            title = str(meta.get("title") or key)
            region = str(meta.get("region") or "")
            if region and region != "unknown" and region not in title:
                title = f"{title}, {region}"
            labels.append((series_choice(title, len(versions), language), key))
        seen = [label for label, _ in labels]
        # Two series can share a title (a policy and its terms under one name): add the key.
        labels = [(f"{lb} · {key}" if seen.count(lb) > 1 else lb, key) for lb, key in labels]
        return sorted(labels, key=lambda item: item[0].casefold())

    @staticmethod
    def version_choices(versions: list[Version], language: str) -> list[tuple[str, str]]:
        """The versions of a series as (label, doc id), newest first."""
        return [(version_choice(v, language), v.doc_id) for v in reversed(versions)]

    def open_tab(
        self,
        series: str | None,
        old: str | None,
        new: str | None,
        language: str | None,
        following: bool = False,
    ) -> tuple[Any, ...]:
        """The tab as it opens: the series list, the picked versions, and their view.

        Without a pick (or with one the index no longer has), the first series and its
        previous and current versions. While a followed link opens the tab (``following``),
        nothing: that link's comparison is on its way, and this one must not replace it.
        """
        import gradio as gr

        if following:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        language = ui_language(language or "en")
        try:
            index = self._index()
            if index is None:
                message = render_message(words(language, "indexing"), language)
                return gr.skip(), gr.skip(), gr.skip(), message
            catalog, store = index
            choices = self.series_choices(catalog, language)
            if not choices:
                return (
                    gr.update(choices=[], value=None),
                    gr.update(choices=[], value=None),
                    gr.update(choices=[], value=None),
                    render_message(words(language, "none"), language),
                )
            if series not in catalog.timelines:
                series, old, new = choices[0][1], None, None
            versions = catalog.timelines[series]
            old, new = self._pair(versions, old, new)
            view = self._render(catalog, store, series, old, new, language)
        except Exception as exc:
            return gr.skip(), gr.skip(), gr.skip(), _problem(exc, language)
        return (
            gr.update(choices=choices, value=series, label=words(language, "series")),
            *self._version_updates(versions, old, new, language),
            view,
        )

    def pick_series(self, series: str | None, language: str | None) -> tuple[Any, ...]:
        """A series picked: its previous and current versions, and their view."""
        import gradio as gr

        language = ui_language(language or "en")
        try:
            index = self._index()
            if index is None or not series or series not in index[0].timelines:
                return gr.skip(), gr.skip(), render_message(words(language, "pick"), language)
            catalog, store = index
            versions = catalog.timelines[series]
            old, new = self._pair(versions, None, None)
            view = self._render(catalog, store, series, old, new, language)
        except Exception as exc:
            return gr.skip(), gr.skip(), _problem(exc, language)
        return (*self._version_updates(versions, old, new, language), view)

    def compare(
        self, series: str | None, old: str | None, new: str | None, language: str | None
    ) -> str:
        """Two versions picked: their view (the earlier one on the older side)."""
        language = ui_language(language or "en")
        try:
            index = self._index()
            if index is None or not series or series not in index[0].timelines:
                return render_message(words(language, "pick"), language)
            catalog, store = index
            versions = catalog.timelines[series]
            known = {v.doc_id: v for v in versions}
            if old not in known or new not in known:
                return render_message(words(language, "pick"), language)
            if old == new:
                return render_message(words(language, "same_version"), language)
            first, second = sorted((known[old], known[new]), key=versions.index)
            return self._render(catalog, store, series, first, second, language)
        except Exception as exc:
            return _problem(exc, language)

    @staticmethod
    def opening(request: str | None) -> tuple[Any, Any, bool]:
        """A followed "See how this changed", at once: the tab shown, saying it compares, and
        the page marked as following a link (the tab's own opening then leaves it alone)."""
        import gradio as gr

        _, language = _request(request)
        message = render_message(words(language, "comparing"), language, pending=True)
        return gr.Tabs(selected=TAB_ID), message, True

    def follow(self, request: str | None) -> tuple[Any, ...]:
        """A followed "See how this changed": the cited version and its neighbour compared.

        ``request`` is JSON ``{"doc": doc id, "lang": "en" | "id"}`` from ``page.js``. Returns
        the three drop-downs, the view, the view's language, and ``False``: the link is followed.
        """
        import gradio as gr

        doc_id, language = _request(request)
        try:
            index = self._index()
            version = index[0].versions.get(doc_id) if index is not None else None
            if index is None or version is None:
                message = render_message(words(language, "unknown"), language)
                return gr.skip(), gr.skip(), gr.skip(), message, language, False
            catalog, store = index
            versions = catalog.timelines[version.series]
            at = versions.index(version)
            old, new = (versions[at - 1], version) if at else (version, versions[1])
            view = self._render(catalog, store, version.series, old, new, language)
        except Exception as exc:
            return gr.skip(), gr.skip(), gr.skip(), _problem(exc, language), language, False
        return (
            gr.update(
                choices=self.series_choices(catalog, language),
                value=version.series,
                label=words(language, "series"),
            ),
            *self._version_updates(versions, old, new, language),
            view,
            language,
            False,
        )

    def _version_updates(
        self, versions: list[Version], old: Version, new: Version, language: str
    ) -> tuple[Any, Any]:
        import gradio as gr

        choices = self.version_choices(versions, language)
        return (
            gr.update(choices=choices, value=old.doc_id, label=words(language, "older")),
            gr.update(choices=choices, value=new.doc_id, label=words(language, "newer")),
        )

    @staticmethod
    def _pair(versions: list[Version], old: str | None, new: str | None) -> tuple[Version, Version]:
        """The picked versions, in time order; by default the previous and the current."""
        known = {v.doc_id: v for v in versions}
        if old in known and new in known and old != new:
            first, second = sorted((known[old], known[new]), key=versions.index)  # type: ignore[index]
            return first, second
        return versions[-2], versions[-1]

    def _render(
        self, catalog: Catalog, store: Any, series: str, old: Version, new: Version, language: str
    ) -> str:
        manifest = store.manifest
        key = (manifest.build_id, manifest.generation, old.doc_id, new.doc_id, language)
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        old_sentences = version_sentences(catalog, store, old.doc_id)[0]
        new_sentences = version_sentences(catalog, store, new.doc_id)[0]
        view = side_by_side(
            series, old, new, old_sentences, new_sentences, _section_finder(catalog)
        )
        hashes = {doc: entry.text_hash for doc, entry in manifest.documents.items()}
        corpus = getattr(self.holder.settings, "corpus_dir", None)
        skipped = skipped_captures(corpus, catalog.timelines[series], old, new, hashes)
        title = str(catalog.documents.get(new.doc_id, {}).get("title") or series)
        rendered = render_view(view, title, skipped, language)
        with self._lock:
            self._views[key] = rendered
            while len(self._views) > VIEW_CACHE_SIZE:
                self._views.popitem(last=False)
        return rendered


def shown_pick(updates: tuple[Any, ...], before: Any) -> Any:
    """The (series, older, newer) the drop-downs hold after ``updates`` (theirs, in that order;
    the series as a value or an update), to keep in the page's state; ``gr.skip()`` when the
    updates change none of them (a stale pick must not replace a followed link's)."""
    import gradio as gr

    values = list(before) if isinstance(before, (list, tuple)) and len(before) == 3 else [None] * 3
    changed = False
    for at, update in enumerate(updates):
        if isinstance(update, dict):
            if "value" in update:
                values[at], changed = update["value"], True
        else:
            values[at], changed = update, True
    return tuple(values) if changed else gr.skip()


# The changes tab's id in the page's tabs.
TAB_ID = "changes"


def _request(request: str | None) -> tuple[str, str]:
    """The document id and language a followed link posted (anything else: none, English)."""
    try:
        payload = json.loads((request or "")[:MAX_LINK_CHARS] or "{}")
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    return str(payload.get("doc") or ""), ui_language(str(payload.get("lang") or "en"))


def _problem(exc: Exception, language: str) -> str:
    """The view saying why nothing is shown: the user's problem in its own words (a stopped
    Chroma server), a bug as a plain apology with its traceback in the server's log."""
    if isinstance(exc, FineprintError):
        _log.warning("changes not shown: %s", exc)
        return render_message(human_message(str(exc)), language)
    _log.exception("comparing versions failed")
    return render_message(words(language, "failed"), language)


def _section_finder(catalog: Catalog) -> SectionOf:
    """A sentence's section path: that of the stored passage its start falls in."""
    starts: dict[str, tuple[list[int], list[str]]] = {}

    def section_of(sentence: Document) -> str:
        doc_id = str(sentence.metadata.get("doc_id", ""))
        if doc_id not in starts:
            passages = sorted(
                catalog.passages_of.get(doc_id, []), key=lambda p: int(p.metadata["start"])
            )
            starts[doc_id] = (
                [int(p.metadata["start"]) for p in passages],
                [str(p.metadata.get("section") or "") for p in passages],
            )
        offsets, sections = starts[doc_id]
        at = bisect_right(offsets, int(sentence.metadata.get("start", 0))) - 1
        return sections[at] if at >= 0 else ""

    return section_of
