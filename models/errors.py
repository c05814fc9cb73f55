"""``ActionError``: the one error of the action vocabulary (``models.actions``, ``models.keys``).

It lives in its own module so that the key names and the actions can both raise it without
importing each other. Its public home is ``models.actions``: it is named so there (its
``__module__``), as tracebacks, doctests and callers have always known it.
"""

from __future__ import annotations


class ActionError(ValueError):
    """An action (or its JSON form) is malformed; the message says what and where."""


ActionError.__module__ = "models.actions"
