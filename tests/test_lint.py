"""The code passes the project's lint rules (pyflakes, bugbear, pyupgrade): no unused or undefined names."""

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_ruff_finds_nothing():
    folders = [name for name in ("generator", "tests", "benchmarks") if (PROJECT_ROOT / name).is_dir()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
