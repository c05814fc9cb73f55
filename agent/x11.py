"""Small X11 queries through python-xlib: the active window's title, windows by title.

Window managers differ: EWMH (``_NET_ACTIVE_WINDOW``, ``_NET_WM_NAME``) is tried first, then
core X (input focus, ``WM_NAME``), so it also works on a bare Xvfb with no window manager.
Every call opens and closes its own connection; failures return empty answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


@contextmanager
def _display() -> Iterator[Any]:
    from Xlib import display

    disp = display.Display()
    try:
        yield disp
    finally:
        disp.close()


def _title(disp: Any, window: Any) -> str | None:
    try:
        net_name = window.get_full_property(disp.intern_atom("_NET_WM_NAME"),
                                            disp.intern_atom("UTF8_STRING"))
        if net_name is not None and net_name.value:
            value = net_name.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        if isinstance(name, bytes):
            return name.decode("latin-1")
        return str(name) if name else None
    except Exception:
        return None


def _active_title(disp: Any) -> str | None:
    root = disp.screen().root
    active = root.get_full_property(disp.intern_atom("_NET_ACTIVE_WINDOW"), 0)
    window = None
    if active is not None and active.value and active.value[0]:
        window = disp.create_resource_object("window", active.value[0])
    else:
        window = disp.get_input_focus().focus
    while window is not None and not isinstance(window, int) and window != root:
        title = _title(disp, window)
        if title:
            return title
        window = window.query_tree().parent
    return None


def active_window_title() -> str | None:
    try:
        with _display() as disp:
            return _active_title(disp)
    except Exception:
        return None


class Desktop:
    """One kept X connection for the per-capture questions: pointer and focused title."""

    def __init__(self) -> None:
        from Xlib import display

        self._display: Any = display.Display()

    def pointer(self) -> tuple[int, int] | None:
        try:
            reply = self._display.screen().root.query_pointer()
            return int(reply.root_x), int(reply.root_y)
        except Exception:
            return None

    def active_window_title(self) -> str | None:
        try:
            return _active_title(self._display)
        except Exception:
            return None

    def close(self) -> None:
        self._display.close()


def window_rects(titles: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """(left, top, width, height) in root coordinates of viewable windows whose title
    contains any of ``titles`` (case-insensitive)."""
    wanted = [t.lower() for t in titles if t]
    if not wanted:
        return []
    found: list[tuple[int, int, int, int]] = []
    try:
        with _display() as disp:
            root = disp.screen().root
            stack = list(root.query_tree().children)
            while stack:
                window = stack.pop()
                try:
                    attrs = window.get_attributes()
                    if attrs.map_state != 2:  # IsViewable
                        continue
                    title = _title(disp, window)
                    if title and any(w in title.lower() for w in wanted):
                        geo = window.get_geometry()
                        pos = window.translate_coords(root, 0, 0)
                        found.append((-pos.x, -pos.y, geo.width, geo.height))
                        continue
                    stack.extend(window.query_tree().children)
                except Exception:
                    continue  # windows come and go while we walk the tree
    except Exception:
        return found
    return found

