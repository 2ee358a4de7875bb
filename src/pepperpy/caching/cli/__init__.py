"""The ``pepperpy-cache`` command line (also ``python -m pepperpy.caching``)."""
