"""Root pytest configuration: shared fixtures live in ``tests/fixtures`` as plugins.

Qt widget tests run on Qt's offscreen platform unless a test starts a real app on Xvfb.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test may install a real timer in the user's systemd/launchd/Task Scheduler, whichever
# fixture it uses: the schedule installer writes here instead (the home fixture narrows it).
os.environ["DESKHAND_SCHEDULE_ROOT"] = _SCHEDULE_ROOT = tempfile.mkdtemp(prefix="deskhand-sched-")
atexit.register(shutil.rmtree, _SCHEDULE_ROOT, True)

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.display",
    "tests.fixtures.tiny",
    "tests.fixtures.store",
    "tests.fixtures.chromium",
    "tests.fixtures.probe",
]
