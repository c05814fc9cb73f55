"""Root pytest configuration: shared fixtures live in ``tests/fixtures`` as plugins.

Qt widget tests run on Qt's offscreen platform unless a test starts a real app on Xvfb.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.display",
    "tests.fixtures.tiny",
    "tests.fixtures.store",
]
