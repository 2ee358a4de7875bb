"""Document objects under their public names, and resolve references to those names.

Type hints and docstrings name objects where they are defined
(``pepperpy.caching.core.entry.CacheStats``), while the reference documents them where
users import them (``pepperpy.caching.CacheStats``). When a ``pepperpy.caching.…``
reference finds no target, this tries the same name with the private module path left
out (or, for a bare name in a module of the package, with the package put in front),
and resolves to it if it exists. Failing that, a name documented only under a longer
path is found by its last components, when they are unambiguous. Anything else stays
unresolved and, with ``nitpicky``, is reported.

Module-level data (``TTL``, ``MISS``, ``POLICY_NAMES``) carries its docstring in the
module that defines it, which autodoc does not read when the name is documented as
``pepperpy.caching.TTL``; :func:`data_docstring` finds it there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

__all__ = ("data_docstring", "documented_elsewhere", "public_candidates", "setup")

PACKAGE = "pepperpy.caching"


def public_candidates(target: str, module: str | None) -> list[str]:
    """Public spellings of ``target``, written in the docstrings of ``module``.

    ``pepperpy.caching.core.entry.CacheStats`` may be ``pepperpy.caching.CacheStats``
    (or ``pepperpy.caching.core.CacheStats``);
    a name written without its package (``CacheStats``) in a module of ``PACKAGE`` may
    be ``pepperpy.caching.CacheStats``.
    """
    if target.startswith(PACKAGE + "."):
        parts = target[len(PACKAGE) + 1 :].split(".")
        # Keep the object path (parts[end:]) and a leading part of the module path
        # (parts[:keep]), dropping the private modules in between: shortest first.
        found = [
            ".".join([PACKAGE, *parts[:keep], *parts[end:]])
            for end in range(1, len(parts))
            for keep in range(end)
        ]
        return sorted(set(found), key=len)
    if module is not None and (module == PACKAGE or module.startswith(PACKAGE + ".")):
        return [f"{PACKAGE}.{target}"]
    return []


def resolve(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.reference | None:
    """The ``missing-reference`` handler."""
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    target = node["reftarget"]
    candidates = public_candidates(target, node.get("py:module"))
    # Canonical aliases (the defining module's path) point at the same entry: skip them.
    documented = [name for name, entry in domain.objects.items() if not entry.aliased]
    candidates += documented_elsewhere(target, documented)
    for candidate in candidates:
        found = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
        )
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def documented_elsewhere(target: str, documented: Iterable[str]) -> list[str]:
    """The one documented name of the package that ends like ``target``, if just one.

    A page may document a class as ``pepperpy.caching.core.serializers.JsonSerializer``
    while another refers to it as ``pepperpy.caching.JsonSerializer``, or as
    ``JsonSerializer``: both find it, as long as no other documented name of the
    package ends the same way.
    """
    if target.startswith(PACKAGE + "."):
        tail = target[len(PACKAGE) + 1 :]
    elif "." not in target:
        tail = target
    else:
        return []
    matches = [
        name for name in documented if name.startswith(PACKAGE + ".") and name.endswith("." + tail)
    ]
    return matches if len(matches) == 1 else []


def data_docstring(name: str) -> list[str] | None:
    """The docstring lines of the data ``name`` in the module of the package defining it.

    The defining module is the one whose attribute of that name is the very object
    the public name holds, and whose source documents it.
    """
    package, _, attribute = name.rpartition(".")
    if package != PACKAGE:
        return None
    public = getattr(sys.modules[PACKAGE], attribute, None)
    for module_name, module in sorted(sys.modules.items()):
        if (
            not module_name.startswith(PACKAGE + ".")
            or getattr(module, attribute, None) is not public
        ):
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except PycodeError:
            continue
        if ("", attribute) in docs:
            return list(docs["", attribute])
    return None


def fill_data_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """The ``autodoc-process-docstring`` handler: data gets its own docstring."""
    if what != "data":
        return
    found = data_docstring(name)
    if found is not None:
        lines[:] = found


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers."""
    app.connect("missing-reference", resolve)
    app.connect("autodoc-process-docstring", fill_data_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
