"""Answering: evidence sentences, abstention, and the cited answer.

- ``evidence``: which sentences of the retrieved passages to quote.
- ``abstention``: whether the evidence answers the question at all.
- ``extractive``: the offline answer, quotes with ``[n]`` markers.
- ``generative``: an optional chat model's answer, every citation checked.
- ``chain``: the whole step as one LangChain ``Runnable``.
- ``result``: the typed result the chain returns and the page shows.
- ``phrases``: fixed phrases in English and Indonesian.
"""
