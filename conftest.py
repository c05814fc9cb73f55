"""Root pytest configuration: shared fixtures live in ``tests/fixtures`` as plugins."""

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.display",
    "tests.fixtures.tiny",
]
