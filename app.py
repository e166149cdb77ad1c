"""Start Fineprint's web chat: ``python app.py``.

Settings come from the environment only (``FINEPRINT_CORPUS_DIR``, ``FINEPRINT_INDEX_DIR``,
``FINEPRINT_HOST``, ``FINEPRINT_PORT``, ``FINEPRINT_AUTH_USER``, ...). The index is brought up
to date first (built on the first start, incremental afterwards), then the page is served on
http://127.0.0.1:7860 unless told otherwise.
"""

from qa.cli import main

if __name__ == "__main__":
    # The same command as ``fineprint serve``: one way to start, one way to report errors.
    main(["serve"])
