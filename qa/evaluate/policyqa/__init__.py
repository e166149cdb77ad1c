"""PolicyQA (Ahmad et al., 2020) as a retrieval benchmark: ``fineprint eval-policyqa``.

Questions about OPP-115 privacy policies, in SQuAD v1 JSON; each is answered from its own
website only. Fineprint, the simple MiniLM + Chroma recipe and random ranking are scored on
where they rank the gold paragraph (hit@1/3/5, mrr@10) and whether their best evidence
sentence holds the answer (sentence_hit@1).

- ``data``: the split (websites, paragraphs, questions, gold) and the sentence-hit rule.
- ``corpus``: the websites as a Fineprint Markdown corpus.
- ``systems``: the three systems under test.
- ``run``: the run, its figures and output files (definitions in its docstring).
"""

from qa.evaluate.policyqa.data import (
    Answer,
    Benchmark,
    Output,
    Paragraph,
    Question,
    Sentence,
    load_split,
    select_questions,
    sentence_hit,
)
from qa.evaluate.policyqa.run import (
    METRIC_NAMES,
    SYSTEMS,
    Report,
    format_table,
    run_policyqa,
)

__all__ = [
    "METRIC_NAMES",
    "SYSTEMS",
    "Answer",
    "Benchmark",
    "Output",
    "Paragraph",
    "Question",
    "Report",
    "Sentence",
    "format_table",
    "load_split",
    "run_policyqa",
    "select_questions",
    "sentence_hit",
]
