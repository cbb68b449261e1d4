"""Runner contracts: a failed task is an outcome, never an aborted run; a model that cannot
be built is tried once, and every task of it fails with the same one line.

Through the real CLI with the toy plugin: ``unbuildable`` is a model whose factory raises
(each attempt appends a line to ``attempts_file``), run beside ``arith`` on three tasks.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from conftest import TESTS, compass_env, only_run_dir

from compass._runners import ModelBuildFailed, clear_model_errors, model_error_path, read_model_error

REASON = ("model 'bad' could not be built: toy/unbuildable: the tokenizer has no chat template; "
          "use --hf-type base, or give the model a meta_template")
PLAIN_REASON = "model 'bad' could not be built: RuntimeError: weights are corrupt (scripted)"
BAD_TASKS = ("bad/toy-gen", "bad/toy-first", "bad/toy-second")


def _config(cwd, plain: bool = False):
    attempts = cwd / "attempts.txt"
    cfg = cwd / "two-models.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n\n'
                   f'[[models]]\ntype = "unbuildable"\nabbr = "bad"\nattempts_file = "{attempts}"\n'
                   f'plain = {"true" if plain else "false"}\n\n'
                   '[[datasets]]\ntype = "toy"\n\n[[datasets]]\ntype = "toy_pair"\n')
    return cfg, attempts


def _check_failed_once(compass, res, attempts, reason):
    run = only_run_dir(compass.cwd)
    assert res.code == 1, res.err
    assert len(attempts.read_text().splitlines()) == 1, "the factory must be called once"
    assert "Traceback" not in res.err and "Traceback" not in res.out
    for name in BAD_TASKS:  # each task of the bad model failed, with the same one line
        model, subset = name.split("/")
        assert f"FAILED task {name} (log: " in res.err
        log = (run / "logs" / "infer" / model / f"{subset}.out").read_text()
        assert f"FAILED: {reason}" in log
    assert res.err.count(reason) >= len(BAD_TASKS)
    # the traceback is in the log of the one task that tried, and only there
    logs = [(run / "logs" / "infer" / "bad" / f"{n.split('/')[1]}.out").read_text() for n in BAD_TASKS]
    assert sum("Traceback" in text for text in logs) == 1
    # the other model went on: its scores are in the summary
    for subset in ("toy-gen", "toy-first", "toy-second"):
        assert (run / "results" / "arith" / f"{subset}.json").exists()
    assert list((run / "summary").glob("summary_*.csv"))
    assert "toy-gen" in res.out and "50.00" in res.out
    return run


@pytest.mark.parametrize("runner_args", [["--debug"], ["--max-num-workers", "2"], ["--max-num-workers", "1"]],
                         ids=["debug", "local-2-workers", "local-1-worker"])
def test_unbuildable_model_fails_once_in_one_line(compass, runner_args):
    cfg, attempts = _config(compass.cwd)
    events = compass.cwd / "events.jsonl"
    res = compass("eval", str(cfg), *runner_args, env=compass_env(TOY_EVENTS_FILE=str(events)))
    _check_failed_once(compass, res, attempts, REASON)
    finished = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["event"] for e in finished] == ["run_finished"]
    assert finished[0]["ok"] is False and sorted(finished[0]["failed_tasks"]) == sorted(BAD_TASKS)


def test_any_exception_from_a_factory_is_one_line_too(compass):
    cfg, attempts = _config(compass.cwd, plain=True)
    res = compass("eval", str(cfg), "--max-num-workers", "2")
    _check_failed_once(compass, res, attempts, PLAIN_REASON)


def test_rerun_with_reuse_tries_the_model_again(compass):
    cfg, attempts = _config(compass.cwd)
    assert compass("eval", str(cfg), "--debug").code == 1
    time.sleep(0.05)
    res = compass("eval", str(cfg), "--debug", "-r", "latest")
    assert res.code == 1 and "Traceback" not in res.err
    assert len(attempts.read_text().splitlines()) == 2  # once per run, not once per task
    assert res.err.count(REASON) >= len(BAD_TASKS)


def test_debug_runner_reports_a_task_error_and_goes_on(compass):
    """A CompassError raised inside a task used to abort the whole --debug run (exit 2, no
    summary, no on_run_finished); now it is a failed task like with the local runner."""
    events = compass.cwd / "events.jsonl"
    cfg = compass.cwd / "c.toml"
    cfg.write_text(f'[[models]]\ntype = "unbuildable"\nattempts_file = "{compass.cwd / "a.txt"}"\n\n'
                   '[[models]]\ntype = "arith"\n\n[[datasets]]\ntype = "toy"\n')
    res = compass("eval", str(cfg), "--debug", env=compass_env(TOY_EVENTS_FILE=str(events)))
    assert res.code == 1, res.err
    assert "FAILED task unbuildable/toy-gen" in res.err and "error:" not in res.err
    run = only_run_dir(compass.cwd)
    assert (run / "results" / "arith" / "toy-gen.json").exists()
    assert list((run / "summary").glob("summary_*.txt"))
    assert json.loads(events.read_text())["failed_tasks"] == ["unbuildable/toy-gen"]


# ---------------------------------------------------------------------------------------
# the marker file that carries the failure across processes (local workers, Slurm jobs)
# ---------------------------------------------------------------------------------------


@pytest.fixture
def host():
    import sys

    sys.path.insert(0, str(TESTS))
    try:
        from toy import toy_plugin
    finally:
        sys.path.remove(str(TESTS))
    from compass._plugins import make_plugin_host

    return make_plugin_host([toy_plugin])


def _task_file(tasks_dir, name):
    tasks_dir.mkdir(parents=True, exist_ok=True)
    path = tasks_dir / (name.replace("/", "__") + ".json")
    path.write_text("{}")
    return path


def test_marker_is_shared_across_processes_and_forgotten_by_a_new_run(tmp_path, host):
    from compass._infer import ModelCache

    attempts = tmp_path / "attempts.txt"
    spec = {"abbr": "bad", "type": "unbuildable", "kwargs": {"attempts_file": str(attempts)}}
    tasks = tmp_path / "run" / "tasks"
    first, second = _task_file(tasks, "bad/a"), _task_file(tasks, "bad/b")
    with pytest.raises(ModelBuildFailed) as tried:
        ModelCache(host).get(spec, first, "bad/a")
    assert "Traceback" in tried.value.details and tried.value.reason.startswith("model 'bad' could not be built")
    assert read_model_error(second, "bad") == {"model": "bad", "task": "bad/a", "reason": tried.value.reason,
                                               "retry": False}  # a CompassError: same settings, same error
    # another process (a fresh cache) learns it from the marker, without building
    with pytest.raises(ModelBuildFailed) as learnt:
        ModelCache(host).get(spec, second, "bad/b")
    assert learnt.value.reason == tried.value.reason and learnt.value.details == ""
    assert len(attempts.read_text().splitlines()) == 1
    # a retry of the task that failed (Slurm's retry) tries again
    with pytest.raises(ModelBuildFailed):
        ModelCache(host).get(spec, first, "bad/a")
    assert len(attempts.read_text().splitlines()) == 2
    # a new invocation writes its task files again: an older marker no longer counts
    marker = model_error_path(tasks, "bad")
    old = marker.stat().st_mtime_ns - 10**9
    os.utime(marker, ns=(old, old))
    assert read_model_error(second, "bad") is None
    assert clear_model_errors(tmp_path / "run") == 1 and not marker.exists()


def test_a_retry_that_builds_clears_the_marker(tmp_path, host):
    from compass._infer import ModelCache

    counter = tmp_path / "count"
    spec = {"abbr": "flaky", "type": "arith", "kwargs": {"fail_times": 1, "counter_file": str(counter)}}
    task = _task_file(tmp_path / "tasks", "flaky/toy-gen")
    with pytest.raises(ModelBuildFailed, match="scripted failure 1 of 1"):
        ModelCache(host).get(spec, task, "flaky/toy-gen")
    assert read_model_error(task, "flaky")["retry"] is True  # a RuntimeError may be passing
    model, _ = ModelCache(host).get(spec, task, "flaky/toy-gen")
    assert model is not None and read_model_error(task, "flaky") is None
