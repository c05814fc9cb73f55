"""Task suites: live tasks with their own verdicts, for evaluation and the learning bench."""
