"""Small X11 queries through python-xlib: the focused window, the window stack, windows by title.

Window managers differ: EWMH (``_NET_ACTIVE_WINDOW``, ``_NET_WM_NAME``) is tried first, then
core X (input focus, ``WM_NAME``), so it also works on a bare Xvfb with no window manager.
A window's app is its ``WM_CLASS`` (instance and class) and the process named by
``_NET_WM_PID``; under a reparenting window manager the app's window is the frame's child
that carries ``WM_STATE``. The module functions open and close their own connection;
``Desktop`` keeps one for the per-capture questions. Failures return empty answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.screen import Rect, WindowInfo

MAX_WINDOWS = 256  # top-level windows looked at per capture
_CLIENT_SEARCH = 64  # windows searched below a frame for the app's own window


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
        net_name = window.get_full_property(disp.get_atom("_NET_WM_NAME"),
                                            disp.get_atom("UTF8_STRING"))
        if net_name is not None and net_name.value:
            value = net_name.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        if isinstance(name, bytes):
            return name.decode("latin-1")
        return str(name) if name else None
    except Exception:
        return None


def _focused_window(disp: Any) -> Any:
    root = disp.screen().root
    active = root.get_full_property(disp.get_atom("_NET_ACTIVE_WINDOW"), 0)
    if active is not None and active.value and active.value[0]:
        return disp.create_resource_object("window", active.value[0])
    return disp.get_input_focus().focus


def _active_title(disp: Any) -> str | None:
    root = disp.screen().root
    window = _focused_window(disp)
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

    def active_window(self) -> WindowInfo | None:
        """The focused window with its app, or None."""
        try:
            return _active_info(self._display)
        except Exception:
            return None

    def windows(self) -> tuple[WindowInfo, ...]:
        """The visible top-level windows, top-most first."""
        try:
            return window_stack(self._display)
        except Exception:
            return ()

    def close(self) -> None:
        self._display.close()


def _has(disp: Any, window: Any, atom_name: str) -> bool:
    prop = window.get_property(disp.get_atom(atom_name), 0, 0, 0)
    return prop is not None and prop.property_type != 0


def _client(disp: Any, top: Any) -> Any:
    """The app's own window for a top-level window: itself, or (under a reparenting window
    manager) the first window below it that has ``WM_STATE``."""
    if _has(disp, top, "WM_STATE") or _has(disp, top, "WM_CLASS"):
        return top
    queue, seen = list(top.query_tree().children), 0
    while queue and seen < _CLIENT_SEARCH:
        window = queue.pop(0)
        seen += 1
        if _has(disp, window, "WM_STATE"):
            return window
        queue.extend(window.query_tree().children)
    return top


def _pid(disp: Any, window: Any) -> int | None:
    prop = window.get_full_property(disp.get_atom("_NET_WM_PID"), 0)
    if prop is None or not len(prop.value):
        return None
    pid = int(prop.value[0])
    return pid if pid > 0 else None


def process_name(pid: int | None) -> str | None:
    """The name of a local process (``/proc/PID/comm``), or None."""
    if pid is None:
        return None
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip() \
            or None
    except OSError:
        return None


def window_info(disp: Any, window: Any, rect: Rect) -> WindowInfo:
    """Title, app (``WM_CLASS``), pid and process of one window."""
    wm_class = None
    try:
        wm_class = window.get_wm_class()
    except Exception:
        wm_class = None
    instance, app = (wm_class[0] or None, wm_class[1] or None) if wm_class else (None, None)
    pid = _pid(disp, window)
    return WindowInfo(_title(disp, window) or "", rect, app, instance, process_name(pid), pid)


def _clients_by_frame(disp: Any, root: Any) -> dict[int, Any]:
    """Under an EWMH window manager: each managed window (``_NET_CLIENT_LIST``) by the
    top-level window (its frame) that holds it."""
    clients = root.get_full_property(disp.get_atom("_NET_CLIENT_LIST"), 0)
    found: dict[int, Any] = {}
    if clients is None:
        return found
    for wid in list(clients.value)[:MAX_WINDOWS]:
        client = disp.create_resource_object("window", int(wid))
        try:
            window = client
            for _ in range(8):
                parent = window.query_tree().parent
                if parent is None or isinstance(parent, int) or parent.id == root.id:
                    found[window.id] = client
                    break
                window = parent
        except Exception:
            continue  # a client that went away meanwhile
    return found


def window_stack(disp: Any) -> tuple[WindowInfo, ...]:
    """The viewable top-level windows, top-most first (the first that contains a point is
    the one a click there lands on); menus and popups included. A frame is reported with
    the app of the window it frames."""
    from Xlib import X
    from Xlib.error import XError

    root = disp.screen().root
    framed = _clients_by_frame(disp, root)
    found: list[WindowInfo] = []
    for top in reversed(root.query_tree().children):  # the tree lists bottom to top
        try:
            attrs = top.get_attributes()
            if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
                continue
            geo = top.get_geometry()
            border = 2 * geo.border_width
            rect = Rect(geo.x, geo.y, geo.width + border, geo.height + border)
            client = framed.get(top.id) or _client(disp, top)
            found.append(window_info(disp, client, rect))
        except XError:
            continue  # windows come and go while we ask
        if len(found) >= MAX_WINDOWS:
            break
    return tuple(found)


def _active_info(disp: Any) -> WindowInfo | None:
    root = disp.screen().root
    window = _focused_window(disp)
    while window is not None and not isinstance(window, int) and window != root:
        if _has(disp, window, "WM_CLASS") or _title(disp, window):
            geo = window.get_geometry()
            pos = window.translate_coords(root, 0, 0)
            return window_info(disp, window, Rect(-pos.x, -pos.y, geo.width, geo.height))
        window = window.query_tree().parent
    return None


def active_window() -> WindowInfo | None:
    """The focused window with its app (own connection), or None."""
    try:
        with _display() as disp:
            return _active_info(disp)
    except Exception:
        return None


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

