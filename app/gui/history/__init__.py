"""The History page: past episodes and their steps, graded after the fact, deleted, exported."""
