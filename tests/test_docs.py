"""The docs site builds without a warning, and its SDK reference covers the whole public SDK."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO
from extras import require_extra


def _sdk_page_members() -> list[str]:
    page = (REPO / "docs" / "sdk.md").read_text(encoding="utf-8")
    return re.findall(r"^::: compass\.sdk\.(\w+)$", page, re.M)


def test_sdk_reference_lists_every_public_name_once():
    from compass import sdk

    listed = _sdk_page_members()
    assert len(listed) == len(set(listed)), "a name is listed twice in docs/sdk.md"
    assert sorted(listed) == sorted(sdk.__all__), (
        "docs/sdk.md and compass.sdk.__all__ differ: "
        f"missing {sorted(set(sdk.__all__) - set(listed))}, extra {sorted(set(listed) - set(sdk.__all__))}")


def test_every_page_is_in_the_nav():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md"))
    assert pages and all(page in nav for page in pages), [p for p in pages if p not in nav]


def test_mkdocs_build_strict(tmp_path):
    require_extra("mkdocs")
    require_extra("material")
    require_extra("mkdocstrings")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "zh" / "index.html").is_file()
    reference = (tmp_path / "site" / "sdk" / "index.html").read_text(encoding="utf-8")
    for name in ("GenerateRequest", "register_datasets", "evaluate"):
        assert name in reference


def test_the_docs_set_up_command_is_the_readmes():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    install = next(line for line in block.splitlines() if line and not line.startswith("#"))
    for page in ("index.md", "getting-started.md"):
        assert install in (REPO / "docs" / page).read_text(encoding="utf-8"), page
