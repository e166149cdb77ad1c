"""Drill: servers left running while ``fineprint ingest`` changes their index from outside.

Two ``python app.py`` processes serve one index built from a copy of
``../shared/cases/serve-while-ingest/docs``. Then, from a third process, the drill edits a
document, adds one, removes one, ``--rounds`` times over, running ``fineprint ingest`` after each
change, and asks both servers after every step. Each answer is checked against what the corpus
says at that moment: the current retention period quoted, the cookie notice cited only while it
exists, never an error. Meanwhile ``--hammer`` threads ask both servers without a pause, so
questions also land while an ingest is writing: those must never fail either. To make those
writes long, ``--big`` policies of the sample corpus are in the corpus too and gain a line at
every step, so each ingest embeds them again.

Example:
    python evals/drills/follow_ingest.py --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import SHARED, free_port, fresh_copy, percentile, run_ingest, start_app, stop

CASE = SHARED / "cases" / "serve-while-ingest"
RETENTION = "How long are support chat logs kept?"
COOKIE = "When does the rowan_session cookie expire?"
COOKIE_FILE = "rowan-cookies.md"
POLICY_FILE = "rowan-privacy.md"
PERIODS = ("30 days", "90 days", "45 days", "120 days")
DEFAULT_ROUNDS = 3
DEFAULT_HAMMER = 4
DEFAULT_BIG = 3
SERVERS = 2


def ask(client: Any, question: str) -> tuple[dict[str, Any] | None, str, float]:
    """The result of ``question`` (or ``None``), an error text, and the seconds it took."""
    started = time.perf_counter()
    try:
        result = client.predict(question, api_name="/answer")
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200], time.perf_counter() - started
    return dict(result), "", time.perf_counter() - started


def check(result: dict[str, Any] | None, period: str, cookie_present: bool, question: str) -> str:
    """What is wrong with ``result`` given the corpus's state; ``""`` when it is right."""
    if result is None:
        return "error"
    quotes = " ".join(c["quote"] for c in result["citations"])
    documents = {p["source"]["doc_id"] for p in result["passages"]}
    if question == RETENTION and f"for {period}" not in quotes:
        return f"did not quote 'for {period}'"
    if question == COOKIE and cookie_present and "two hours" not in quotes:
        return "did not quote the cookie notice"
    if not cookie_present and COOKIE_FILE in documents:
        return "showed the removed cookie notice"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Serve, change the corpus from outside, ask after each change; print the figures."""
    from gradio_client import Client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="Change cycles.")
    parser.add_argument(
        "--hammer", type=int, default=DEFAULT_HAMMER, help="Threads asking without a pause."
    )
    parser.add_argument(
        "--big", type=int, default=DEFAULT_BIG, help="Sample policies re-embedded at each step."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fp-follow-") as work:
        root = Path(work)
        corpus = fresh_copy(CASE / "docs", root / "corpus")
        big = sorted((SHARED / "corpus" / "policies").glob("*.md"))[: args.big]
        for path in big:
            shutil.copy(path, corpus / path.name)
        index = root / "index"
        ports = [free_port() for _ in range(SERVERS)]
        servers = [start_app(port, corpus, index, quiet=True) for port in ports]
        clients = [Client(f"http://127.0.0.1:{port}/", verbose=False) for port in ports]
        asked, wrong, latencies = 0, [], []
        period, cookie_present = PERIODS[0], False
        stop_hammer = threading.Event()
        hammered: list[str] = []  # one entry per question; "" when it was answered

        def hammer(number: int) -> None:
            client = Client(f"http://127.0.0.1:{ports[number % SERVERS]}/", verbose=False)
            while not stop_hammer.is_set():
                question = (RETENTION, COOKIE)[len(hammered) % 2]
                hammered.append(ask(client, question)[1])

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(args.hammer)]
        for thread in threads:
            thread.start()
        try:
            steps = 0
            for round_number in range(args.rounds):
                for step in ("edit", "add", "remove"):
                    policy = corpus / POLICY_FILE
                    if step == "edit":
                        new = PERIODS[(round_number + 1) % len(PERIODS)]
                        policy.write_text(policy.read_text().replace(f"for {period}", f"for {new}"))
                        period = new
                    elif step == "add":
                        shutil.copy(CASE / COOKIE_FILE, corpus / COOKIE_FILE)
                        cookie_present = True
                    else:
                        (corpus / COOKIE_FILE).unlink()
                        cookie_present = False
                    for path in big:
                        with (corpus / path.name).open("a", encoding="utf-8") as handle:
                            handle.write(f"\nThis copy was changed at drill step {steps + 1}.\n")
                    done = run_ingest(corpus, index)
                    if done.returncode != 0:
                        wrong.append(f"ingest failed: {done.stderr.strip()[-200:]}")
                    steps += 1
                    for number, client in enumerate(clients, start=1):
                        for question in (RETENTION, COOKIE):
                            result, error, seconds = ask(client, question)
                            asked += 1
                            latencies.append(seconds)
                            problem = error or check(result, period, cookie_present, question)
                            if problem:
                                wrong.append(f"step {steps} ({step}), server {number}: {problem}")
        finally:
            stop_hammer.set()
            for thread in threads:
                thread.join()
            for server in servers:
                stop(server)
    print(f"{SERVERS} servers, {steps} ingests from another process, {asked} questions asked")
    print(
        f"answered right: {asked - len(wrong)}/{asked}; "
        f"latency p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s"
    )
    failed = [error for error in hammered if error]
    print(
        f"asked while ingests ran ({args.hammer} threads): {len(hammered)} questions, "
        f"{len(failed)} failed"
    )
    for problem in wrong + [f"hammer: {error}" for error in failed[:5]]:
        print(f"  wrong: {problem}")
    return 1 if wrong or failed else 0


if __name__ == "__main__":
    sys.exit(main())
