"""`python -m pipeline ...` is `wmin ...`, for a process started from this Python.

Not `python -c "...app()"`: pyspark (which Great Expectations imports when it is installed)
takes a main module without a file or spec for a doctest run and exits it, silently, with 0.
"""

from pipeline.cli import app

app()
