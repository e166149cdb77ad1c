"""Fineprint: cited answers over privacy policies, terms of service and the news about them.

The package reads in pipeline order: ``load`` -> ``chunk`` -> ``embeddings``/``index`` ->
``retrieve`` -> ``evidence``/``answer`` -> ``chain`` -> ``cli``/``web``.
"""

__version__ = "0.1.0"
