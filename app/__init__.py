"""Deskhand's faces: the PySide6 desktop app and the ``deskhand`` command line.

The only layer that may import Qt. It builds the core's objects in ``main()`` functions and
hands them in; the core reports back through plain callbacks.
"""
