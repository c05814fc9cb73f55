"""The observe → think → act loop, actions, screen, actuator, safety and the trajectory store.

Imports ``models`` only; never Qt.
"""
