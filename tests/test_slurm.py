"""The ``slurm`` runner.

Unit tests (no Slurm needed): command lines, batch scripts, parsing of ``squeue`` and
``scontrol`` text, one-line errors when the tools are missing.

End-to-end tests (``@pytest.mark.slurm``) run the real ``compass eval --runner slurm``
against a real Slurm — ``bash .ci/slurm/start-local-slurm.sh`` starts a single-node one
(as root) — and skip, saying why, where ``sinfo`` is absent or no node answers. Set
``COMPASS_REQUIRE_SLURM=1`` to make them fail instead of skip (CI that must test Slurm).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import compass_env, only_run_dir, run_compass

from compass._errors import CompassError
from compass._runners import TaskFile
from compass_slurm.commands import (SlurmOptions, batch_script, job_name, normalize_extra_args, sbatch_argv,
                                    srun_argv)
from compass_slurm.states import (JobState, base_state, parse_sbatch_id, parse_scontrol_record, parse_squeue,
                                  state_from_scontrol)

# ---------------------------------------------------------------------------------------
# unit tests: no Slurm needed
# ---------------------------------------------------------------------------------------


def _task(tmp_path, name="arith/toy-gen", num_gpus=0, device="") -> TaskFile:
    return TaskFile(name, tmp_path / "tasks" / "arith__toy-gen.json", tmp_path / "logs" / "toy-gen.out",
                    "arith", num_gpus, device)


def test_srun_command_carries_every_option(tmp_path):
    opts = SlurmOptions(partition="gpu", qos="high", time="2:00:00",
                        extra_args=normalize_extra_args("--cpus-per-task=8 --mem 64G"))
    argv = srun_argv(opts, _task(tmp_path, num_gpus=2), "compass-abc:arith/toy-gen")
    assert argv[0] == "srun"
    for arg in ("--job-name=compass-abc:arith/toy-gen", "--partition=gpu", "--qos=high", "--time=2:00:00",
                "--gres=gpu:2", "--ntasks=1", "--nodes=1", "--export=ALL", "--cpus-per-task=8"):
        assert arg in argv
    assert argv[argv.index("--mem") + 1] == "64G"
    # the task runs with this very interpreter, the working directory off its path, an absolute task path
    assert argv[-5:] == [sys.executable, "-P", "-m", "compass._task", str((tmp_path / "tasks" / "arith__toy-gen.json"))]


def test_defaults_leave_the_cluster_to_decide(tmp_path):
    argv = srun_argv(SlurmOptions(), _task(tmp_path), "n")
    assert not [a for a in argv if a.startswith(("--partition", "--qos", "--time", "--gres"))]


def test_gres_follows_the_device_kind(tmp_path):
    opts = SlurmOptions(gres_name="a100", npu_gres_name="ascend910")
    assert "--gres=a100:1" in srun_argv(opts, _task(tmp_path, num_gpus=1, device="cuda"), "n")
    assert "--gres=ascend910:4" in srun_argv(opts, _task(tmp_path, num_gpus=4, device="npu"), "n")
    assert not [a for a in srun_argv(opts, _task(tmp_path, num_gpus=1, device="cpu"), "n") if a.startswith("--gres")]


def _planned_task_files(tmp_path, model: dict) -> list[TaskFile]:
    """Plan ``model`` × toy in-process, write the task files, and make the runner's view of
    them exactly as the pipeline does (resources come from the task file)."""
    from conftest import TESTS

    from compass._config import Component, RunConfig
    from compass._plan import make_plan
    from compass._plugins import make_plugin_host

    sys.path.insert(0, str(TESTS))
    try:
        from toy import toy_plugin
    finally:
        sys.path.remove(str(TESTS))
    cfg = RunConfig(models=[Component(model.pop("type"), model)], datasets=[Component("toy")])
    plan = make_plan(cfg, make_plugin_host([toy_plugin]))
    files = []
    for task in plan.tasks:
        spec = task.spec(tmp_path, cfg)
        path = tmp_path / "tasks" / (task.name.replace("/", "__") + ".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec))
        resources = json.loads(path.read_text())["resources"]
        files.append(TaskFile(task.name, path, tmp_path / "x.out", task.model.abbr,
                              resources["num_gpus"], resources["device"], resources["visible_devices_var"]))
    return files


def test_npu_model_asks_slurm_for_npus(tmp_path):
    """An npu backend is an npu model without a ``device=``: its jobs ask for the npu GRES."""
    opts = SlurmOptions(gres_name="a100", npu_gres_name="ascend910")
    [npu] = _planned_task_files(tmp_path / "npu", {"type": "arith-npu", "env_log": "x", "num_gpus": 2})
    assert "--gres=ascend910:2" in srun_argv(opts, npu, "n")
    assert "--gres=ascend910:2" in sbatch_argv(opts, npu, "n", "/x/job.sh")
    [gpu] = _planned_task_files(tmp_path / "gpu", {"type": "arith-devices", "env_log": "x", "num_gpus": 1})
    assert "--gres=a100:1" in srun_argv(opts, gpu, "n")
    [cpu] = _planned_task_files(tmp_path / "cpu", {"type": "arith-npu", "env_log": "x", "num_gpus": 2,
                                                    "device": "cpu"})
    assert not [a for a in srun_argv(opts, cpu, "n") if a.startswith("--gres")]


def test_user_export_setting_is_not_doubled(tmp_path):
    opts = SlurmOptions(extra_args=normalize_extra_args(["--export=ALL,HF_HOME=/data/hf"]))
    argv = sbatch_argv(opts, _task(tmp_path), "n", "/x/job.sh")
    assert [a for a in argv if a.startswith("--export")] == ["--export=ALL,HF_HOME=/data/hf"]


def test_sbatch_appends_output_to_the_task_log(tmp_path):
    task = _task(tmp_path)
    argv = sbatch_argv(SlurmOptions(time=30), task, "n", "/x/job.sh")
    assert argv[:2] == ["sbatch", "--parsable"]
    assert f"--output={task.log}" in argv and f"--error={task.log}" in argv
    assert "--open-mode=append" in argv and "--time=30" in argv
    assert argv[-1] == "/x/job.sh"


def test_batch_script_runs_the_task_after_a_header(tmp_path):
    # run the script itself, with a stand-in for python that echoes its arguments, and an
    # awkward task name
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\necho "$@"\n')
    python.chmod(0o755)
    task = _task(tmp_path, name="it's $HOME/`x`")
    script = tmp_path / "job.sh"
    script.write_text(batch_script(SlurmOptions(python=str(python)), task, 2, 3))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True,
                         env={"SLURM_JOB_ID": "42", "PATH": os.environ["PATH"]}).stdout.splitlines()
    assert out[0].startswith("== task it's $HOME/`x`: slurm job 42 on ")
    assert out[0].endswith("(attempt 2/3)")
    assert out[1] == f"-P -m compass._task {task.path}"


def test_job_names_are_per_run_and_safe(tmp_path):
    name = job_name("a1b2c3", _task(tmp_path, name="my model/ceval-high_school,physics_0"))
    assert name == "compass-a1b2c3:my_model/ceval-high_school_physics_0"


# Real output of Slurm 22.05 (`scontrol -o show job 6`, trimmed) for a job that exited 3.
SCONTROL_FAILED = (
    "JobId=6 JobName=wrap UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901754 Nice=0 "
    "Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 "
    "Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:00 TimeLimit=UNLIMITED "
    "AllocNode:Sid=localhost:4316 CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
    "Command=/tmp/my jobs/run.sh WorkDir=/tmp/slx StdErr=/tmp/slx/out StdIn=/dev/null Power=")


def test_scontrol_record_fields():
    fields = parse_scontrol_record(SCONTROL_FAILED)
    assert fields["JobState"] == "FAILED" and fields["ExitCode"] == "3:0"
    assert fields["AllocNode:Sid"] == "localhost:4316" and fields["CPUs/Task"] == "1"
    assert fields["Command"] == "/tmp/my jobs/run.sh" and fields["Power"] == ""
    state = state_from_scontrol(SCONTROL_FAILED)
    assert state == JobState("6", "FAILED", "NonZeroExitCode", 3, 0)
    assert state.final and not state.ok
    assert state.describe() == "job 6 FAILED: the task exited non-zero (exit code 3)"


def test_timeout_is_named_as_such():
    line = SCONTROL_FAILED.replace("JobState=FAILED", "JobState=TIMEOUT").replace(
        "Reason=NonZeroExitCode", "Reason=TimeLimit").replace("ExitCode=3:0", "ExitCode=0:15")
    state = state_from_scontrol(line)
    assert state.state == "TIMEOUT"
    assert state.describe() == "job 6 TIMEOUT: killed by its Slurm time limit (signal 15)"


def test_squeue_states():
    states = parse_squeue("12|RUNNING|None\n13|PENDING|Resources\n14|CANCELLED|None\n\n15|COMPLETING|None\n")
    assert [s.state for s in states.values()] == ["RUNNING", "PENDING", "CANCELLED", "COMPLETING"]
    assert states["13"].reason == "Resources"
    assert not states["12"].final and not states["15"].final
    assert states["14"].final and not states["14"].ok
    assert base_state("CANCELLED by 0") == "CANCELLED"
    assert JobState("1", "COMPLETED").ok


def test_sbatch_parsable_output():
    assert parse_sbatch_id("123\n") == "123"
    assert parse_sbatch_id("123;cluster2\n") == "123"
    with pytest.raises(ValueError):
        parse_sbatch_id("sbatch: error: Batch job submission failed")


def test_missing_slurm_tools_is_a_one_line_error(tmp_path):
    env = compass_env(PATH=str(tmp_path / "empty-bin"))
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "--runner", "slurm"], tmp_path, env)
    assert res.code == 2
    errors = [line for line in res.err.splitlines() if line.startswith("error:")]
    assert errors == ["error: slurm runner: 'srun' not found on PATH; run compass on a Slurm login node or "
                      "install the Slurm client tools (Debian/Ubuntu: apt-get install slurm-client), "
                      "or use --runner local"]
    assert not (tmp_path / "outputs").exists()  # nothing was started


def test_bad_mode_is_refused_before_slurm_is_asked():
    from compass_slurm.runner import SlurmRunner

    with pytest.raises(CompassError, match="mode 'batch' is not one of srun, sbatch"):
        SlurmRunner(mode="batch")


# ---------------------------------------------------------------------------------------
# end to end, on a real Slurm
# ---------------------------------------------------------------------------------------


def _slurm_problem() -> str | None:
    if shutil.which("sinfo") is None:
        return "Slurm is not installed (no sinfo on PATH); start one with: bash .ci/slurm/start-local-slurm.sh (root)"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "the Slurm controller does not answer (sinfo timed out)"
    if out.returncode != 0:
        return f"the Slurm controller does not answer: {out.stderr.strip()}"
    if not {"idle", "mixed", "allocated", "completing"} & set(out.stdout.split()):
        return f"no usable Slurm node (states: {' '.join(out.stdout.split()) or 'none'})"
    return None


@pytest.fixture(scope="session")
def slurm():
    """Skip (or fail, with COMPASS_REQUIRE_SLURM=1) unless a Slurm cluster answers."""
    problem = _slurm_problem()
    if problem:
        if os.environ.get("COMPASS_REQUIRE_SLURM") == "1":
            pytest.fail(problem)
        pytest.skip(problem)


def _records(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return sorted(rows, key=lambda r: r["index"])


def _outputs(run: Path) -> dict:
    """Everything a run's results consist of: predictions (by index) and the summary table."""
    preds = {str(p.relative_to(run / "predictions")): _records(p)
             for p in sorted((run / "predictions").rglob("*.jsonl"))}
    summary = next((run / "summary").glob("summary_*.csv")).read_text()
    return {"predictions": preds, "summary": summary}


def _our_jobs(prefix: str) -> list[str]:
    """Jobs in the queue (pending, running, completing) whose name starts with ``prefix``."""
    out = subprocess.run(["squeue", "-h", "-o", "%i|%j|%T"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.split("|")[1].startswith(prefix)]


def _token(stderr: str) -> str:
    """The run's job-name prefix, from the runner's first line."""
    mark = "as Slurm jobs '"
    start = stderr.index(mark) + len(mark)
    return stderr[start:stderr.index(":", start) + 1]


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    """The local runner's outputs for ``-m arith -d toy toy_pair``."""
    cwd = tmp_path_factory.mktemp("local")
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "toy_pair", "--max-num-workers", "2"], cwd)
    assert res.code == 0, res.err
    return _outputs(only_run_dir(cwd))


MODES = ["srun", "sbatch"]


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_eval_through_slurm_equals_local(slurm, tmp_path, local_reference, mode):
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "toy_pair", "--max-num-workers", "2",
                       "--runner", "slurm", "--slurm-mode", mode], tmp_path)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    assert _outputs(run) == local_reference
    log = (run / "logs" / "infer" / "arith" / "toy-gen.out").read_text()
    assert "attempt 1/3" in log and "inferred 10 samples" in log


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_task_failing_twice_then_succeeding_is_retried(slurm, tmp_path, mode):
    counter = tmp_path / "failures.count"
    cfg = tmp_path / "retry.toml"
    cfg.write_text(f'[[models]]\ntype = "arith"\nfail_times = 2\ncounter_file = "{counter}"\n\n'
                   f'[[datasets]]\ntype = "toy"\n\n[runner]\ntype = "slurm"\nmode = "{mode}"\nretry = 2\n')
    res = run_compass(["eval", str(cfg)], tmp_path)
    assert res.code == 0, res.err
    assert counter.read_text() == "3"
    assert res.err.count("retrying") == 2
    log = (only_run_dir(tmp_path) / "logs" / "infer" / "arith" / "toy-gen.out").read_text()
    assert log.count("scripted failure") >= 2 and "attempt 3/3" in log
    assert "toy-gen" in res.out and "50.00" in res.out


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_task_that_always_fails_is_reported_and_others_finish(slurm, tmp_path, mode):
    crash = tmp_path / "crash"
    crash.write_text("")
    cfg = tmp_path / "fail.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n\n'
                   f'[[models]]\ntype = "arith"\nabbr = "broken"\ncrash_file = "{crash}"\n\n'
                   f'[[datasets]]\ntype = "toy"\n\n[runner]\ntype = "slurm"\nmode = "{mode}"\nretry = 1\n')
    res = run_compass(["eval", str(cfg), "--max-num-workers", "2"], tmp_path)
    assert res.code == 1
    run = only_run_dir(tmp_path)
    log = run / "logs" / "infer" / "broken" / "toy-gen.out"
    assert f"FAILED task broken/toy-gen (log: {log.relative_to(tmp_path)})" in res.err
    assert "FAILED: the task exited non-zero (exit code 1) (after 2 attempts)" in res.err
    assert "RuntimeError: scripted failure: crash file present" in res.err  # the error's tail
    assert log.read_text().count("RuntimeError: scripted failure") == 2
    assert (run / "results" / "arith" / "toy-gen.json").exists()  # the other model finished
    assert not (run / "results" / "broken" / "toy-gen.json").exists()


@pytest.mark.slurm
def test_more_tasks_than_cpus_wait_in_the_slurm_queue(slurm, tmp_path):
    cpus = int(subprocess.run(["sinfo", "-h", "-o", "%C"], capture_output=True, text=True,
                              check=True).stdout.split("/")[-1])
    cfg = tmp_path / "many.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 1.0\n\n[[datasets]]\ntype = "toy"\n')
    workers = cpus + 4
    res = run_compass(["eval", str(cfg), "--max-partition-size", "1", "--max-num-workers", str(workers),
                       "--runner", "slurm"], tmp_path, timeout=300)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    logs = sorted((run / "logs" / "infer" / "arith").glob("toy-gen_*.out"))
    assert len(logs) == 10
    assert res.err.count(" ok (") == 10
    queued = [p for p in logs if "queued and waiting for resources" in p.read_text()]
    assert queued, "expected Slurm to hold some tasks back: more jobs than CPUs"
    assert "toy-gen" in res.out and "50.00" in res.out


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_ctrl_c_cancels_every_job_and_reuse_finishes_on_local(slurm, tmp_path, local_reference, mode):
    cfg = tmp_path / "slow.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 1.0\nbatch_size = 2\n\n'
                   '[[datasets]]\ntype = "toy"\n\n[[datasets]]\ntype = "toy_pair"\n')
    # Ctrl-C as typed in a terminal: a suite started in the background (``cmd &`` in a
    # script) hands SIGINT=ignored to its children, and compass rightly keeps ignoring it.
    proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg), "--runner", "slurm",
                             "--slurm-mode", mode, "--max-num-workers", "3"],
                            cwd=tmp_path, env=compass_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # wait until a prediction batch is written (jobs are running), then Ctrl-C
        deadline = time.time() + 60
        while time.time() < deadline and not list(tmp_path.glob("outputs/default/*/predictions/arith/*.jsonl")):
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    prefix = _token(err)
    assert "cancelling" in err and "resume with" in err
    assert _our_jobs(prefix) == []  # nothing of this run is left in squeue
    # what finished stays; -r completes it on another runner with the same results
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "toy_pair", "-r", "latest"], tmp_path)
    assert res.code == 0, res.err
    assert _outputs(only_run_dir(tmp_path)) == local_reference


@pytest.mark.slurm
def test_reuse_across_runners_local_infer_then_slurm(slurm, tmp_path, local_reference):
    first = run_compass(["eval", "-m", "arith", "-d", "toy", "--mode", "infer"], tmp_path)
    assert first.code == 0, first.err
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "toy_pair", "-r", "latest", "--runner", "slurm",
                       "--max-num-workers", "2"], tmp_path)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    logs = run / "logs" / "infer" / "arith"
    assert "srun attempt" not in (logs / "toy-gen.out").read_text()  # inferred locally, not again
    assert "srun attempt 1/3" in (logs / "toy-first.out").read_text()
    assert res.err.count(" ok (") == 2
    assert _outputs(run) == local_reference


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_gres_gpu_reaches_the_task_as_cuda_visible_devices(slurm, tmp_path, mode):
    gres = subprocess.run(["sinfo", "-h", "-o", "%G"], capture_output=True, text=True, check=True).stdout
    if "gpu" not in gres:
        pytest.skip(f"this Slurm has no gpu GRES (sinfo %G: {gres.strip()}); "
                    "the .ci/slurm start script configures two fake ones")
    env_file = tmp_path / "env.json"
    cfg = tmp_path / "gpu.toml"
    cfg.write_text(f'[[models]]\ntype = "arith"\nnum_gpus = 1\nenv_file = "{env_file}"\n\n'
                   f'[[datasets]]\ntype = "toy"\n\n[runner]\ntype = "slurm"\nmode = "{mode}"\n')
    res = run_compass(["eval", str(cfg)], tmp_path, compass_env(CUDA_VISIBLE_DEVICES="7"))
    assert res.code == 0, res.err
    seen = json.loads(env_file.read_text())
    assert seen["SLURM_JOB_ID"]
    assert seen["CUDA_VISIBLE_DEVICES"] in ("0", "1")  # Slurm's choice, not the driver's "7"


@pytest.mark.slurm
def test_unknown_partition_is_a_one_line_error_before_anything_runs(slurm, tmp_path):
    res = run_compass(["eval", "-m", "arith", "-d", "toy", "--runner", "slurm", "--partition", "debgu"], tmp_path)
    assert res.code == 2
    errors = [line for line in res.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: slurm runner: unknown partition 'debgu'")
    assert "sinfo" in errors[0]
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slurm
def test_time_limit_kill_is_reported_as_timeout(slurm, tmp_path):
    """Slurm's smallest limit is a minute and it checks limits every 30 s: ~90 s, both modes at once."""
    procs = {}
    for mode in MODES:
        cwd = tmp_path / mode
        cwd.mkdir()
        cfg = cwd / "slow.toml"
        cfg.write_text('[[models]]\ntype = "arith"\ndelay = 300\n\n[[datasets]]\ntype = "toy"\n\n'
                       f'[runner]\ntype = "slurm"\nmode = "{mode}"\ntime = "1"\nretry = 0\n')
        procs[mode] = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg)], cwd=cwd,
                                       env=compass_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
    try:
        results = {mode: p.communicate(timeout=240) for mode, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                p.communicate(timeout=60)
    for mode, (out, err) in results.items():
        assert procs[mode].returncode == 1, err
        assert "TIMEOUT: killed by its Slurm time limit" in err, (mode, err)
        assert "FAILED task arith/toy-gen" in err


@pytest.mark.slurm
@pytest.mark.parametrize("mode", MODES)
def test_unbuildable_model_fails_once_without_retries(slurm, tmp_path, mode):
    """A model whose factory raises a CompassError is tried by one job, never retried; its
    other tasks are not submitted and fail with the same one line; the other model goes on."""
    attempts = tmp_path / "attempts.txt"
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n\n'
                   f'[[models]]\ntype = "unbuildable"\nabbr = "bad"\nattempts_file = "{attempts}"\n\n'
                   '[[datasets]]\ntype = "toy"\n\n[[datasets]]\ntype = "toy_pair"\n\n'
                   f'[runner]\ntype = "slurm"\nmode = "{mode}"\nretry = 2\n')
    res = run_compass(["eval", str(cfg)], tmp_path, timeout=300)
    assert res.code == 1, res.err
    assert len(attempts.read_text().splitlines()) == 1
    assert "retrying" not in res.err and "Traceback" not in res.err
    reason = "model 'bad' could not be built: toy/unbuildable: the tokenizer has no chat template"
    for name in ("bad/toy-gen", "bad/toy-first", "bad/toy-second"):
        assert f"FAILED task {name} (log: " in res.err
    assert res.err.count(reason) >= 3
    run = only_run_dir(tmp_path)
    assert (run / "results" / "arith" / "toy-second.json").exists()
    logs = [p.read_text() for p in (run / "logs" / "infer" / "bad").glob("*.out")]
    assert sum("Traceback" in text for text in logs) == 1


@pytest.mark.slurm
def test_npu_gres_is_what_slurm_is_asked_for(slurm, tmp_path):
    """This cluster has no npu GRES: the job request itself names it, and Slurm refuses it."""
    cfg = tmp_path / "npu.toml"
    cfg.write_text(f'[[models]]\ntype = "arith-npu"\nnum_gpus = 1\nenv_log = "{tmp_path / "env"}"\n\n'
                   '[[datasets]]\ntype = "toy"\n\n[runner]\ntype = "slurm"\nretry = 0\n')
    res = run_compass(["eval", str(cfg)], tmp_path)
    assert res.code == 1, res.err
    log = (only_run_dir(tmp_path) / "logs" / "infer" / "arith-npu" / "toy-gen.out").read_text()
    assert "gres" in log.lower(), log
    assert not (tmp_path / "env").exists()  # no job ran


@pytest.mark.slurm
def test_progress_of_a_slurm_job_is_shown_while_it_runs(slurm, tmp_path):
    """The job's worker writes the task's progress file into the run folder; the runner polls
    it, as the local runner does: piped, a periodic status line with samples done/total."""
    import re

    cfg = tmp_path / "slow.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 0.5\nbatch_size = 1\n\n[[datasets]]\ntype = "toy"\n')
    res = run_compass(["eval", str(cfg), "--runner", "slurm"], tmp_path,
                      env=compass_env(COMPASS_PROGRESS_INTERVAL="1"), timeout=300)
    assert res.code == 0, res.err
    status = [ln for ln in res.err.splitlines() if ln.startswith("0/1 tasks done, 1 running")]
    middle = {int(m.group(1)) for ln in status if (m := re.search(r"arith/toy-gen (\d+)/10 samples", ln))}
    assert {n for n in middle if 0 < n < 10}, res.err  # seen mid-task, from the job's own reports
    assert re.search(r"\[1/1 tasks\] arith/toy-gen ok \([\d.]+s, 10/10 samples(, job \d+)?\)", res.err), res.err


@pytest.mark.slurm
def test_slurm_jobs_run_beside_a_compass_folder(slurm, tmp_path):
    """A ``compass/`` folder in the working directory does not shadow the package in the jobs."""
    (tmp_path / "compass").mkdir()
    (tmp_path / "compass" / "notes.toml").write_text("x = 1\n")
    console_script = Path(sys.executable).with_name("compass")  # as a user types it (not `python -m`)
    res = subprocess.run([str(console_script), "eval", "-m", "arith", "-d", "toy", "--runner", "slurm",
                          "--slurm-mode", "srun"], cwd=tmp_path, env=compass_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    log = (only_run_dir(tmp_path) / "logs" / "infer" / "arith" / "toy-gen.out").read_text()
    assert "inferred 10 samples" in log and "ImportError" not in log
