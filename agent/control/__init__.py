"""The person stays in control: stop hotkey, takeover detection and "let me do it" recording.

Everything here listens to the real input devices — through pynput, or on X11 for takeover
through the RECORD extension directly (``xrecord``, which reports keycodes) — so each listener
is a context manager started and stopped with the episode, and X libraries are imported only
when one starts (``DISPLAY`` must be set by then). Nothing here sends input but the stop
bench, which plays the agent and the person on a display of its own.
"""
