"""Backends own their flags (``register_eval_options``); one precedence rule; one k=v grammar.

Precedence, per flag family, through the real CLI: a flag the user gives beats the config
file (which beats a plugin's or preset's default). Models and runners of
``tests/toy/flags_plugin.py`` record the keyword arguments they were really built with.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compass._errors import CompassError, PluginError
from compass._flags import collect_eval_options
from compass.hookspecs import hookimpl
from compass._kv import parse_kv
from compass._plugins import make_plugin_host
from extras import require_extra
from conftest import compass_env, only_run_dir

PLUGINS = "toy.toy_plugin,toy.flags_plugin"


def env(**extra):
    return compass_env(PLUGINS, **extra)


def records(folder: Path, stem: str = "rec") -> list[dict]:
    found = sorted(folder.glob(f"{stem}.*.json"))
    assert found, f"no {stem}.*.json in {folder}"
    return [json.loads(p.read_text()) for p in found]


def one_line_error(res, *fragments):
    assert res.code == 2, (res.code, res.out, res.err)
    lines = [ln for ln in res.err.splitlines() if ln.strip() and not ln.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.err, res.err
    for frag in fragments:
        assert frag in lines[0], lines[0]


# -- one key=value grammar ------------------------------------------------------------------


def test_kv_grammar_is_one_for_flags_and_config_strings():
    text = "device_map='auto' trust_remote_code=True max_memory={0: '10GB'} torch_dtype=torch.bfloat16"
    want = {"device_map": "auto", "trust_remote_code": True, "max_memory": {0: "10GB"},
            "torch_dtype": "torch.bfloat16"}
    assert parse_kv(text, "--model-kwargs") == want  # a config string
    assert parse_kv(text.split(" ", 2), "--model-kwargs") == want  # shell words, several per word
    assert parse_kv('{"a": 1}', "x") == {"a": 1} and parse_kv("{'a': [1, 2]}", "x") == {"a": [1, 2]}
    assert parse_kv("", "x") == {} and parse_kv(None, "x") == {} and parse_kv({"a": 1}, "x") == {"a": 1}
    assert parse_kv(["s='a b' lora.r=8"], "x") == {"s": "a b", "lora.r": 8}
    for bad, fragment in (("=3", "malformed item '=3'"), ("a", "expected key=value"),
                          ("a='x", "unbalanced"), ("x=hello world", "malformed item 'world'")):
        with pytest.raises(CompassError, match=fragment) as info:
            parse_kv(bad, "--extra-body")
        assert str(info.value).startswith("--extra-body: ")


def test_hf_config_strings_and_flags_read_kv_the_same_way():
    from compass_hf.options import HFOptions

    opts = HFOptions.from_kwargs(path="a/b", generation_kwargs="top_k=5 temperature=0.5",
                                 tokenizer_kwargs=["use_fast=False", "padding_side='left'"])
    assert opts.generation_kwargs == {"top_k": 5, "temperature": 0.5}
    assert opts.tokenizer_kwargs == {"use_fast": False, "padding_side": "left"}
    with pytest.raises(CompassError, match=r"^--peft-kwargs: expected key=value"):
        HFOptions.from_kwargs(path="a/b", peft_kwargs="r")


def test_kv_flag_error_is_one_line(compass):
    one_line_error(compass("eval", "-m", "arith", "-d", "toy", "--extra-body", "x=hello world"),
                   "--extra-body: expected key=value", "'world'")


# -- backends own their flags ---------------------------------------------------------------


def test_third_party_flags_reach_their_model_and_imply_it(compass):
    rec = compass.cwd / "rec.json"
    res = compass("eval", "-d", "toy", "--limit", "2", "--flags-record", str(rec),
                  "--flags-words", "alpha", "beta", "--flags-knobs", "depth=3", "mode='x y'",
                  "--flags-level", "2", "--flags-shade", "dark", env=env())
    assert res.code == 0, res.err
    (got,) = records(compass.cwd)  # built in the worker process, with the flags' values
    assert got == {"batch_size": 2, "words": ["alpha", "beta"], "knobs": {"depth": 3, "mode": "x y"},
                   "level": 2, "shade": "dark"}
    assert "arith-flags" in res.out  # --flags-record means -m arith-flags


def test_third_party_flag_values_are_checked(compass):
    res = compass("eval", "-d", "toy", "--flags-record", "r.json", "--flags-level", "0", env=env())
    one_line_error(res, "--flags-level")
    res = compass("eval", "-d", "toy", "--flags-record", "r.json", "--flags-shade", "grey", env=env())
    one_line_error(res, "--flags-shade", "grey")


def test_flags_implying_different_models_are_an_error(compass):
    res = compass("eval", "-d", "toy", "--hf-path", "x/y", "--api-base", "http://127.0.0.1:9/v1")
    one_line_error(res, "--hf-path means -m hf", "--api-base means -m openai", "-m")
    assert not (compass.cwd / "outputs").exists()


def test_implied_model_from_first_party_plugins(compass):
    res = compass("eval", "-d", "toy", "--api-base", "http://127.0.0.1:9/v1", "--api-model", "m", "--dry-run",
                  env=compass_env(OPENAI_API_KEY="sk-test"))
    assert res.code == 0, res.err  # without a model implied: "no models" (exit 2)
    assert "models: m" in res.out  # the openai backend names a model by its --api-model


def test_same_flag_from_two_plugins_names_both(compass):
    res = compass("eval", "-m", "arith", "-d", "toy",
                  env=compass_env("toy.toy_plugin,toy.flag_clash_plugin"))
    one_line_error(res, "flag --hf-path is contributed by two plugins: hf and toy.flag_clash_plugin")
    # other commands do not collect eval flags, so they keep working
    assert compass("list", "models", "arith", env=compass_env("toy.toy_plugin,toy.flag_clash_plugin")).code == 0


def test_a_plugin_flag_cannot_take_a_core_flag(monkeypatch):
    class Greedy:
        @hookimpl
        def register_eval_options(self, register):
            register("--limit", "mine", model_kwarg="limit")

    monkeypatch.setenv("COMPASS_PLUGINS", "mock")
    monkeypatch.delenv("COMPASS_EXTRA_PLUGINS", raising=False)
    host = make_plugin_host([Greedy()])
    with pytest.raises(PluginError, match="flag --limit is contributed by two plugins: compass and Greedy"):
        collect_eval_options(host.pm, {"--limit": "compass"})


def test_a_one_letter_spelling_cannot_be_taken_twice(monkeypatch):
    class Short:
        @hookimpl
        def register_eval_options(self, register):
            register("--my-dataset-dir", "mine", runner_kwarg="x", short="-d")

    monkeypatch.setenv("COMPASS_PLUGINS", "mock")
    monkeypatch.delenv("COMPASS_EXTRA_PLUGINS", raising=False)
    host = make_plugin_host([Short()])
    with pytest.raises(PluginError, match="flag -d is contributed by two plugins: compass and Short"):
        collect_eval_options(host.pm, {"-d": "compass", "--datasets": "compass"})


def test_bad_registrations_are_plugin_errors(monkeypatch):
    def host_with(**options):
        class Bad:
            @hookimpl
            def register_eval_options(self, register):
                register(**options)
        monkeypatch.setenv("COMPASS_PLUGINS", "mock")
        monkeypatch.delenv("COMPASS_EXTRA_PLUGINS", raising=False)
        return make_plugin_host([Bad()])

    for options, fragment in (({"flag": "-x", "model_kwarg": "x"}, "--lower-case-words"),
                              ({"flag": "--x"}, "exactly one of"),
                              ({"flag": "--x", "runner_kwarg": "x", "implies_model": "m"}, "needs model_kwarg"),
                              ({"flag": "--x", "model_kwarg": "x", "type": list()}, "type must be")):
        with pytest.raises(PluginError, match=fragment):
            collect_eval_options(host_with(**options).pm)


def test_eval_help_lists_every_flag_under_its_plugin(compass):
    res = compass("eval", "--help", env=env())
    assert res.code == 0, res.err
    sections = {}
    for line in res.out.splitlines():
        if line and not line.startswith(" "):
            current = sections.setdefault(line.rstrip(":"), [])
        elif line.strip().startswith("-"):
            current.append(line.split()[0].rstrip(","))
    assert {"--hf-path", "--model-kwargs", "--max-out-len", "--batch-size"} <= set(sections["Options of plugin hf"])
    assert {"--api-base", "--api-model", "--extra-body"} <= set(sections["Options of plugin openai"])
    assert {"--partition", "--retry", "--slurm-mode"} <= set(sections["Options of plugin slurm"])
    assert {"--flags-record", "--flags-words"} <= set(sections["Options of plugin toy.flags_plugin"])
    assert {"-m", "--limit", "--max-num-workers", "--runner-kwargs"} <= set(sections["Options"])
    assert "--hf-path" not in sections["Options"]
    assert "(implies -m hf)" in " ".join(res.out.split())


def test_the_core_names_no_backend_flag():
    import compass._cli.eval_cmd as eval_cmd

    text = Path(eval_cmd.__file__).read_text()
    for flag in ("--hf-path", "--api-base", "--api-model", "--partition", "--model-kwargs", "--slurm-time"):
        assert f'"{flag}"' not in text, flag
    assert "implies_model" not in text.replace("opt.implies_model", "")  # no backend special-cased


@pytest.mark.parametrize("args", [["--help"], ["list"]])
def test_other_commands_do_not_collect_eval_flags(args):
    code = ("import sys\nfrom compass._cli.main import main\n"
            f"sys.argv = ['compass', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in sys.modules if m.endswith('.flags') or m == 'compass._kv'),"
            " file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=compass_env(""))
    assert "LOADED []" in proc.stderr, proc.stderr[-2000:]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_no_import_cycle_between_main_and_eval_cmd():
    cli = Path(__file__).parents[1] / "core" / "compass" / "_cli"
    assert "compass._cli.eval_cmd" not in _imports(cli / "main.py")
    for module in ("eval_cmd.py", "list_cmd.py", "plugins_cmd.py", "__init__.py"):
        assert "compass._cli.main" not in _imports(cli / module), module


# -- multi-value flags, driven by the command's own options ---------------------------------


def test_multi_value_flags_come_from_the_options(compass):
    rec = compass.cwd / "rec.json"
    res = compass("eval", "-m", "arith-flags", "arith", "-d", "toy", "--limit", "2", "--flags-record", str(rec),
                  "--stop-words", "a", "b", "--flags-words", "x", "y", "z", "--debug", env=env())
    # arith takes stop_words but not record_file: the flags reach every model named with -m
    one_line_error(res, "model 'arith' does not take 'record_file'")
    res = compass("eval", "-m", "arith-flags", "-d", "toy", "--limit", "2", "--flags-record", str(rec),
                  "--stop-words", "a", "b", "--flags-words", "x", "y", "z", "--debug", env=env())
    assert res.code == 0, res.err
    (got,) = records(compass.cwd)
    assert got["stop_words"] == ["a", "b"] and got["words"] == ["x", "y", "z"]


# -- precedence: flag > config file > plugin/preset default, per flag family ------------------


def test_model_flags_beat_the_config_files_models(compass):
    rec = compass.cwd / "rec.json"
    (compass.cwd / "c.toml").write_text(
        f'[[models]]\ntype = "arith-flags"\nrecord_file = "{compass.cwd / "cfg.json"}"\nbatch_size = 1\n'
        f'max_out_len = 7\nstop_words = ["cfg"]\nmodel_kwargs = "a=1"\nlevel = 5\napi_base = "http://cfg"\n'
        f'[[datasets]]\ntype = "toy"\n')
    res = compass("eval", "c.toml", "--limit", "2", "--flags-record", str(rec), "--batch-size", "4",
                  "--max-out-len", "9", "--stop-words", "flag", "--model-kwargs", "b=2", "--flags-level", "3",
                  "--api-base", "http://flag", env=env())
    assert res.code == 0, res.err
    (got,) = records(compass.cwd)
    assert got == {"batch_size": 4, "max_out_len": 9, "stop_words": ["flag"], "model_kwargs": {"b": 2},
                   "level": 3, "api_base": "http://flag"}
    # what the flags did not set stays as the config file said
    res = compass("eval", "c.toml", "--limit", "2", "--flags-record", str(compass.cwd / "second.json"), env=env())
    assert res.code == 0, res.err
    (got,) = records(compass.cwd, "second")
    assert got["batch_size"] == 1 and got["level"] == 5 and got["model_kwargs"] == "a=1"


def test_model_flags_beat_preset_defaults(compass):
    rec = compass.cwd / "rec.json"
    res = compass("eval", "-m", "arith-flags-preset", "-d", "toy", "--limit", "2", "--flags-record", str(rec),
                  "--flags-level", "3", "--debug", env=env())
    assert res.code == 0, res.err
    (got,) = records(compass.cwd)
    assert got["level"] == 3 and got["batch_size"] == 3  # the flag over the preset; the rest of the preset kept


def test_runner_flags_beat_the_config_files_runner(compass):
    rec = compass.cwd / "runner.json"
    (compass.cwd / "c.toml").write_text(
        '[[models]]\ntype = "arith"\n[[datasets]]\ntype = "toy"\n'
        '[runner]\ntype = "recording"\nmax_num_workers = 1\npartition = "cfg"\nretry = 5\nnote = "cfg"\nqos = "keep"\n')
    res = compass("eval", "c.toml", "--limit", "2", "--max-num-workers", "2", "--partition", "flag",
                  "--retry", "0", "--flags-note", "flag", env=env(COMPASS_TEST_RUNNER_RECORD=str(rec)))
    assert res.code == 0, res.err
    got = json.loads(rec.read_text())
    assert got == {"max_num_workers": 2, "partition": "flag", "retry": 0, "note": "flag", "qos": "keep"}
    dumped = json.loads(next((only_run_dir(compass.cwd) / "configs").glob("*.json")).read_text())
    assert dumped["runner"]["max_num_workers"] == 2 and dumped["max_num_workers"] == 2


def test_max_num_workers_flag_beats_the_config_file_for_the_local_runner(compass):
    # two shards, and a model whose workers wait for each other: with one worker they never meet
    meet = compass.cwd / "meet"
    (compass.cwd / "c.toml").write_text(
        f'[[models]]\ntype = "arith-flags"\nrecord_file = "{compass.cwd / "rec.json"}"\n'
        f'rendezvous_dir = "{meet}"\n[[datasets]]\ntype = "toy"\n'
        '[runner]\ntype = "local"\nmax_num_workers = 1\n')
    res = compass("eval", "c.toml", "--max-partition-size", "5", "--max-num-workers", "2", env=env())
    assert res.code == 0, res.err
    got = records(compass.cwd)
    assert len(got) == 2 and all(r["saw_another_worker"] for r in got), got


def test_run_flags_beat_the_config_file(compass):
    data = compass.cwd / "flagdata" / "toyfile"
    data.mkdir(parents=True)
    data.joinpath("test.jsonl").write_text('{"question": "What is 2 + 2?", "answer": "4"}\n' * 3)
    (compass.cwd / "c.toml").write_text('work_dir = "cfg_out"\ndata_dir = "nowhere"\n'
                                        '[[models]]\ntype = "arith"\n[[datasets]]\ntype = "toyfile"\n')
    res = compass("eval", "c.toml", "-w", "flag_out", "--data-dir", "flagdata", "--limit", "2", "--debug", env=env())
    assert res.code == 0, res.err
    assert (compass.cwd / "flag_out").is_dir() and not (compass.cwd / "cfg_out").exists()
    run = next((compass.cwd / "flag_out").iterdir())
    dumped = json.loads(next((run / "configs").glob("*.json")).read_text())
    assert Path(dumped["data_dir"]).name == "flagdata" and dumped["limit"] == 2
    preds = [json.loads(ln) for p in (run / "predictions").rglob("*.jsonl") for ln in p.read_text().splitlines()]
    assert len(preds) == 2  # --limit, on the data of --data-dir


def test_api_flags_beat_the_config_file(tmp_path):
    require_extra("openai")
    from conftest import run_compass
    from openai_server import FakeOpenAI, ServerConfig

    with FakeOpenAI(ServerConfig()) as srv:
        (tmp_path / "api.toml").write_text(
            '[[models]]\ntype = "openai"\napi_base = "http://127.0.0.1:9/v1"\nmodel = "cfg-model"\n'
            'max_retries = 0\n[[datasets]]\ntype = "api_arith"\n')
        res = run_compass(["eval", "api.toml", "--limit", "3", "--api-base", srv.url, "--api-model", "test-model"],
                          tmp_path, compass_env("toy.api_plugin", COMPASS_PLUGINS="openai,runners,metrics",
                                                OPENAI_API_KEY="sk-test"))
        asked = len(srv.stats.ok_prompts())
    assert res.code == 0, res.err
    assert asked == 3
