"""Drill: many people asking at once, through the same API the page uses.

Targets a running app (``--url``, default http://127.0.0.1:7860) or starts ``python app.py``
itself (``--start``), fires ``--users`` questions at the same moment through ``gradio_client``
(one client per simulated user, all released by a barrier), and prints how many were
answered and the latency percentiles.

Example:
    python evals/drills/concurrent_questions.py                      # a running app
    python evals/drills/concurrent_questions.py --start --users 50   # start app.py, test it
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from common import percentile, start_app, stop

DEFAULT_URL = "http://127.0.0.1:7860"
DEFAULT_USERS = 20
DEFAULT_TIMEOUT_S = 300.0
QUESTIONS = (
    "Is my contact list shared with Facebook?",
    "Apakah daftar kontak saya dibagikan ke Facebook?",
    "When does the new WhatsApp privacy policy take effect?",
    "What does Signal store about me?",
    "Can WhatsApp see my shared location?",
    "Does Telegram share my data with other companies?",
    "Kapan kebijakan privasi baru WhatsApp mulai berlaku?",
    "Does WhatsApp keep logs of who I message?",
    "What information does Facebook collect about my device?",
    "Is WhatsApp's privacy policy different in Europe?",
)


@dataclass
class Outcome:
    """One simulated user's question and what came back."""

    question: str
    seconds: float
    status: str  # "cited", "abstained" or "error"
    detail: str = ""


def _answer_text(history: list[dict[str, Any]]) -> str:
    content = history[-1]["content"] if history else ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def ask_once(
    url: str,
    question: str,
    barrier: threading.Barrier,
    auth: tuple[str, str] | None,
    timeout_s: float,
) -> Outcome:
    """Connect, wait for everyone, ask ``question`` through ``/ask`` and time the answer."""
    from gradio_client import Client

    try:
        client = Client(url, auth=auth, verbose=False)
    except Exception as exc:
        barrier.abort()
        return Outcome(question, 0.0, "error", f"connect: {type(exc).__name__}: {exc}")
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return Outcome(question, 0.0, "error", "another user could not connect")
    started = time.perf_counter()
    try:
        job = client.submit(question, [], "", "", "", "", "", api_name="/ask")
        history, sources, _box = job.result(timeout=timeout_s)
    except Exception as exc:
        return Outcome(question, time.perf_counter() - started, "error", f"{exc!r}"[:200])
    seconds = time.perf_counter() - started
    answer = _answer_text(history)
    if "fp-cite" in answer and "<article" in sources:
        return Outcome(question, seconds, "cited")
    if "not an answer" in sources.lower() or "bukan jawaban" in sources.lower():
        return Outcome(question, seconds, "abstained")
    return Outcome(question, seconds, "error", answer[:200])


def run(url: str, users: int, auth: tuple[str, str] | None, timeout_s: float) -> list[Outcome]:
    """Ask ``users`` questions at once; return each outcome."""
    barrier = threading.Barrier(users)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(users)]
    with ThreadPoolExecutor(users) as pool:
        futures = [pool.submit(ask_once, url, q, barrier, auth, timeout_s) for q in questions]
        return [future.result() for future in futures]


def report(outcomes: list[Outcome], wall_s: float) -> int:
    """Print the figures; return the number of questions left without an answer."""
    answered = [o for o in outcomes if o.status != "error"]
    cited = sum(1 for o in outcomes if o.status == "cited")
    abstained = sum(1 for o in outcomes if o.status == "abstained")
    latencies = [o.seconds for o in answered]
    print(f"asked {len(outcomes)} questions at once; wall time {wall_s:.1f} s")
    print(f"answered {len(answered)}/{len(outcomes)} ({cited} cited, {abstained} abstained)")
    print(
        f"latency p50 {percentile(latencies, 0.50):.2f} s, p95 {percentile(latencies, 0.95):.2f} s,"
        f" max {max(latencies, default=math.nan):.2f} s"
    )
    for outcome in outcomes:
        if outcome.status == "error":
            print(f"  error: {outcome.question!r}: {outcome.detail}")
    return len(outcomes) - len(answered)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the load test, print the figures; exit 1 if any went unanswered."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help=f"The app (default {DEFAULT_URL}).")
    parser.add_argument("--users", type=int, default=DEFAULT_USERS, help="Questions at once.")
    parser.add_argument("--start", action="store_true", help="Start app.py first, stop it after.")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="Per question.")
    parser.add_argument("--user", default=os.environ.get("FINEPRINT_AUTH_USER"), help="Login.")
    parser.add_argument(
        "--password", default=os.environ.get("FINEPRINT_AUTH_PASSWORD"), help="Password."
    )
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    auth = (args.user, args.password) if args.user and args.password else None
    process = None
    if args.start:
        port = httpx.URL(url).port or 80
        print(f"starting app.py on port {port} …", flush=True)
        process = start_app(port)
    try:
        started = time.perf_counter()
        outcomes = run(url, args.users, auth, args.timeout)
        unanswered = report(outcomes, time.perf_counter() - started)
    finally:
        if process is not None:
            stop(process)
    return 1 if unanswered else 0


if __name__ == "__main__":
    sys.exit(main())
