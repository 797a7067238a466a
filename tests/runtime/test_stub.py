"""The hand-written stub of the native module agrees with the built module (pydantic-core's
habit: ``mypy.stubtest`` against the real extension)."""

import subprocess
import sys


def test_native_stub_matches_the_module(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "querysight._native"],
        cwd=tmp_path,  # mypy writes .mypy_cache in the working directory
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 module" in result.stdout
