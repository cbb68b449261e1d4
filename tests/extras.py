"""Optional packages in tests: skip without them, or fail when they must be there.

``require_extra("torch")`` imports and returns the module like ``pytest.importorskip``:
without the package the test (or, at module level, the whole file) is skipped, saying why.
With ``COMPASS_REQUIRE_EXTRAS=1`` (set by ``.ci/run``, which installs ``.[all,dev,docs]``) a
missing package is a failure instead, so CI cannot pass by skipping the backends' tests.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

SWITCH = "COMPASS_REQUIRE_EXTRAS"


def require_extra(name: str) -> ModuleType:
    """The module ``name``; a skip without it, a failure with ``COMPASS_REQUIRE_EXTRAS=1``."""
    if os.environ.get(SWITCH) != "1":
        return pytest.importorskip(name)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.fail(f"{name} cannot be imported ({exc}) and {SWITCH}=1 says the optional packages are "
                    f"installed: pip install -e '.[all,dev,docs]', or unset {SWITCH} to skip these tests",
                    pytrace=False)
