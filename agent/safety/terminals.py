"""Which windows run what is typed into them: terminals and command launchers.

Typing a line and pressing Enter in a terminal is a shell command in all but name, so the
gate treats it as ``shell``. A window is a terminal when the accessibility layer says its
focused widget is one (role ``terminal``), when any of its app names (``WM_CLASS`` instance
or class, process name) is one of ``safety.terminal_apps`` (whole name, case ignored; the
defaults are ``TERMINAL_APPS``: terminal emulators, and launchers such as krunner or rofi
that run what is typed), or — only when no app name is known at all — when its title looks
like a terminal's (``bob@host: ~/src``, ``... — Konsole``, ``bash``).

The one design choice a reader must know: titles decide only when the app is unknown; a
browser tab titled "Terminal velocity" is not a terminal because the browser's app name is
known.
"""

from __future__ import annotations

import re

TERMINAL_APPS: tuple[str, ...] = (
    # terminal emulators (WM_CLASS instance / class, process names)
    "xterm", "uxterm", "gnome-terminal", "gnome-terminal-server", "org.gnome.Terminal",
    "org.gnome.Console", "kgx", "gnome-console", "konsole", "org.kde.konsole", "yakuake",
    "alacritty", "kitty", "terminator", "tilix", "com.gexperts.Tilix", "xfce4-terminal",
    "wezterm", "wezterm-gui", "org.wezfurlong.wezterm", "foot", "footclient", "urxvt",
    "urxvtc", "rxvt", "rxvt-unicode", "st", "st-256color", "lxterminal", "qterminal",
    "mate-terminal", "terminology", "guake", "tilda", "sakura", "cool-retro-term", "eterm",
    "aterm", "hyper", "tabby", "ghostty", "com.mitchellh.ghostty", "blackbox",
    "com.raggesilver.BlackBox", "deepin-terminal", "io.elementary.terminal", "termite",
    "roxterm", "zutty", "contour", "extraterm", "kmscon", "terminal", "iterm2",
    "windowsterminal", "cmd", "powershell", "pwsh", "conhost",
    # launchers that run the command typed into them
    "krunner", "xfce4-appfinder", "gmrun", "rofi", "dmenu", "wofi", "ulauncher", "albert",
    "synapse", "kupfer", "fuzzel", "bemenu",
)

# Titles terminals give their windows, used only when the app is unknown.
TERMINAL_TITLE = re.compile(
    r"^[\w.+-]+@[\w.-]+:\s?[~/]"  # bob@host: ~/src (bash's default title)
    r"|(^|\s[-—–:|]\s)(terminal|konsole|xterm|uxterm|urxvt|rxvt|alacritty|kitty|terminator"
    r"|tilix|wezterm|foot|st|console)\s*$"  # ... — Konsole
    r"|^(bash|zsh|fish|sh|dash|ksh|tcsh|csh|nu|tmux|screen|ssh|sudo|su|root)(\s|:|$)",
    re.IGNORECASE)


def looks_like_terminal_title(title: str | None) -> bool:
    """
    >>> [looks_like_terminal_title(t) for t in ("bob@box: ~/src", "~ : bash — Konsole",
    ...  "sudo - Terminal", "Terminal velocity - Wikipedia", "bob@example.com - Inbox")]
    [True, True, True, False, False]
    """
    return bool(title) and TERMINAL_TITLE.search(title or "") is not None
