"""OpenCompass's MBPP dataset classes and code answer extraction, scored in compass's sandbox.

Loaders (the columns OpenCompass's ``load`` makes, from ``mbpp.jsonl`` / ``sanitized-mbpp.jsonl``):

* ``MBPPDataset``: ``train`` = the first 10 lines, ``test`` = lines 11-510 (tasks 11-510);
  ``test_list`` joined by newlines, ``test_case`` the list, ``test_list_2`` = ``test_list``;
* ``MBPPDatasetV2``: the same, with ``test_column`` = ``{test_list_2, task_id}``, ``test``
  repeated ``num_repeats`` times;
* ``SanitizedMBPPDataset``: ``sanitized-mbpp.jsonl`` (``prompt`` becomes ``text``),
  ``train`` = the first 7 lines, ``test`` = lines 8-264, repeated ``num_repeats`` times.

Every row also gets what compass's ``code_exec`` evaluator runs: ``tests`` (the asserts with
``assert a == b`` made type-aware, as OpenCompass 0.5.4 does: equal values of different types,
or an object whose ``__eq__`` claims equality, do not pass) and ``problem`` (the task id: the
samples of one task are one problem for pass@k). The program is the extracted code, then the
tests, run by ``code_exec`` in compass's sandbox (bubblewrap) — never in this process.

Answer extraction (postprocessors, registered under ``opencompass_*`` names):

* ``mbpp``: ``MBPPEvaluator``'s — the code between ``[BEGIN]``/``[DONE]`` (quoted or not) or in
  a fenced block, tried in OpenCompass's order, cut at a fence or ``[DONE]``, ``\\_`` unescaped;
* ``mbpp2``: ``MBPPEvaluator2``'s — the first fenced block (its language line dropped), else
  the text without a leading "Here ..." line; cut before a "# Test" comment and at ``[DONE]``,
  after ``[BEGIN]``;
* ``humaneval``: ``humaneval_postprocess`` of OpenCompass 0.2.x (the deprecated configs name it;
  0.5.4 no longer ships it): the first fenced block, imports up to the ``def`` line dropped, cut
  at the first blank line, the signature dropped, the body indented by four spaces;
* ``humaneval_internal_v1`` / ``_v2``: ``humaneval_internal_v1_postprocess`` /
  ``humaneval_internal_v2_postprocess`` (v1 unquotes an answer written as a string literal with
  ``ast.literal_eval``, never ``eval``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from compass.sdk import DataMissing, read_jsonl

LOCAL: dict[str, tuple[str, ...]] = {
    "opencompass/mbpp": ("mbpp/mbpp.jsonl",),
    "opencompass/sanitized_mbpp": ("mbpp/sanitized-mbpp.jsonl", "mbpp/sanitized-mbpp.json"),
}

#: the name the type-aware comparison has in a test program
EQUAL = "__compass_type_aware_equal"
#: its definition, put before the tests (runs in the sandbox with them)
EQUAL_SOURCE = f'''
def {EQUAL}(got, want):
    if type(got) is not type(want):
        return False
    if isinstance(got, (list, tuple)):
        return len(got) == len(want) and all({EQUAL}(a, b) for a, b in zip(got, want))
    if isinstance(got, dict):
        if len(got) != len(want):
            return False
        free = list(want.items())
        for item in got.items():
            hit = next((i for i, other in enumerate(free)
                        if {EQUAL}(item[0], other[0]) and {EQUAL}(item[1], other[1])), None)
            if hit is None:
                return False
            free.pop(hit)
        return True
    if isinstance(got, (set, frozenset)):
        if len(got) != len(want):
            return False
        free = list(want)
        for item in got:
            hit = next((i for i, other in enumerate(free) if {EQUAL}(item, other)), None)
            if hit is None:
                return False
            free.pop(hit)
        return True
    try:
        same = got == want
    except Exception:
        return False
    return type(same) is bool and same
'''.lstrip()


class _TypeAware(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.Assert:
        self.generic_visit(node)
        t = node.test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq):
            node.test = ast.Call(func=ast.Name(id=EQUAL, ctx=ast.Load()), args=[t.left, t.comparators[0]],
                                 keywords=[])
        return node


def type_aware_tests(source: str) -> str:
    """The tests with every ``assert a == b`` as a type-aware comparison, after its definition
    (a source that does not parse is left as it is: it fails as it would in OpenCompass)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    tree = ast.fix_missing_locations(_TypeAware().visit(tree))
    return EQUAL_SOURCE + "\n" + ast.unparse(tree) + "\n"


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):  # sanitized-mbpp.json (the google-research release) is one JSON list
        return json.loads(text)
    return [obj for _, obj in read_jsonl(path)]


def _row(r: dict, column: bool, sanitized: bool) -> dict:
    row = dict(r)
    if sanitized:
        row["text"] = row.pop("prompt")
    asserts = list(row["test_list"])
    joined = "\n".join(asserts)
    if not sanitized:
        row["test_case"] = asserts
    row["test_list"] = joined
    if sanitized or not column:
        row["test_list_2"] = joined
    if column:
        row["test_column"] = {"test_list_2": joined, "task_id": row["task_id"]}
    row["tests"] = type_aware_tests(joined)
    row["problem"] = row["task_id"]
    return row


def _split(path: Path, n_train: int, n_end: int, column: bool, sanitized: bool, repeats: int = 1) -> dict:
    rows = [_row(r, column, sanitized) for r in _read(path)]
    test = rows[n_train:n_end]  # 'train[10:510]': a shorter file gives fewer rows, as there
    return {"train": rows[:n_train], "test": [dict(r) for _ in range(int(repeats)) for r in test]}


def mbpp(path: Path, **_) -> dict:
    return _split(path, 10, 510, column=False, sanitized=False)


def mbpp_v2(path: Path, num_repeats: int = 1, **_) -> dict:
    return _split(path, 10, 510, column=True, sanitized=False, repeats=num_repeats)


def sanitized_mbpp(path: Path, num_repeats: int = 1, **_) -> dict:
    return _split(path, 7, 264, column=True, sanitized=True, repeats=num_repeats)


CLASSES = {"MBPPDataset": mbpp, "MBPPDatasetV2": mbpp_v2, "SanitizedMBPPDataset": sanitized_mbpp}


# ---- answer extraction
_MBPP_PATTERNS = (
    r"\[BEGIN\]\s*'(.*)'\s*\[DONE\]", r"BEGIN\s*'(.*)'\s*\[DONE\]", r"\[BEGIN\]\s*'(.*)'\s*DONE",
    r"BEGIN\s*'(.*)'\s*DONE", r"\[BEGIN\]\s*'(.*)\s*\[DONE\]", r"BEGIN\s*'(.*)\s*\[DONE\]",
    r"\[BEGIN\]\s*'(.*)\s*DONE", r"BEGIN\s*'(.*)\s*DONE", r"\[BEGIN\]\s*(.*)\s*\[DONE\]",
    r"BEGIN\s*(.*)\s*\[DONE\]", r"\[BEGIN\]\s*(.*)\s*DONE", r"BEGIN\s*(.*)\s*DONE",
    r"```python\s*(.*)\s*```", r"```\s*(.*)\s*```", r"```python\s*(.*)\s*$", r"```\s*(.*)\s*$",
    r"(.*)\s*```.*", r"\[BEGIN\]\s*'(.*)", r"\[BEGIN\](.*)", r"'(.*)'\s*\[DONE\]",
)


def mbpp_code(text: str) -> str:
    """``MBPPEvaluator``'s extraction (see the module docstring)."""
    text = str(text or "")
    for pattern in _MBPP_PATTERNS:
        m = re.search(pattern, text, re.DOTALL)
        if m:
            text = m.group(1)
            break
    text = text.split("```")[0]
    text = re.split(r"'?\s*\[?DONE\]?", text)[0]
    return text.replace("\\_", "_").strip()


def mbpp2_code(text: str) -> str:
    """``MBPPEvaluator2``'s extraction (see the module docstring)."""
    text = str(text or "")
    if "```" in text:
        blocks = re.findall(r"```(.*?)```", text, re.DOTALL)
        if blocks:
            text = blocks[0]
            if not text.startswith("\n"):  # ```python: drop the language line
                text = text[max(text.find("\n") + 1, 0):]
        else:
            text = text.split("```")[1]
    elif re.search(r"Here(.*?)\n", text):
        text = re.sub(r"Here(.*?)\n", "", text, count=1)
    for marker in ("# Test", "#Test", "#test", "# test"):
        if marker in text:
            text = text[:text.find(marker)]
    text = text.strip()
    m = re.search(r"('\s*|)(\[DONE\]|DONE)", text)
    if m:
        text = text[:m.start()]
    m = re.search(r"(\[BEGIN\]|BEGIN)('\s*|)", text)
    if m:
        text = text[m.end():]
    text = text.strip()
    return text[1:] if text.startswith("'") else text


def _first_block(text: str) -> str:
    blocks = re.findall(r"```(.*?)```", text, re.DOTALL)
    if not blocks:
        return text.split("```")[1]
    text = blocks[0]
    return text if text.startswith("\n") else text[max(text.find("\n") + 1, 0):]


def _after_imports(text: str) -> str:
    if text.strip().startswith(("from", "import")):
        at = text.find("def")
        if at != -1:
            text = text[max(text.find("\n", at) + 1, 0):]
    return text


def humaneval_code(text: str) -> str:
    """``humaneval_postprocess`` of OpenCompass 0.2.x (see the module docstring)."""
    text = str(text or "")
    if "```" in text:
        text = _first_block(text)
    text = _after_imports(text)
    text = text.split("\n\n")[0].lstrip("\n")
    if text.strip().startswith("def"):
        text = "\n".join(text.split("\n")[1:])
    if not text.startswith("    "):
        text = "    " + text.lstrip() if text.startswith(" ") else "\n".join("    " + ln for ln in text.split("\n"))
    return text


def humaneval_internal_v2(text: str) -> str:
    """``humaneval_internal_v2_postprocess``: the indented lines up to the first unindented one."""
    text = str(text or "")
    if text.startswith("   ") and not text.startswith("    "):
        text = " " + text
    text = text.split("\n\n\n")[0].split("\n```")[0]
    kept = []
    for line in text.split("\n"):
        if line and line[0] != " ":
            break
        kept.append(line)
    return "\n".join(kept)


def humaneval_internal_v1(text: str) -> str:
    """``humaneval_internal_v1_postprocess``: the function body, re-indented, cut where it dedents."""
    text = str(text or "")
    try:
        unquoted = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        unquoted = None
    if isinstance(unquoted, str):
        text = unquoted
    text = text.lstrip("\n")
    if "```" in text:
        text = _first_block(text)
    text = _after_imports(text)
    text = "\n".join(line for line in text.split("\n") if line != "").lstrip("\n")
    if text.strip().startswith("def"):
        text = "\n".join(text.split("\n")[1:])
    if text.startswith(" "):
        text = "    " + text.lstrip()
    else:
        text = "\n".join("    " + line for line in text.split("\n"))
    lines = text.split("\n")
    least, end = None, None
    for i, line in enumerate(lines):
        if line.strip() == "" or line.strip()[0] in ("'", '"', "#"):
            continue
        lead = len(line.rstrip()) - len(line.strip())
        if least is None:
            least = lead
        elif lead < least:
            end = i
            break
    return "\n".join(lines[:end] if end is not None else lines)


# ---- what datasets.py merges into its tables
PRED_POSTPROCESSORS = {"humaneval_postprocess": "opencompass_humaneval",
                       "humaneval_internal_v1_postprocess": "opencompass_humaneval_internal_v1",
                       "humaneval_internal_v2_postprocess": "opencompass_humaneval_internal_v2"}
EVALUATORS = {"MBPPEvaluator": "code_exec", "MBPPEvaluator2": "code_exec", "MBPPPassKEvaluator": "code_exec"}
#: the program is the extracted code, then the tests (no prompt before it)
EVALUATOR_KWARGS = {name: {"completion": False} for name in EVALUATORS}
#: the answer extraction OpenCompass's evaluator does itself, before running the code
EVALUATOR_POSTPROCESSORS = {"MBPPEvaluator": "opencompass_mbpp", "MBPPEvaluator2": "opencompass_mbpp2",
                            "MBPPPassKEvaluator": "opencompass_mbpp"}
#: an evaluator's own settings -> compass's ``code_exec`` settings
EVALUATOR_ARGS = {"MBPPPassKEvaluator": {"k": "ks"}}
