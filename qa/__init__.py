"""Fineprint: cited answers over privacy policies, terms of service and the news about them.

The folders are the pipeline, in the order a question's evidence travels:

- ``qa.load``: files -> ``Document`` (one loader per format, front matter, language id).
- ``qa.index``: sentences, chunking into passages, embeddings, the Chroma store and its
  manifest, the side index (SQLite: BM25, documents, words), incremental ingest.
- ``qa.retrieve``: BM25, metadata filters, the catalog, hybrid score fusion.
- ``qa.answer``: evidence sentences, abstention, extractive and generative answers, the
  LangChain chain, the result types, fixed phrases.
- ``qa.ui``: pure rendering, the Gradio app (with ``page.css``/``page.js``), the server.
- ``qa.evaluate``: question sets, the support rule, metrics, reports, the baseline, PolicyQA.

On top: ``qa.cli`` (the ``fineprint`` command), ``qa.settings`` (the one typed settings
object, tuned numbers included) and ``qa.errors`` (every error meant for the user).
"""

import os

__version__ = "0.1.0"


def _offline_environment() -> None:
    """Switch the hub, telemetry and analytics off unless ``FINEPRINT_ALLOW_HUB`` is set.

    Libraries read these when first imported, which can happen before Fineprint loads a model
    (Gradio imports huggingface_hub), so the package sets them on import, here and nowhere
    else. Values the user set explicitly are kept.
    """
    if not os.environ.get("FINEPRINT_ALLOW_HUB"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


_offline_environment()
