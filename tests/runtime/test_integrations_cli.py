"""The command-line program from the native module: the ``querysight`` console script and
``python -m querysight`` (the same program as the Rust binary)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOOKSHOP = REPO / "examples" / "bookshop"
SCRIPT = Path(sys.executable).with_name("querysight")


def run(*argv):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "querysight"], [str(SCRIPT)]],
    ids=["python -m querysight", "querysight"],
)
def test_check_finds_the_bookshop_n_plus_ones(command):
    result = run(*command, "check", "examples/bookshop")
    assert result.returncode == 1, result.stderr
    assert "QS101" in result.stdout
    assert "Found " in result.stdout and " findings in " in result.stdout


def test_rule_documentation_and_exit_codes():
    result = run(sys.executable, "-m", "querysight", "rule", "QS101")
    assert result.returncode == 0 and "QS101" in result.stdout
    result = run(sys.executable, "-m", "querysight", "check", str(BOOKSHOP / "no-such-dir"))
    assert result.returncode == 2, result.stderr  # an I/O error, not "findings"
    result = run(sys.executable, "-m", "querysight", "--version")
    assert result.returncode == 0 and result.stdout.startswith("querysight ")


def test_the_cli_imports_no_django():
    code = "import sys, runpy; sys.argv = ['querysight', '--version']\n" \
           "try:\n    runpy.run_module('querysight', run_name='__main__')\n" \
           "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n" \
           "assert 'django' not in sys.modules"
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
