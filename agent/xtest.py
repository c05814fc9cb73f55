"""Synthetic input on X11 through one XTEST connection that looks before every group it sends.

``XTestInput`` is the actuator's X11 backend: pointer, buttons, wheel, key chords and any
Unicode text (characters off the keymap borrow a spare keycode for the moment of the press).
Before each group of events it asks the server, on this same connection and inside a server
grab: which keys are down (QueryKeymap); where the pointer is and which buttons and modifiers
are active (QueryPointer); and which key or button presses happened since it last looked (XI2
raw events, selected on this connection while an action runs). X delivers events before a
later reply on the same connection, so the look sees everything the server did before it,
and the grab keeps other clients (xdotool, a VNC server, the stop chord sent through XTEST)
from slipping an event in between the look and the send. The group is sent only if:

- the pointer is not in a screen corner (pyautogui's failsafe) → else ``FailSafeHit``;
- no key is down and no modifier is active (latched ones included) except locks such as
  Caps Lock and Num Lock, no button is held but the agent's own (a drag), no key or button
  was pressed that the agent did not press, and the pointer is where the agent left it
  → else ``TakenOver``: a person is acting, and no synthetic event may mix with their hands.

What remains: a real keyboard's press that the server handles between the reply and the send
(the grab holds off clients, not devices) — a window of the order of 0.1 ms per group.
"""

from __future__ import annotations

import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agent.input_plan import Low
from agent.stop_token import FailSafeHit, Stopped, TakenOver
from models.actions import ActionError, normalize_key
from models.keys import KEYSYMS

BUTTONS = {"left": 1, "middle": 2, "right": 3}
_BUTTON_NAMES = {1: "left", 2: "middle", 3: "right", 4: "wheel up", 5: "wheel down",
                 6: "wheel left", 7: "wheel right"}
# canonical key name (models.keys) → X keysym name: one table for the gate and the actuator
KEYSYM_NAMES: dict[str, str] = KEYSYMS
_LOCK_KEYSYMS = frozenset({0xFFE5, 0xFFE6, 0xFF7F, 0xFF14})  # Caps/Shift/Num/Scroll_Lock
_SHIFT, _LOCK = 0x1, 0x2
_MODIFIERS = 0xFF
_BUTTON_MASKS = {1: 0x100, 2: 0x200, 3: 0x400, 4: 0x800, 5: 0x1000}
_CHAR_KEYSYMS = {"\n": "Return", "\r": "Return", "\t": "Tab", "\b": "BackSpace"}
REMAP_SETTLE = 0.02  # seconds for clients to take in a keyboard-mapping change
_RAW_KEY_PRESS, _RAW_BUTTON_PRESS = 13, 15  # XI2 raw event types


def char_keysym(char: str) -> int:
    """The X keysym of one character (Latin-1 keysyms are the code point; others 0x1000000+).

    >>> [hex(char_keysym(c)) for c in ("a", "é", "東", "\\n")]
    ['0x61', '0xe9', '0x1006771', '0xff0d']
    """
    from Xlib import XK

    if char in _CHAR_KEYSYMS:
        return int(XK.string_to_keysym(_CHAR_KEYSYMS[char]))
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x01000000 | code


def _xk() -> Any:
    from Xlib import XK

    XK.load_keysym_group("xkb")  # ISO_Level3_Shift and friends; loading twice is a no-op
    return XK


@lru_cache(maxsize=1)
def _keysym_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for name, value in vars(_xk()).items():
        if name.startswith("XK_") and isinstance(value, int):
            names.setdefault(value, name[3:])
    return names


def keysym_label(keysym: int) -> str:
    """A key's name for people: the canonical key name, the character, or the keysym name.

    >>> [keysym_label(k) for k in (0xFFE4, 0x61, 0x41, 0xE9, 0x1006771, 0xFF8D, 0)]
    ['ctrl', 'a', 'A', 'é', '東', 'KP_Enter', 'unknown']
    """
    name = _keysym_names().get(keysym)
    if name is not None:
        base = name[:-2] + "_L" if name.endswith("_R") else name
        for canonical, keysym_name in KEYSYM_NAMES.items():
            if keysym_name == base:
                return canonical
    if 0x20 < keysym < 0x7F or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if keysym & 0xFF000000 == 0x01000000:
        return chr(keysym & 0xFFFFFF)
    return name or (hex(keysym) if keysym else "unknown")


def key_keysym(name: str) -> int:
    """The keysym of a key name of a ``Key`` action: a canonical name or alias, one character,
    or an X keysym name. ``ActionError`` when it has none. A name the gate
    reads as a canonical key is that key (``KP_Enter`` is ``enter``, as the gate decided on it).

    >>> [hex(key_keysym(n)) for n in ("ctrl", "Return", "a", "altgr", "KP_Enter")]
    ['0xffe3', '0xff0d', '0x61', '0xfe03', '0xff0d']
    """
    XK = _xk()
    if len(name) == 1:
        return char_keysym(name)
    try:
        canonical = normalize_key(name)
    except ActionError:
        canonical = ""
    if canonical in KEYSYM_NAMES:
        return int(XK.string_to_keysym(KEYSYM_NAMES[canonical]))
    if len(canonical) == 1:
        return char_keysym(canonical)
    keysym = int(XK.string_to_keysym(name))
    if keysym:
        return keysym
    raise ActionError(f"key: no X keysym for {name!r}")


@dataclass
class _Press:
    """One character or key resolved to the keyboard: its keycode, whether Shift goes with it
    (second level), and the keysym to borrow the keycode for (None: on the keymap)."""

    keycode: int
    shift: bool
    borrow: int | None = None


@dataclass
class _Resolved:
    fakes: list[tuple[int, int, int, int]] = field(default_factory=list)  # type, detail, x, y
    codes: list[tuple[int, ...]] = field(default_factory=list)  # per event: keycodes pressed
    borrows: list[tuple[int, int]] = field(default_factory=list)  # (keycode, keysym)


class XTestInput:
    """The X11 input backend of ``PyAutoGuiActuator`` (see the module docstring)."""

    def __init__(self) -> None:
        from Xlib import display

        self._display: Any = display.Display()
        try:
            self._setup()
        except BaseException:
            self._display.close()
            raise

    def _setup(self) -> None:
        from Xlib import XK
        from Xlib.ext import xinput

        disp = self._display
        self._root: Any = disp.screen().root
        self._size = (int(disp.screen().width_in_pixels), int(disp.screen().height_in_pixels))
        self.screen: tuple[int, int] | None = self._size
        info = disp.display.info
        first = info.min_keycode
        mapping = disp.get_keyboard_mapping(first, info.max_keycode - first + 1)
        modifier_map = disp.get_modifier_mapping()
        in_modmap = {code for codes in modifier_map for code in codes if code}
        self._spare = [first + i for i, syms in enumerate(mapping)
                       if not any(syms) and first + i > 8 and first + i not in in_modmap]
        self._shift = int(disp.keysym_to_keycode(XK.string_to_keysym("Shift_L")))
        self._ignored_mods = _LOCK | self._lock_mods(modifier_map)
        self._xi_opcode = int(disp.display.get_extension_major(xinput.extname))
        self._raw_mask = xinput.RawKeyPressMask | xinput.RawButtonPressMask
        _xi_version(disp, self._xi_opcode)
        self._own: deque[tuple[int, int]] = deque()  # our presses whose raw event is due
        self._buttons: set[int] = set()  # buttons the agent holds (a drag)
        self._pointer: tuple[int, int] | None = None  # where the agent left the pointer

    def _lock_mods(self, modifier_map: Any) -> int:
        """Modifier bits bound only to lock keys (Num Lock is usually Mod2)."""
        bits = 0
        for index, codes in enumerate(modifier_map):
            codes = [c for c in codes if c]
            syms = {self._display.keycode_to_keysym(c, 0) for c in codes}
            if codes and syms <= _LOCK_KEYSYMS:
                bits |= 1 << index
        return bits

    # -- an action ------------------------------------------------------------------------
    def begin(self, wait: Callable[[float], bool], grace: float) -> None:
        """Start an action: presses from before it are the past; keys still held are given
        ``grace`` seconds to go up (the Enter that started the agent), then ``TakenOver``.
        ``wait`` sleeps and says whether the stop fired meanwhile."""
        from Xlib.ext import xinput

        self._root.xinput_select_events([(xinput.AllMasterDevices, self._raw_mask)])
        self._own.clear()
        self._buttons.clear()
        self._pointer = None
        deadline = time.monotonic() + max(0.0, grace)
        while True:
            keys, pointer = self._look()
            self._drain(judge=False)
            self._pointer = (int(pointer.root_x), int(pointer.root_y))
            self._failsafe(pointer)
            held = self._held(keys, pointer)
            if held is None:
                return
            if time.monotonic() >= deadline:
                raise TakenOver(f"you took over ({held})")
            if wait(0.01):
                raise Stopped("stopped while a key was held")

    def end(self) -> None:
        """The action is over: stop listening for presses until the next one."""
        from Xlib.ext import xinput

        try:
            self._root.xinput_select_events([(xinput.AllMasterDevices, 0)])
            self._display.sync()
            self._drain(judge=False)
        except Exception:  # the display may be gone at shutdown: nothing more to send anyway
            pass

    def send(self, events: Sequence[Low],
             announce: Callable[[Sequence[tuple[int, ...]]], None]) -> None:
        """Check, then send ``events`` as one unit. ``announce(codes)`` runs after the checks
        passed and before the first event goes out (it may still refuse by raising)."""
        from Xlib import X
        from Xlib.ext import xtest

        resolved = self._resolve(events)
        disp = self._display
        for keycode, keysym in resolved.borrows:
            disp.change_keyboard_mapping(keycode, [(keysym, keysym)])
        if resolved.borrows:
            disp.sync()
            time.sleep(REMAP_SETTLE)
        try:
            disp.grab_server()
            try:
                keys, pointer = self._look()
                self._judge(keys, pointer)
                announce(resolved.codes)
                moved = False
                for kind, detail, x, y in resolved.fakes:
                    if kind == X.MotionNotify:
                        xtest.fake_input(disp, kind, 0, root=self._root, x=x, y=y)
                        moved = True
                        continue
                    xtest.fake_input(disp, kind, detail)
                    if kind in (X.KeyPress, X.ButtonPress):
                        self._own.append((_RAW_KEY_PRESS if kind == X.KeyPress
                                          else _RAW_BUTTON_PRESS, detail))
                    if kind == X.ButtonPress and detail in BUTTONS.values():
                        self._buttons.add(detail)
                    elif kind == X.ButtonRelease:
                        self._buttons.discard(detail)
                if moved:  # where it really went (a gap between monitors clamps it)
                    here = self._root.query_pointer()
                    self._pointer = (int(here.root_x), int(here.root_y))
            finally:
                disp.ungrab_server()
                disp.flush()
        finally:
            if resolved.borrows:
                time.sleep(REMAP_SETTLE)
                for keycode, _ in resolved.borrows:
                    disp.change_keyboard_mapping(keycode, [(0, 0)])
                disp.sync()

    def check(self) -> None:
        """Look without sending (during a pause): ``TakenOver`` or ``FailSafeHit`` at once
        rather than before the next group, so a held button is let go of sooner."""
        keys, pointer = self._look()
        self._judge(keys, pointer)

    def release_held(self) -> list[Low]:
        """Release the buttons the agent holds (a drag cut short); the events it sent."""
        from Xlib import X
        from Xlib.ext import xtest

        released: list[Low] = []
        for button in sorted(self._buttons):
            xtest.fake_input(self._display, X.ButtonRelease, button)
            released.append(("up", (_BUTTON_NAMES[button],)))
        self._buttons.clear()
        self._display.sync()
        return released

    def close(self) -> None:
        self._display.close()

    # -- looking --------------------------------------------------------------------------
    def _look(self) -> tuple[bytes, Any]:
        keys = bytes(self._display.query_keymap())
        return keys, self._root.query_pointer()

    def _failsafe(self, pointer: Any) -> None:
        x, y = int(pointer.root_x), int(pointer.root_y)
        width, height = self._size
        if x in (0, width - 1) and y in (0, height - 1):
            raise FailSafeHit(f"the pointer is in a screen corner ({x}, {y})")

    def _held(self, keys: bytes, pointer: Any) -> str | None:
        """What a person holds (a key, a modifier, a button), or None."""
        down = [8 * i + bit for i, byte in enumerate(keys) for bit in range(8)
                if byte & (1 << bit)]
        if down:
            return f"key {self._key_label(down[0])} held"
        mods = int(pointer.mask) & _MODIFIERS & ~self._ignored_mods
        if mods:
            return f"modifier mask {mods:#x} active"
        ours = sum(_BUTTON_MASKS[b] for b in self._buttons)
        buttons = int(pointer.mask) & sum(_BUTTON_MASKS.values()) & ~ours
        if buttons:
            button = min(b for b, m in _BUTTON_MASKS.items() if buttons & m)
            return f"{_BUTTON_NAMES[button]} button held"
        return None

    def _judge(self, keys: bytes, pointer: Any) -> None:
        self._failsafe(pointer)
        foreign = self._drain(judge=True)
        if foreign:
            raise TakenOver(f"you took over ({foreign})")
        held = self._held(keys, pointer)
        if held:
            raise TakenOver(f"you took over ({held})")
        here = (int(pointer.root_x), int(pointer.root_y))
        if self._pointer is not None and here != self._pointer:
            raise TakenOver(f"you took over (the pointer moved to {here})")

    def _drain(self, judge: bool) -> str | None:
        """Read the events that arrived; with ``judge``, the first press that is not ours."""
        from Xlib import X

        disp = self._display
        foreign: str | None = None
        while disp.pending_events():
            event = disp.next_event()
            if event.type == X.MappingNotify:
                disp.refresh_keyboard_mapping(event)
                continue
            if event.type != 35 or getattr(event, "extension", None) != self._xi_opcode:
                continue  # GenericEvent of XI2 only
            evtype = int(event.evtype)
            if evtype not in (_RAW_KEY_PRESS, _RAW_BUTTON_PRESS) or len(event.data) < 12:
                continue
            detail = struct.unpack_from("=I", event.data, 6)[0]
            if self._own and self._own[0] == (evtype, detail):
                self._own.popleft()
            elif judge and foreign is None:
                foreign = (f"key {self._key_label(detail)} pressed" if evtype == _RAW_KEY_PRESS
                           else f"{_BUTTON_NAMES.get(detail, str(detail))} button pressed")
        return foreign

    def _key_label(self, keycode: int) -> str:
        return keysym_label(int(self._display.keycode_to_keysym(keycode, 0)))

    # -- resolving ------------------------------------------------------------------------
    def _resolve(self, events: Sequence[Low]) -> _Resolved:
        from Xlib import X

        out = _Resolved()
        spare = list(self._spare)
        borrowed: dict[int, int] = {}  # keysym → borrowed keycode within this group

        def press(keysym: int) -> _Press:
            for code, index in self._display.keysym_to_keycodes(keysym):
                if index in (0, 1) and code not in spare:
                    return _Press(int(code), index == 1)
            if keysym in borrowed:
                return _Press(borrowed[keysym], False)
            if not spare:
                raise ActionError("no spare keycode to type a character off the keymap")
            code = spare.pop()
            borrowed[keysym] = code
            out.borrows.append((code, keysym))
            return _Press(code, False, keysym)

        for kind, detail in events:
            fakes: list[tuple[int, int, int, int]] = []
            if kind == "move":
                fakes.append((X.MotionNotify, 0, int(detail[0]), int(detail[1])))
            elif kind in ("down", "up"):
                fakes.append((X.ButtonPress if kind == "down" else X.ButtonRelease,
                              BUTTONS[str(detail[0])], 0, 0))
            elif kind == "scroll":
                dx, dy = int(detail[0]), int(detail[1])
                button = (4 if dy > 0 else 5) if dy else (7 if dx > 0 else 6)
                fakes += [(X.ButtonPress, button, 0, 0), (X.ButtonRelease, button, 0, 0)]
            elif kind in ("key_down", "key_up"):
                key = press(key_keysym(str(detail[0])))
                down = kind == "key_down"
                codes = ([self._shift] if key.shift else []) + [key.keycode]
                for code in (codes if down else reversed(codes)):
                    fakes.append((X.KeyPress if down else X.KeyRelease, code, 0, 0))
            elif kind == "text":
                key = press(char_keysym(str(detail[0])))
                if key.shift:
                    fakes.append((X.KeyPress, self._shift, 0, 0))
                fakes += [(X.KeyPress, key.keycode, 0, 0), (X.KeyRelease, key.keycode, 0, 0)]
                if key.shift:
                    fakes.append((X.KeyRelease, self._shift, 0, 0))
            else:
                raise ActionError(f"unknown low-level event {kind!r}")
            out.fakes += fakes
            out.codes.append(tuple(d for t, d, _, _ in fakes if t == X.KeyPress))
        return out


def _xi_version(disp: Any, opcode: int) -> None:
    """Announce XI 2.2: raw events then arrive even while another client grabs the device."""
    from Xlib.ext.xinput import XIQueryVersion

    XIQueryVersion(display=disp.display, opcode=opcode, major_version=2, minor_version=2)
