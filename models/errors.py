"""``ActionError``: the one error of the action vocabulary (``models.actions``, ``models.keys``).

It lives in its own module so that the key names and the actions can both raise it without
importing each other; ``models.actions.ActionError`` is the same class.
"""

from __future__ import annotations


class ActionError(ValueError):
    """An action (or its JSON form) is malformed; the message says what and where."""
