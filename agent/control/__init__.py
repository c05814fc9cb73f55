"""The person stays in control: stop hotkey, takeover detection and "let me do it" recording.

Everything here listens to the real input devices through pynput, so each listener is a
context manager started and stopped with the episode, and pynput is imported only when one
starts (``DISPLAY`` must be set by then). Nothing in this package sends input.
"""
