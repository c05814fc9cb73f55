"""The practice desktop's Qt face: widgets that render an exercise spec and report their state.

The exercise logic (specs, verifiers, solutions) is Qt-free in ``agent/practice``.
"""
