"""The web chat.

- ``render``: pure functions from a result to chat Markdown and sources HTML, all escaped.
- ``app``: the Gradio page (``page.css`` and ``page.js`` beside it) wired to the chain.
- ``server``: address and login checks, the index brought up to date, the launch.
"""
