"""Fault injection for the reliability tests: a native detector whose ``record`` and
``record_plain`` fail (one of them is called by every recorded query), put in place of
``querysight._native.Scope``."""

from querysight import _native


class BrokenDetector:
    """Wraps the real detector; ``record`` and ``record_plain`` raise
    ``RuntimeError("querysight bug")``."""

    real = _native.Scope
    calls = 0

    def __init__(self, *args, **kwargs):
        self._real = self.real(*args, **kwargs)

    def record(self, *args, **kwargs):
        type(self).calls += 1
        raise RuntimeError("querysight bug")

    record_plain = record

    def __getattr__(self, name):
        return getattr(self._real, name)

    @property
    def query_count(self):
        return self._real.query_count

    def finish(self):
        return self._real.finish()


def break_the_record_path(monkeypatch):
    """Every scope created from now on (until monkeypatch undoes it) fails on its first query."""
    BrokenDetector.calls = 0
    monkeypatch.setattr(_native, "Scope", BrokenDetector)
    return BrokenDetector
