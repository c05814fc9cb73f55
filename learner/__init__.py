"""Datasets from the store, rewards, GRPO for the actor and the reward model, the promotion gate.

Imports ``agent`` and ``models`` only; never Qt.
"""
