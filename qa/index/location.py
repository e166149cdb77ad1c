"""Where an index lives: a folder on this machine, or a Chroma server that several share.

- ``LocalIndex``: embedded Chroma in ``<folder>/chroma``, the manifest in
  ``<folder>/manifest.json``, one writer at a time through a lock file in the folder.
- ``ServerIndex``: the collections ``<name>-passages`` and ``<name>-sentences`` on a Chroma server
  (``chroma run``). The manifest is kept with the data, in ``<name>-state``: one record for the
  index (settings, generation, a revision that changes at every write) and one per document, so
  a writer sends only what changed and a reader notices a change with one small request. The
  writer lock is a lease record in ``<name>-lock``: taken with Chroma's ``add`` (which keeps the
  first record of an id and ignores later ones, so exactly one contender wins), renewed by the
  writer every ``RENEW_SECONDS``, and taken over by another writer once ``LEASE_SECONDS`` pass
  without a renewal (a killed ingest). Expiry is judged on wall clocks, so the machines' clocks
  must agree to within a few seconds (NTP).

Both give ``PassageStore`` and ``ingest`` the same operations: a Chroma client, the manifest
read and written, a stamp that changes whenever another process writes, a writer lock, and
deletion of the whole index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from qa.errors import (
    IndexBusyError,
    IndexDamagedError,
    IndexUnreachableError,
    SettingsError,
)
from qa.index.manifest import (
    LEGACY_PASSAGE_VECTORS,
    LEGACY_SENTENCE_VECTORS,
    MANIFEST_NAME,
    DocumentEntry,
    IndexConfig,
    Manifest,
)
from qa.settings import DEFAULT_CHROMA_INDEX, load_settings

CHROMA_DIR = "chroma"
# The side index (``qa.index.side``): in the index folder, or per server index in the cache.
SIDE_NAME = "lexical.sqlite"
LOCK_NAME = "ingest.lock"
# The embedded store's collection names, kept from before there were servers.
LOCAL_COLLECTIONS = ("passages", "sentences")
DEFAULT_CHROMA_PORT = 8000
# How long a writer's lease on a server index lasts without renewal, and how often the writer
# renews it: a killed ingest blocks the next one for at most LEASE_SECONDS.
LEASE_SECONDS = 30.0
RENEW_SECONDS = 5.0
# How often a waiting ingest looks at the lease again.
POLL_SECONDS = 1.0
# A server that does not answer its heartbeat within this is reported unreachable.
HEARTBEAT_SECONDS = 5.0
# Bumped when the layout of the state records changes.
STATE_VERSION = 1
_HEADER_ID = "index"
_LEASE_ID = "lease"
_DOC_PREFIX = "doc:"
# Records per request when reading or writing state; one page holds a 5,000-document manifest.
_STATE_PAGE = 5000
# Chroma needs a vector for every record; state and lease records carry this one-number vector.
_NO_VECTOR = [1.0]
_INDEX_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,46}[A-Za-z0-9])?")
_READ_TRIES = 5


@dataclass(frozen=True)
class ChromaAddress:
    """A Chroma server's address, from ``http(s)://HOST[:PORT]``."""

    host: str
    port: int
    ssl: bool

    @property
    def url(self) -> str:
        """The normalised URL, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}"


def parse_chroma_url(value: str) -> ChromaAddress:
    """Read a Chroma server URL; the port defaults to Chroma's 8000 (443 for https).

    Raises:
        ValueError: Not ``http(s)://HOST[:PORT]`` (a path, query or login is refused too).

    Example:
        >>> parse_chroma_url("http://127.0.0.1:8123/").url
        'http://127.0.0.1:8123'
    """
    text = value.strip()
    problem = f"{text!r} is not a Chroma server URL; expected http://HOST:PORT, e.g. " + (
        "http://127.0.0.1:8000"
    )
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(problem) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError(problem)
    ssl = parts.scheme == "https"
    return ChromaAddress(parts.hostname, port or (443 if ssl else DEFAULT_CHROMA_PORT), ssl)


def check_index_name(value: str) -> str:
    """``value`` if it can name an index on a Chroma server (letters, digits, ``-``, ``_``).

    Raises:
        ValueError: The name is empty, too long (over 48) or has other characters.
    """
    if not _INDEX_NAME.fullmatch(value):
        msg = (
            f"{value!r} cannot name an index on a Chroma server: use 1 to 48 letters, digits, "
            "'-' or '_', starting and ending with a letter or digit"
        )
        raise ValueError(msg)
    return value


class WriterLock(Protocol):
    """One writer per index: what ``ingest`` holds while it writes."""

    def acquire(self, blocking: bool) -> bool:
        """Take the lock; without ``blocking``, ``False`` when another writer holds it."""
        ...

    def release(self) -> None:
        """Give the lock back."""
        ...

    def holder(self) -> str:
        """Who holds the lock, for messages (``""`` when unknown)."""
        ...


def index_location(
    index_dir: Path,
    chroma_url: str | None = None,
    name: str = DEFAULT_CHROMA_INDEX,
    cache_dir: Path | None = None,
) -> LocalIndex | ServerIndex:
    """The index named ``name`` on the server at ``chroma_url`` if given, else ``index_dir``'s.

    ``cache_dir`` holds a server index's side file (default ``Settings.cache_dir``).

    Raises:
        ValueError: ``chroma_url`` or ``name`` is malformed.
    """
    if chroma_url:
        return ServerIndex(chroma_url, name, cache_dir)
    return LocalIndex(index_dir)


# --- a folder on this machine --------------------------------------------------------------------


def folder_lock(index_dir: Path) -> FileLock:
    """The lock file an ingest holds in ``index_dir`` (the folder is created).

    ``filelock`` is released by the operating system even when the process is killed.

    Raises:
        SettingsError: ``index_dir`` is a file, or cannot be created.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot use {index_dir} as the index folder: {exc.strerror or exc}"
        raise SettingsError(msg) from exc
    return FileLock(index_dir / LOCK_NAME)


@dataclass
class _FolderLock:
    """``WriterLock`` over a ``FileLock``."""

    lock: FileLock

    def acquire(self, blocking: bool) -> bool:
        try:
            self.lock.acquire(timeout=-1 if blocking else 0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        self.lock.release()

    def holder(self) -> str:
        return ""


def _file_stamp(path: Path) -> tuple[int, int] | None:
    """What identifies one written version of a file: its inode and modification time (ns).

    The manifest is replaced by a new file at every write; with both the inode and the
    nanosecond modification time, two writes are told apart unless they reuse the inode within
    one clock tick.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns


# Chroma shares one engine per folder among a process's clients, and opening or closing one
# while another thread does the same breaks that sharing ("Could not connect to tenant", a
# KeyError on the folder): a served page opens a client while its indexing thread does.
_CLIENTS_LOCK = threading.RLock()


def _persistent_client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with _CLIENTS_LOCK:
        return chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )


class LocalIndex:
    """An index in a folder: embedded Chroma, ``manifest.json`` and a lock file."""

    collection_names = LOCAL_COLLECTIONS

    def __init__(self, index_dir: Path) -> None:
        """The index in ``index_dir`` (nothing is opened yet)."""
        self.index_dir = index_dir
        self.where = f"the index at {index_dir}"
        self.ingest_hint = f"fineprint ingest --index {index_dir}"
        self.side_path = index_dir / SIDE_NAME
        self._client: Any = None

    def client(self) -> Any:
        """The embedded Chroma client of the folder."""
        if self._client is None:
            self._client = _persistent_client(self.index_dir / CHROMA_DIR)
        return self._client

    def close(self) -> None:
        """Close the client.

        Chroma shares one engine among the clients of a folder in a process and reloads the
        folder from disk only once all of them are closed.
        """
        if self._client is not None:
            with _CLIENTS_LOCK:
                self._client.close()
            self._client = None

    def read_manifest(self) -> Manifest | None:
        """``manifest.json``; ``None`` when absent.

        Raises:
            IndexDamagedError: The file is unreadable, not JSON, or of another version.
        """
        return Manifest.read(self.index_dir)

    def write_manifest(self, manifest: Manifest) -> None:
        """Replace ``manifest.json`` atomically."""
        manifest.write(self.index_dir)

    def stamp(self) -> Hashable | None:
        """The manifest file's inode and modification time."""
        return _file_stamp(self.index_dir / MANIFEST_NAME)

    def writer_lock(self) -> WriterLock:
        """The lock file in the folder.

        Raises:
            SettingsError: The folder cannot be created.
        """
        return _FolderLock(folder_lock(self.index_dir))

    def destroy(self) -> None:
        """Delete the collections and the manifest."""
        chroma_dir = self.index_dir / CHROMA_DIR
        if chroma_dir.exists():
            # Chroma keeps one live client per folder for the life of the process; deleting the
            # files under it breaks every later client there ("Failed to get segments"). So drop
            # the collections through Chroma, and delete the files only if it cannot open them.
            try:
                client = _persistent_client(chroma_dir)
                try:
                    for collection in client.list_collections():
                        client.delete_collection(collection.name)
                finally:
                    with _CLIENTS_LOCK:
                        client.close()
            except Exception:
                shutil.rmtree(chroma_dir)
        (self.index_dir / MANIFEST_NAME).unlink(missing_ok=True)

    def size(self) -> int | None:
        """Bytes the folder takes."""
        return sum(p.stat().st_size for p in self.index_dir.rglob("*") if p.is_file())


# --- a Chroma server -----------------------------------------------------------------------------


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the server could not be reached or broke off (not a Chroma error)."""
    import httpx

    if isinstance(exc, httpx.TransportError | ConnectionError | socket.timeout):
        return True
    # chromadb's client turns a refused connection at start-up into this ValueError.
    return isinstance(exc, ValueError) and "Could not connect to a Chroma server" in str(exc)


def _reaching(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a lost connection in a ``ServerIndex`` method into ``IndexUnreachableError``."""

    @functools.wraps(method)
    def run(self: ServerIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            raise self.unreachable(exc) from exc

    return run


def _not_found(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def _manifest_from_records(records: dict[str, dict[str, Any]], where: str) -> Manifest | None:
    """The manifest the state records describe; ``None`` without the index record.

    Raises:
        IndexDamagedError: The index record is of another version or misses a field.
    """
    header = records.get(_HEADER_ID)
    if header is None:
        return None
    if header.get("state_version") != STATE_VERSION:
        msg = (
            f"{where} has state version {header.get('state_version')}, this Fineprint reads "
            f"{STATE_VERSION}; rebuild it with 'fineprint ingest --rebuild'"
        )
        raise IndexDamagedError(msg)
    try:
        config = IndexConfig(
            embedding_model=str(header["embedding_model"]),
            chunk_size=int(header["chunk_size"]),
            chunk_overlap=int(header["chunk_overlap"]),
            pipeline_version=int(header["pipeline_version"]),
            passage_vectors=str(header.get("passage_vectors", LEGACY_PASSAGE_VECTORS)),
            sentence_vectors=str(header.get("sentence_vectors", LEGACY_SENTENCE_VECTORS)),
        )
        documents = {
            str(meta["doc_id"]): DocumentEntry(
                **{key: value for key, value in meta.items() if key != "doc_id"}
            )
            for key, meta in records.items()
            if key.startswith(_DOC_PREFIX)
        }
        return Manifest(
            config=config,
            documents=documents,
            generation=int(header["generation"]),
            ingest_in_progress=bool(header["ingest_in_progress"]),
            build_id=str(header["build_id"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"the state of {where} is damaged ({exc}); run 'fineprint ingest --rebuild'"
        raise IndexDamagedError(msg) from exc


def _header_record(manifest: Manifest) -> dict[str, Any]:
    return {
        "state_version": STATE_VERSION,
        **asdict(manifest.config),
        "generation": manifest.generation,
        "ingest_in_progress": manifest.ingest_in_progress,
        "build_id": manifest.build_id,
        # Written at every save: what readers compare to notice a change (``stamp``).
        "revision": uuid.uuid4().hex,
    }


class ServerIndex:
    """An index on a Chroma server: collections ``<name>-*``, manifest and lease beside them."""

    def __init__(self, url: str, name: str, cache_dir: Path | None = None) -> None:
        """The index ``name`` on the server at ``url`` (nothing is contacted yet).

        Its side index is a cache on this machine, in ``cache_dir`` (``Settings.cache_dir``),
        named after the server and the index: each machine builds it from the server once per
        index build and then catches up document by document (``qa.index.side``).

        Raises:
            ValueError: ``url`` or ``name`` is malformed (``Settings`` checks both first).
        """
        self.address = parse_chroma_url(url)
        self.name = check_index_name(name)
        url = self.address.url
        self.where = f"the index '{name}' on the Chroma server at {url}"
        named = "" if name == DEFAULT_CHROMA_INDEX else f"FINEPRINT_CHROMA_INDEX={name} "
        self.ingest_hint = f"{named}fineprint ingest --chroma-url {url}"
        self.collection_names = (f"{name}-passages", f"{name}-sentences")
        server_key = hashlib.sha256(f"{url}\n{name}".encode()).hexdigest()[:16]
        # Unset: FINEPRINT_CACHE_DIR if set, else the default, as for any setting.
        cache = cache_dir or load_settings().cache_dir
        self.side_path = cache / "side" / f"{name}-{server_key}.sqlite"
        self._state_name = f"{name}-state"
        self._lock_name = f"{name}-lock"
        self._client: Any = None
        # The document entries as last read or written, so a write sends only what changed.
        self._saved: dict[str, DocumentEntry] = {}
        self._lease: _Lease | None = None

    def unreachable(self, exc: BaseException) -> IndexUnreachableError:
        """The error for a server that does not answer, naming it and what to check."""
        reason = " ".join(str(exc).split()) or type(exc).__name__
        msg = (
            f"cannot reach the Chroma server at {self.address.url} ({reason}); is it running "
            f"('chroma run --path DIR --port {self.address.port}'), and is the address right?"
        )
        return IndexUnreachableError(msg)

    def _heartbeat(self) -> None:
        """Ask the server's heartbeat, with a timeout (Chroma's own client waits forever)."""
        url = f"{self.address.url}/api/v2/heartbeat"
        try:
            with urllib.request.urlopen(url, timeout=HEARTBEAT_SECONDS) as response:
                json.loads(response.read())
        except (OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise self.unreachable(reason if isinstance(reason, Exception) else exc) from exc

    @_reaching
    def client(self) -> Any:
        """An ``HttpClient`` for the server, after its heartbeat answered.

        Raises:
            IndexUnreachableError: The server does not answer.
        """
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self._heartbeat()
            self._client = chromadb.HttpClient(
                host=self.address.host,
                port=self.address.port,
                ssl=self.address.ssl,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        return self._client

    def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _collection(self, name: str, *, create: bool) -> Any:
        """The collection ``name``; ``None`` when it is absent and ``create`` is false."""
        client = self.client()
        if create:
            # No embedding function: Chroma's default would download one.
            return client.get_or_create_collection(name, embedding_function=None)
        try:
            return client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if _not_found(exc):
                return None
            raise

    def _state_records(self) -> dict[str, dict[str, Any]]:
        """Every state record's metadata by id (empty when there is no state collection)."""
        state = self._collection(self._state_name, create=False)
        if state is None:
            return {}
        records: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = state.get(include=["metadatas"], limit=_STATE_PAGE, offset=offset)
            if not page["ids"]:
                return records
            records.update(zip(page["ids"], page["metadatas"], strict=True))
            offset += len(page["ids"])

    @_reaching
    def stamp(self) -> Hashable | None:
        """The index record's revision (one small request)."""
        state = self._collection(self._state_name, create=False)
        if state is None:
            return None
        page = state.get(ids=[_HEADER_ID], include=["metadatas"])
        return str(page["metadatas"][0].get("revision")) if page["ids"] else None

    @_reaching
    def read_manifest(self) -> Manifest | None:
        """The manifest from the state records; ``None`` when the index does not exist.

        A write that lands while the records are read changes the revision: they are read
        again, so the manifest is one that was written, not a mix of two.

        Raises:
            IndexDamagedError: The state is of another version or damaged.
            IndexUnreachableError: The server does not answer.
        """
        for _ in range(_READ_TRIES):
            before = self.stamp()
            records = self._state_records()
            header = records.get(_HEADER_ID)
            if header is None or header.get("revision") == before:
                break
        manifest = _manifest_from_records(records, self.where)
        self._saved = (
            {doc: replace(entry) for doc, entry in manifest.documents.items()} if manifest else {}
        )
        return manifest

    @_reaching
    def write_manifest(self, manifest: Manifest) -> None:
        """Send the documents added, changed or removed since the last write, then the index
        record: a reader that sees the new revision sees every document record before it.

        Raises:
            IndexBusyError: This process held the writer lease and lost it (it stalled for
                longer than ``LEASE_SECONDS`` and another ingest took over).
            IndexUnreachableError: The server does not answer.
        """
        if self._lease is not None and self._lease.lost:
            msg = (
                f"this ingest lost its writer lease on {self.where} (it stalled for over "
                f"{LEASE_SECONDS:.0f} s and another ingest took over); run it again"
            )
            raise IndexBusyError(msg)
        state = self._collection(self._state_name, create=True)
        gone = [_DOC_PREFIX + doc for doc in self._saved if doc not in manifest.documents]
        if gone:
            state.delete(ids=gone)
        changed = [
            (doc, entry)
            for doc, entry in manifest.documents.items()
            if self._saved.get(doc) != entry
        ]
        for start in range(0, len(changed), _STATE_PAGE):
            batch = changed[start : start + _STATE_PAGE]
            state.upsert(
                ids=[_DOC_PREFIX + doc for doc, _ in batch],
                embeddings=[_NO_VECTOR] * len(batch),
                metadatas=[{"doc_id": doc, **asdict(entry)} for doc, entry in batch],
            )
        header = _header_record(manifest)
        state.upsert(ids=[_HEADER_ID], embeddings=[_NO_VECTOR], metadatas=[header])
        self._saved = {doc: replace(entry) for doc, entry in manifest.documents.items()}

    def writer_lock(self) -> WriterLock:
        """A lease on the index, held by this process while it writes."""
        self._lease = _Lease(self)
        return self._lease

    @_reaching
    def destroy(self) -> None:
        """Delete the passages, sentences and state collections (the lease is kept)."""
        client = self.client()
        for name in (*self.collection_names, self._state_name):
            try:
                client.delete_collection(name)
            except Exception as exc:
                if not _not_found(exc):
                    raise
        self._saved = {}

    def size(self) -> int | None:
        """``None``: the data lives on the server's disk."""
        return None


class _Lease:
    """The writer lease on a server index (see the module docstring)."""

    def __init__(self, index: ServerIndex) -> None:
        self._index = index
        self.owner = uuid.uuid4().hex
        self.lost = False
        self._holder = ""
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _collection(self) -> Any:
        return self._index._collection(self._index._lock_name, create=True)

    def _record(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "expires_ms": int((time.time() + LEASE_SECONDS) * 1000),
        }

    def _current(self) -> dict[str, Any] | None:
        page = self._collection().get(ids=[_LEASE_ID], include=["metadatas"])
        return dict(page["metadatas"][0]) if page["ids"] else None

    def _try(self) -> bool:
        lease = self._current()
        if lease is not None:
            if lease.get("owner") == self.owner:
                return True
            if int(lease.get("expires_ms", 0)) > time.time() * 1000:
                self._holder = f"on {lease.get('host')}, pid {lease.get('pid')}"
                return False
            # Expired: remove exactly that record. If its writer renewed it meanwhile, the
            # condition no longer matches and nothing is removed.
            self._collection().delete(
                ids=[_LEASE_ID],
                where={"$and": [{"owner": lease["owner"]}, {"expires_ms": lease["expires_ms"]}]},
            )
        # ``add`` keeps an existing record: of several writers adding at once, one wins.
        self._collection().add(ids=[_LEASE_ID], embeddings=[_NO_VECTOR], metadatas=[self._record()])
        lease = self._current()
        if lease is not None and lease.get("owner") == self.owner:
            return True
        if lease is not None:
            self._holder = f"on {lease.get('host')}, pid {lease.get('pid')}"
        return False

    def acquire(self, blocking: bool) -> bool:
        """Take the lease; without ``blocking``, ``False`` while another writer holds it.

        Raises:
            IndexUnreachableError: The server does not answer.
        """
        while not self._index_try():
            if not blocking:
                return False
            time.sleep(POLL_SECONDS)
        self.lost = False
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="fineprint-lease", daemon=True)
        self._renewer.start()
        return True

    def _index_try(self) -> bool:
        try:
            return self._try()
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            raise self._index.unreachable(exc) from exc

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_SECONDS):
            try:
                lease = self._current()
                if lease is None or lease.get("owner") != self.owner:
                    self.lost = True
                    return
                self._collection().update(ids=[_LEASE_ID], metadatas=[self._record()])
            except Exception as exc:
                # A server that hiccups is tried again at the next beat: the lease outlasts a
                # few missed renewals. Anything else is a bug: the lease counts as lost (the
                # ingest stops at its next save) and the thread ends loudly.
                if not is_unreachable(exc):
                    self.lost = True
                    raise

    def release(self) -> None:
        """Stop renewing and remove the lease if it is still this writer's."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            self._collection().delete(ids=[_LEASE_ID], where={"owner": self.owner})
        except Exception as exc:
            # Unreachable now: the lease expires by itself after LEASE_SECONDS.
            if not is_unreachable(exc):
                raise

    def holder(self) -> str:
        """The host and process id of the writer that held the lease at the last try."""
        return self._holder
