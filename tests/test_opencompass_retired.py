"""OpenCompass renamed retired dataset configs to ``deprecated_<name>.py`` while its own examples
(eval_gpt4.py, eval_claude.py: ``TheoremQA_gen_7009de``) still import the old names: compass runs
the renamed file of the user's tree and says so; a name with no such file stays one error line."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import compass_env

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "datasets"
MAIN = HERE / "data" / "opencompass_main"  # files of OpenCompass's main branch


def _tree(root: Path) -> Path:
    shutil.copytree(MAIN / "opencompass", root / "opencompass")
    demo = root / "opencompass" / "configs" / "datasets" / "demo"
    (demo / "demo_gsm8k_chat_gen.py").rename(demo / "deprecated_demo_gsm8k_old.py")  # only the retired name
    (root / "examples").mkdir()
    return root / "examples"


def test_an_import_of_a_retired_name_runs_the_deprecated_file(compass):
    examples = _tree(compass.cwd / "oc")
    (examples / "eval_old.py").write_text(
        "from mmengine.config import read_base\n"
        "with read_base():\n"
        "    from opencompass.configs.datasets.demo.demo_gsm8k_old import gsm8k_datasets\n"
        "datasets = gsm8k_datasets\n")
    env = compass_env()
    env.pop("COMPASS_OPENCOMPASS_CONFIGS", None)
    res = compass("eval", str(examples / "eval_old.py"), "-m", "mock", "--data-dir", str(DATA), "--dry-run", env=env)
    assert res.code == 0, res.err
    assert ("configs/datasets/demo/demo_gsm8k_old.py is not in your OpenCompass tree; running "
            "deprecated_demo_gsm8k_old.py") in res.err
    assert "mock/demo_gsm8k" in res.out  # the renamed file's own abbr: it is what ran
    (examples / "eval_gone.py").write_text(
        "from mmengine.config import read_base\n"
        "with read_base():\n"
        "    from opencompass.configs.datasets.demo.demo_gsm8k_gone import gsm8k_datasets\n"
        "datasets = gsm8k_datasets\n")
    res = compass("eval", str(examples / "eval_gone.py"), "-m", "mock", "--data-dir", str(DATA), "--dry-run", env=env)
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error")]
    assert res.code == 2 and len(errors) == 1 and "demo_gsm8k_gone.py is not in" in errors[0], res.err
