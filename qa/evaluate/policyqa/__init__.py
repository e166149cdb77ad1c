"""The PolicyQA retrieval benchmark (being split into data, corpus, systems and run)."""

from qa.evaluate.policyqa.run import format_table, run_policyqa

__all__ = ["format_table", "run_policyqa"]
