"""Nightly training: the OS timer (``units``, ``install``) and the run conditions
(``conditions.should_run``)."""
