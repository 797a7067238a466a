"""Fault injection for the reliability tests: a detector whose ``record`` fails, put in place
of ``querysight._native.Scope``. Not being the native class, it is never handed plain queries
by the native execute wrapper: every query goes through ``Scope.record``, and fails there."""

from querysight import _native


class BrokenDetector:
    """Wraps the real detector; ``record`` raises ``RuntimeError("querysight bug")``."""

    real = _native.Scope
    calls = 0

    def __init__(self, *args, **kwargs):
        self._real = self.real(*args, **kwargs)

    def record(self, *args, **kwargs):
        type(self).calls += 1
        raise RuntimeError("querysight bug")

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
