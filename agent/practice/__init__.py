"""The practice desktop's logic, free of Qt: exercise specs, generators, verifiers, solutions.

The Qt widgets that render a spec live in ``app/practice`` (nothing below ``app`` imports Qt);
they report a plain state dict and widget geometry that the functions here read.
"""
