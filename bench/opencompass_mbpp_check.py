"""Check compass's scoring of an OpenCompass MBPP config against OpenCompass 0.5.4's own code.

Given a compass run of an ``MBPPDataset`` config (its predictions and its ``code_exec``
records), this script — run with the SEPARATE OpenCompass environment, never the project's —
takes OpenCompass's ``MBPPEvaluator._process_answer`` / ``MBPPEvaluator2._process_answer``
(read from the wheel's ``datasets/mbpp.py``) and ``utils/code_execution.py``, and for every
prediction

* extracts the code OpenCompass's way and compares it with compass's extraction
  (``compass_opencompass.code_sets.mbpp_code`` / ``mbpp2_code``, loaded from this checkout's file);
* runs it as OpenCompass's ``_execution`` does (``exec`` the code, then the type-aware tests),
  each in a child process with OpenCompass's 10 s limit, and compares pass/fail with compass's
  sandboxed verdict.

The predictions are the data set's reference solutions (a mock model answering each task
with its ``code``), so what runs here is the data set's own code. Usage::

    python3 bench/opencompass_mbpp_check.py --write-config /tmp/mbpp_ref.py /work/shared/data/mbpp/mbpp.jsonl
    .venv/bin/compass eval /tmp/mbpp_ref.py --data-dir /work/shared/data          # -> RUN_DIR
    /tmp/ocvenv/bin/python bench/opencompass_mbpp_check.py /tmp/oc/src RUN_DIR /work/shared/data/mbpp/mbpp.jsonl
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
import types
from pathlib import Path

CHILD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('code_execution', sys.argv[1])
ce = importlib.util.module_from_spec(spec); spec.loader.exec_module(ce)
code, test = json.loads(sys.stdin.read())
g = {}
try:
    exec(code, g)
    g[ce.TYPE_AWARE_EQUAL_NAME] = ce.type_aware_equal
    exec(test, g)
    print('pass')
except AssertionError:
    print('wrong_answer')
except BaseException:
    print('failed')
"""


def _regex_shim() -> types.ModuleType:
    """``regex`` as OpenCompass calls it (``timeout=``), on ``re``."""
    m = types.ModuleType("regex")
    m.DOTALL = re.DOTALL
    m.search = lambda p, s, flags=0, timeout=None: re.search(p, s, flags)
    m.findall, m.sub, m.split = re.findall, re.sub, re.split
    return m


def opencompass_extractors(root: Path) -> dict:
    src = (root / "opencompass" / "datasets" / "mbpp.py").read_text()
    tree = ast.parse(src)
    out = {}
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in ("MBPPEvaluator", "MBPPEvaluator2")]:
        fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "_process_answer")
        ns = {"re": _regex_shim()}
        exec(compile(ast.Module(body=[fn], type_ignores=[]), "mbpp.py", "exec"), ns)  # noqa: S102
        out[cls.name] = lambda text, f=ns["_process_answer"]: f(None, text)
    return out


HUMANEVAL = {"humaneval_internal_v1_postprocess": "humaneval_internal_v1",
             "humaneval_internal_v2_postprocess": "humaneval_internal_v2"}
HUMANEVAL_SAMPLES = [
    "    return x + 1\n",
    "   return x + 1\n\n\n\ndef other():\n    pass",
    "```python\ndef f(x):\n    return x + 1\n```\nDone.",
    "```\n    y = x\n    return y\n```",
    "import math\ndef f(x):\n    return math.floor(x)\n\nprint(f(2))",
    "from typing import List\n\ndef f(x: List[int]):\n    # sum\n    return sum(x)\nf([1])",
    "'    return x'",
    "def f(x):\n    if x:\n        return 1\n    return 0\nprint(1)",
    "```python\nunclosed\n    return 2",
    "",
]


def opencompass_humaneval(root: Path) -> dict:
    tree = ast.parse((root / "opencompass" / "datasets" / "humaneval.py").read_text())
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in HUMANEVAL]
    ns = {"re": re}
    exec(compile(ast.Module(body=fns, type_ignores=[]), "humaneval.py", "exec"), ns)  # noqa: S102
    return {name: ns[name] for name in HUMANEVAL}


def compass_extractors() -> dict:
    path = Path(__file__).resolve().parent.parent / "plugins" / "compass_opencompass" / "code_sets.py"
    sdk = types.ModuleType("compass.sdk")
    sdk.DataError = sdk.DataMissing = Exception
    sys.modules.setdefault("compass", types.ModuleType("compass"))
    sys.modules["compass.sdk"] = sdk
    spec = importlib.util.spec_from_file_location("code_sets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {"MBPPEvaluator": mod.mbpp_code, "MBPPEvaluator2": mod.mbpp2_code,
            **{theirs: getattr(mod, ours) for theirs, ours in HUMANEVAL.items()}}


SAMPLES = [  # answers as models write them: base (3-shot [BEGIN]/[DONE]) and chat (fenced, chatter)
    "[BEGIN]\n 'def f(x):\r\n  return x' \n[DONE] \n\n You are an expert",
    "[BEGIN]\ndef f(x):\n    return x\n[DONE]",
    "Here is the code:\n```python\ndef f(x):\n    return x\n```\nThis works.",
    "```\ndef f(x):\n    return x\n```",
    "```python\ndef f(x):\n    return x",
    "def f(x):\n    return x\n```\nexplained",
    "Sure. BEGIN 'def f(x): return x' DONE",
    "def f(x):\n    return x\n# Test\nassert f(1) == 1",
    "Here you go\ndef f(x):\n    return x\\_1\n",
    "'def f(x): return x' [DONE]",
    "no code at all",
    "",
]


CONFIG = """from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import GenInferencer
from opencompass.datasets import MBPPDataset, MBPPEvaluator
import json
rows = [json.loads(x) for x in open({data!r}, encoding='utf-8') if x.strip()][10:510]
# each task answered with its reference solution, as a base model writes it after "[BEGIN]\\n"
answers = {{r['text']: " '" + r['code'] + "' \\n[DONE] \\n\\nmore" for r in rows}}
mbpp_datasets = [dict(type=MBPPDataset, abbr='mbpp', path='opencompass/mbpp',
    reader_cfg=dict(input_columns=['text', 'test_list'], output_column='test_list_2'),
    infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template=dict(round=[
        dict(role='HUMAN', prompt='You are an expert Python programmer, and here is your task: {{text}} '
                                  'Your code should pass these tests:\\n\\n {{test_list}}  \\n'),
        dict(role='BOT', prompt='[BEGIN]\\n')])),
        retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer, max_out_len=512)),
    eval_cfg=dict(evaluator=dict(type=MBPPEvaluator), pred_role='BOT'))]
datasets = mbpp_datasets
models = [dict(type='mock', chat=False, answers=answers)]
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write-config"]:
        Path(argv[1]).write_text(CONFIG.format(data=str(Path(argv[2]).resolve())), encoding="utf-8")
        return 0
    root, run = Path(argv[0]), Path(argv[1])
    abbr = argv[3] if len(argv) > 3 else "mbpp"
    theirs, ours = opencompass_extractors(root), compass_extractors()
    bad = [(name, s) for name in theirs for s in SAMPLES if theirs[name](s) != ours[name](s)]
    human = opencompass_humaneval(root)
    bad += [(name, s) for name in human for s in HUMANEVAL_SAMPLES if human[name](s) != ours[name](s)]
    preds = {}
    for f in sorted((run / "predictions").glob(f"*/{abbr}*.jsonl")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            preds[rec["index"]] = rec["prediction"]
    verdicts = {}
    for f in sorted((run / "evaluations").glob(f"*/{abbr}.jsonl")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            verdicts[rec["index"]] = bool(rec["correct"])
    lines = [json.loads(x) for x in Path(argv[2]).read_text(encoding="utf-8").splitlines() if x.strip()]
    tests = {i: "\n".join(r["test_list"]) for i, r in enumerate(lines[10:510])}  # MBPPDataset's test split
    ce_path = root / "opencompass" / "utils" / "code_execution.py"
    spec = importlib.util.spec_from_file_location("code_execution", ce_path)
    ce = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ce)
    differ, n_pass = [], 0
    references = {"".join(r["code"].split()) for r in lines}  # MBPP's own solutions, known code
    for i in sorted(preds):
        code = theirs["MBPPEvaluator"](preds[i])
        if "".join(code.split()) not in references:  # only MBPP's reference solutions run here
            print(f"refused: prediction {i} of {run} is not MBPP's reference solution; this check runs reference "
                  f"code outside compass's sandbox, never a model's (score model runs with compass eval)",
                  file=sys.stderr)
            return 2
        if code != ours["MBPPEvaluator"](preds[i]):
            bad.append(("MBPPEvaluator", preds[i][:80]))
        test = ce.make_assertions_type_aware(tests[i])
        try:
            out = subprocess.run([sys.executable, "-c", CHILD, str(ce_path)], input=json.dumps([code, test]),
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        except subprocess.TimeoutExpired:
            out = "timeout"
        n_pass += out == "pass"
        if (out == "pass") != verdicts.get(i):
            differ.append((i, out, verdicts.get(i)))
    n_texts = len(SAMPLES) * 2 + len(HUMANEVAL_SAMPLES) * 2 + len(preds)
    print(f"extraction: {n_texts} texts, {len(bad)} differ from OpenCompass's")
    for name, s in bad[:10]:
        print(f"  {name}: {s!r}")
    print(f"execution: {len(preds)} predictions; OpenCompass passes {n_pass} "
          f"({100 * n_pass / max(len(preds), 1):.2f}), compass {sum(verdicts.values())} "
          f"({100 * sum(verdicts.values()) / max(len(verdicts), 1):.2f}); verdicts differ on {len(differ)}: {differ[:10]}")
    return 0 if not bad and not differ else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
