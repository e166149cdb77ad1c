"""Fineprint: cited answers over privacy policies, terms of service and the news about them.

The package reads in pipeline order: ``load`` -> ``chunk`` -> ``embeddings``/``index`` ->
``retrieve`` -> ``evidence``/``answer`` -> ``chain`` -> ``cli``/``web``.
"""

import os

__version__ = "0.1.0"

# Offline by default. These are read when the libraries are first imported, which may happen
# before Fineprint loads a model (Gradio imports huggingface_hub), so they are set here, first.
# FINEPRINT_ALLOW_HUB=1 lets sentence-transformers fetch hub models by name.
if not os.environ.get("FINEPRINT_ALLOW_HUB"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
