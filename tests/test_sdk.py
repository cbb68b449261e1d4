"""The public SDK: what it promises, that it costs nothing to import, and the contracts it
checks when plugins register components."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import compass_env, run_compass

import compass.sdk as sdk
from compass._errors import PluginError
from compass._plugins import make_plugin_host
from compass._protocols import check_component
from compass.sdk import hookimpl

SDK = Path(sdk.__file__)


def test_every_promised_name_resolves_and_type_checkers_see_the_same_names():
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None, name
    assert sorted(dir(sdk)) == sorted(sdk.__all__)
    with pytest.raises(AttributeError, match="compass.sdk has no name 'Planner'"):
        sdk.Planner  # noqa: B018
    checked = next(n for n in ast.parse(SDK.read_text()).body
                   if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen = {a.asname or a.name for node in ast.walk(checked) if isinstance(node, ast.ImportFrom) for a in node.names}
    assert seen == set(sdk.__all__)


def test_protocols_are_the_sdks():
    assert sdk.Model.__module__ == "compass._types" and sdk.Evaluator.__module__ == "compass._protocols"
    for name in ("Model", "Evaluator", "Reporter", "Runner", "Notifier"):
        assert getattr(getattr(sdk, name), "_is_protocol", False), name


def test_importing_the_sdk_for_a_manifest_loads_no_engine():
    code = ("import sys; from compass.sdk import hookimpl, Benchmark; "
            "print(sorted(m for m in sys.modules if m.startswith(('compass._pipeline', 'compass._infer', "
            "'compass._evaluate', 'torch', 'transformers'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _Reg(kind: str, cls: type) -> types.ModuleType:
    """A plugin registering one class; the class decides whether it meets the contract."""
    plugin = types.ModuleType(f"plugin_{cls.__name__}")

    def register_one(register):
        register(cls.__name__.lower(), cls, "test")

    setattr(plugin, f"register_{kind}", hookimpl(register_one))
    return plugin


class NoWrite:
    def save(self, report):
        return None


class Misspelled:
    def score_sample(self, samples, context):
        return iter(())

    def aggregate(self, records, context):
        return {}


class Fine:
    def score(self, answers, golds):
        return {"accuracy": 0.0}

    def details(self, answers, golds):
        return []


@pytest.mark.parametrize("kind, cls, message", [
    ("reporters", NoWrite, "plugin plugin_NoWrite: reporter 'nowrite' lacks 'write'"),
    ("evaluators", Misspelled, "plugin plugin_Misspelled: evaluator 'misspelled' has a member 'score_sample' "
                               "where the contract has 'score_samples'"),
])
def test_a_class_that_breaks_its_contract_is_refused_when_it_registers(kind, cls, message):
    host = make_plugin_host([_Reg(kind, cls)], autoload=False)
    with pytest.raises(PluginError, match=message):
        host.registry  # noqa: B018  (registration happens when the registry is collected)


def test_a_class_that_meets_its_contract_registers():
    host = make_plugin_host([_Reg("evaluators", Fine)], autoload=False)
    assert host.registry.get("evaluators", "fine").load() is Fine


def test_a_factory_functions_product_is_checked_when_it_is_built():
    def build(**kwargs):
        return NoWrite()

    with pytest.raises(PluginError, match="reporter 'r' lacks 'write'"):
        from compass._protocols import checked_factory

        checked_factory("reporters", "r", "p", build)()
    check_component("models", "m", "p", type("M", (), {"loglikelihood": lambda self, r: []}))  # one mode is enough
    with pytest.raises(PluginError, match="model 'm' has a member 'generate_streams' where the contract has "
                                          "'generate_stream'"):
        check_component("models", "m", "p", type("M", (), {"generate": None, "generate_streams": None}))


def test_a_misspelled_hook_is_refused():
    class Notifier:
        __name__ = "late_notifier"

        @hookimpl
        def on_run_finish(self, event):
            pass

    with pytest.raises(PluginError, match="plugin late_notifier: 'on_run_finish' is marked @hookimpl but no "
                                          "hook has that name; did you mean 'on_run_finished'"):
        make_plugin_host([Notifier()], autoload=False)


def test_a_broken_contract_is_one_line_and_exit_2(tmp_path):
    res = run_compass(["eval", "-m", "mock", "-d", "demo_gsm8k", "--limit", "1"], tmp_path,
                      compass_env("toy.bad_contract_plugin"))
    assert res.code == 2, res.err
    assert res.err.strip() == ("error: plugin toy.bad_contract_plugin: evaluator 'counting' has a member "
                               "'score_sample' where the contract has 'score_samples'; rename it "
                               "(see compass.sdk.Evaluator)")
    assert not (tmp_path / "outputs").exists()
