"""Lazy package exports (PEP 562): a package's public names are imported on first use.

``bimo --help`` imports every domain's ``cli`` submodule, which runs the package's
``__init__``; eager re-exports there would load SciPy, FastAPI, rdflib … for nothing. A package
lists its exports and their modules and installs the two hooks::

    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

with the same names imported under ``if TYPE_CHECKING:`` so that type checkers see them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a public name to the module
    that defines it; ``names`` is the package's ``__all__``."""
    namespace = sys.modules[package].__dict__

    def module_getattr(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            if not name.startswith("__"):
                # Submodules stay reachable as attributes (``pkg.submodule``), as when eager
                # imports had loaded them.
                try:
                    return importlib.import_module(f"{package}.{name}")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{package}.{name}":
                        raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def module_dir() -> list[str]:
        return sorted(set(namespace) | set(names))

    return module_getattr, module_dir
