"""Where log lines go: the terminal (stderr) gets Deskhand's own, and other libraries' only when
they warn — unless ``--verbose``, which lets every library's INFO through (alembic's
migration chatter, the HTTP client's requests...).

The one design choice a reader must know: this is configured once, by the command line's root
callback, before any command runs; a command's own ``logging.basicConfig`` then changes
nothing, so no command can bring library chatter back to the terminal.
"""

from __future__ import annotations

import logging
import sys

OURS = ("agent", "app", "learner", "models", "deskhand")
FORMAT = "%(asctime)s %(name)s: %(message)s"
HANDLER_NAME = "deskhand-terminal"


class _OwnOrLoud(logging.Filter):
    """Deskhand's own records from INFO, anyone else's from WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name.split(".", 1)[0] in OURS
        return ours or record.levelno >= logging.WARNING


def configure(verbose: bool = False) -> logging.Handler:
    """Send log lines to stderr (see the module doc); calling again replaces the handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    if not verbose:
        handler.addFilter(_OwnOrLoud())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
