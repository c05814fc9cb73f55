"""Test doubles: the scripted actor, critic and person, and fake parts for app episodes.

They live with the tests, never in a product package; ``deskhand bench ui`` builds its own
parts (``app.gui.chat.bench``)."""
