"""The version of pepperpy-caching: the one place it is written.

The build backend reads it from here for the package metadata, and both
``pepperpy.caching.__version__`` and ``pepperpy-cache --version`` import it.
"""

__version__ = "0.1.0"
"""The version of pepperpy-caching, as in its package metadata (``pip show``)."""
