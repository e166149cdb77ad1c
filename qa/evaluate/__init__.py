"""Scoring Fineprint's answers against test questions with gold evidence quotes.

One job per module, in the order a run uses them:

- ``questions``: load and validate the JSONL question files.
- ``support``: decide whether a passage supports a question (the gold is quotes, not ids).
- ``metrics``: retrieval (through ir_measures), citation, abstention and latency figures.
- ``report``: ``report.md`` and its PNG plots.
- ``harness``: ``run_eval`` ties them together around the same ``AnswerChain`` the chat uses.
- ``baseline``: the simple MiniLM + Chroma recipe, scored beside Fineprint.
- ``policyqa``: the PolicyQA retrieval benchmark (data, corpus, systems, run).
"""
