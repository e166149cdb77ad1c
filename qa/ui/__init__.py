"""The web chat.

- ``render``: pure functions from a result to chat Markdown and sources HTML, all escaped.
- ``changes_view``: the Changes tab's HTML (two versions side by side), all escaped.
- ``changes_page``: the Changes tab's handlers (pick a series and versions, follow a link).
- ``app``: the Gradio page (``page.css`` and ``page.js`` beside it) wired to the chain.
- ``server``: address and login checks, the index brought up to date, the launch.
"""
