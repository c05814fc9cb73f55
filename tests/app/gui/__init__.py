"""Tests of the desktop app's widgets and pages (pytest-qt, offscreen)."""
