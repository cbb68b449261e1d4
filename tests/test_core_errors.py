"""Bad input: one line naming the problem and the fix, exit code 2, no traceback."""

from __future__ import annotations

import pytest

from conftest import compass_env


def _one_line_error(res, *fragments):
    assert res.code == 2, (res.code, res.out, res.err)
    lines = [ln for ln in res.err.splitlines() if ln.strip() and not ln.startswith("warning:")]
    assert len(lines) == 1, res.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in res.err
    for frag in fragments:
        assert frag in lines[0], lines[0]
    return lines[0]


def test_unknown_dataset_did_you_mean(compass):
    line = _one_line_error(compass("eval", "-m", "arith", "-d", "toi"))
    assert line.startswith("error: unknown dataset 'toi'; did you mean 'toy'?")
    assert not (compass.cwd / "outputs").exists()


def test_unknown_model_and_runner(compass):
    _one_line_error(compass("eval", "-m", "arihm", "-d", "toy"), "unknown model 'arihm'", "did you mean 'arith'")
    _one_line_error(compass("eval", "-m", "arith", "-d", "toy", "--runner", "locl"),
                    "unknown runner 'locl'", "did you mean 'local'")


def test_unknown_model_option_names_the_accepted_ones(compass):
    _one_line_error(compass("eval", "-m", "arith", "-d", "toy", "--hf-path", "/x"),
                    "model 'arith' does not take 'path'", "delay")


@pytest.mark.parametrize("args,fragment", [
    (["--max-num-workers", "0"], "--max-num-workers"),
    (["--limit", "many"], "--limit"),
    (["--batch-size", "-3"], "--batch-size"),
    (["--model-kwargs", "device_map"], "--model-kwargs: expected key=value"),
    (["--mode", "everything"], "--mode"),
    (["--no-such-flag"], "--no-such-flag"),
])
def test_bad_flag_values(compass, args, fragment):
    _one_line_error(compass("eval", "-m", "arith", "-d", "toy", *args), fragment)


def test_malformed_toml_names_file_and_line(compass):
    cfg = compass.cwd / "bad.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n[[datasets]\ntype = "toy"\n')
    _one_line_error(compass("eval", str(cfg)), "bad.toml", "line 3")


def test_python_config_errors_name_the_line(compass):
    cfg = compass.cwd / "bad.py"
    cfg.write_text('models = [dict(type="arith")]\ndatasets = [dict(type="toy")\n')
    _one_line_error(compass("eval", str(cfg)), "bad.py:", "syntax error")
    cfg.write_text('models = [dict(type="arith")]\ndatasets = [undefined_name]\n')
    _one_line_error(compass("eval", str(cfg)), "bad.py:2", "NameError")
    cfg.write_text('import os\nmodels = [dict(type=os.path)]\ndatasets = ["toy"]\n')
    _one_line_error(compass("eval", str(cfg)), "plain data")


def test_unknown_config_key(compass):
    cfg = compass.cwd / "c.toml"
    cfg.write_text('modles = ["arith"]\n')
    _one_line_error(compass("eval", str(cfg)), "unknown setting(s) modles")


def test_missing_data_folder_names_the_path(compass):
    _one_line_error(compass("eval", "-m", "arith", "-d", "toyfile", "--data-dir", "nowhere"),
                    "nowhere/toyfile/test.jsonl")
    assert not (compass.cwd / "outputs").exists()


def test_reuse_of_unknown_run(compass):
    _one_line_error(compass("eval", "-m", "arith", "-d", "toy", "-r", "20000101_000000"), "--reuse 20000101_000000")


def test_missing_models_or_datasets(compass):
    _one_line_error(compass("eval", "-d", "toy"), "no model given")
    _one_line_error(compass("eval", "-m", "arith"), "no dataset given")


def test_mode_the_model_cannot_serve(compass):
    cfg = compass.cwd / "c.toml"
    cfg.write_text('models = ["arith"]\n[[datasets]]\ntype = "custom_clp"\n')
    env = compass_env("toy.toy_plugin,toy.clp_plugin")
    _one_line_error(compass("eval", str(cfg), env=env), "cannot serve clp mode")


def test_broken_plugin_is_named_and_the_rest_work(compass):
    # the allow-list keeps the other installed plugins out of this test
    env = compass_env("toy.toy_plugin,toy.broken_plugin", COMPASS_PLUGINS="runners,metrics")
    res = compass("list", "datasets", "toy", env=env)
    assert res.code == 0
    warnings = [ln for ln in res.err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "toy.broken_plugin" in warnings[0]
    assert "a_module_that_is_not_installed" in warnings[0]
    assert "toy_pair" in res.out
    res = compass("plugins", env=env)
    assert "FAILED to load" in res.out and "toy.broken_plugin" in res.out
    assert "mock" not in res.out  # not allow-listed: not even imported


def test_duplicate_name_names_both_plugins(compass):
    res = compass("list", env=compass_env("toy.toy_plugin,toy.dup_plugin"))
    _one_line_error(res, "dataset 'toy' is registered by two plugins", "toy.toy_plugin", "toy.dup_plugin")


def test_missing_required_option_is_named(compass):
    _one_line_error(compass("eval", "-m", "arith", "-d", "toy_sized"), "dataset 'toy_sized' needs 'size'")
