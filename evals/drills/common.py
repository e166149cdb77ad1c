"""What the drills share: percentiles, free ports, and starting real Fineprint processes.

The drills are scripts, not tests: each starts real processes (``python app.py``,
``python -m qa.cli ingest``), does to them what a user or an attacker would, and prints figures.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FINEPRINT_SHARED_DIR", REPO.parent / "shared"))
STARTUP_TIMEOUT_S = 600.0
POLL_S = 0.5


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; ``nan`` when empty.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
        2.0
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_copy(source: Path, target: Path) -> Path:
    """``target`` as a fresh copy of the folder ``source`` (an old ``target`` is removed)."""
    shutil.rmtree(target, ignore_errors=True)
    return Path(shutil.copytree(source, target, symlinks=True))


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll ``url`` until it answers, failing early if the app process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"app.py exited with status {process.returncode} before serving"
            raise SystemExit(msg)
        try:
            if httpx.get(f"{url}/config", timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL_S)
    msg = f"{url} did not come up within {timeout_s:.0f} s"
    raise SystemExit(msg)


def start_app(
    port: int, corpus: Path | None = None, index: Path | None = None, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """Start ``python app.py`` on 127.0.0.1:``port`` (optionally on ``corpus``/``index``).

    Returns once the page answers; its output goes to this console unless ``quiet``.
    """
    env = {**os.environ, "FINEPRINT_PORT": str(port), "FINEPRINT_HOST": "127.0.0.1"}
    if corpus is not None:
        env["FINEPRINT_CORPUS_DIR"] = str(corpus)
    if index is not None:
        env["FINEPRINT_INDEX_DIR"] = str(index)
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=REPO, env=env, stdout=output, stderr=output
    )
    wait_until_up(f"http://127.0.0.1:{port}", process, STARTUP_TIMEOUT_S)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a started process and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ingest_command(corpus: Path, index: Path, *extra: str) -> list[str]:
    """The ``fineprint ingest`` command line for ``corpus`` and ``index``."""
    return [
        sys.executable,
        "-m",
        "qa.cli",
        "ingest",
        "--corpus",
        str(corpus),
        "--index",
        str(index),
        *extra,
    ]


def run_ingest(corpus: Path, index: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``fineprint ingest`` as its own process and wait for it."""
    return subprocess.run(
        ingest_command(corpus, index, *extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
