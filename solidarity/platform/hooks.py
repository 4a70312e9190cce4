"""Extension points: how a lower layer lets a higher one act without importing it.

The layers import downwards only (docs/architecture.md; import-linter checks it). Where a lower layer's work
must be completed by a higher one (adopting a cycle records its pledges; a confirmed finding concerns the
activations towards its state), the lower layer declares a ``Hook`` in its ``hooks.py``, says there what it
expects, and calls it; the higher layer implements it once, in its ``AppConfig.ready()``.

A hook is not a signal: it has exactly one implementation, is called explicitly and synchronously (inside
the caller's transaction where there is one), and returns a value. Until it is implemented it answers with
its documented default, so that a lower layer runs and is tested on its own.
"""

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, *, default: Callable[..., Any]):
        self.name = name
        self._default = default
        self._implementation: Callable[..., Any] | None = None

    def implement(self, implementation: Callable[..., Any]) -> Callable[..., Any]:
        """Set the one implementation (idempotent for the same function: ``ready()`` may run twice in tests)."""
        if self._implementation is not None and self._implementation is not implementation:
            raise RuntimeError(f"The hook {self.name!r} is implemented already, by {self._implementation!r}.")
        self._implementation = implementation
        return implementation

    @property
    def implemented(self) -> bool:
        return self._implementation is not None

    def __call__(self, *args, **kwargs):
        return (self._implementation or self._default)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"
