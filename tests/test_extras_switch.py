"""COMPASS_REQUIRE_EXTRAS=1 turns a missing optional package from a skip into a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

MISSING = "compass_no_such_package_xyz"
FILES = {
    # at module level: the whole file skips (or fails)
    "test_module_level.py": f"from extras import require_extra\n\nrequire_extra({MISSING!r})\n\n\n"
                            "def test_never_runs():\n    pass\n",
    # inside a test: that test skips (or fails); a present package is returned
    "test_in_function.py": "from extras import require_extra\n\n\n"
                           f"def test_needs_missing():\n    require_extra({MISSING!r})\n\n\n"
                           "def test_present_package_is_returned():\n"
                           "    assert require_extra('json').dumps([1]) == '[1]'\n",
}


def run_pytest(folder: Path, switch: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    env.pop("COMPASS_REQUIRE_EXTRAS", None)
    for var in ("CI", "BUILD_NUMBER"):  # pytest prints whole summary lines on CI: same output everywhere
        env.pop(var, None)
    if switch is not None:
        env["COMPASS_REQUIRE_EXTRAS"] = switch
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider",
                           "--continue-on-collection-errors", "."],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def write_files(folder: Path) -> None:
    (folder / "pytest.ini").write_text("[pytest]\n")
    for name, text in FILES.items():
        (folder / name).write_text(text)


def test_missing_extra_skips_by_default(tmp_path):
    write_files(tmp_path)
    for switch in (None, "0"):
        res = run_pytest(tmp_path, switch)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "1 passed, 2 skipped" in res.stdout, res.stdout


def test_missing_extra_fails_with_the_switch(tmp_path):
    write_files(tmp_path)
    res = run_pytest(tmp_path, "1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "1 failed, 1 passed, 1 error" in res.stdout, res.stdout
    message = (f"{MISSING} cannot be imported (No module named '{MISSING}') and COMPASS_REQUIRE_EXTRAS=1 says "
               "the optional packages are installed")
    assert res.stdout.count(message) == 2, res.stdout  # once per file, no traceback
    assert "Traceback" not in res.stdout
