"""The plugin system: hook specs, the plugin host, registrations, `compass list`/`plugins`."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from compass import hookspecs
from compass._errors import CompassError, PluginError
from compass.hookspecs import hookimpl
from compass._plugins import make_plugin_host
from conftest import compass_env


class OnePlugin:
    """A class-based plugin registered from a fixture (as llm's tests do)."""

    @hookimpl
    def register_models(self, register):
        register("unit-model", "compass_mock.model:MockModel", "A model from a test.\nSecond line dropped.",
                 defaults={"default": "B"}, traits="compass_mock.model:mock_traits")

    @hookimpl
    def register_datasets(self, register):
        register("unit-data", lambda: None, "A dataset from a test.")


@pytest.fixture
def host(monkeypatch):
    monkeypatch.delenv("COMPASS_EXTRA_PLUGINS", raising=False)
    monkeypatch.setenv("COMPASS_PLUGINS", "mock,runners,metrics")
    h = make_plugin_host([OnePlugin()])
    yield h
    h.pm.check_pending()  # a misspelled hookimpl name would fail here


def test_every_hook_is_documented_for_plugin_authors():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(f, "compass_spec")]
    assert {f.__name__ for f in specs} >= {
        "register_models", "register_datasets", "register_postprocessors", "register_evaluators",
        "register_runners", "register_commands", "on_run_started", "on_task_started",
        "on_task_finished", "on_run_finished"}
    for f in specs:
        doc = inspect.getdoc(f) or ""
        for arg in inspect.signature(f).parameters:
            assert f":param {arg}:" in doc, f"{f.__name__} does not document {arg}"


def test_registration_records_plugin_description_and_defaults(host):
    reg = host.registry.get("models", "unit-model")
    assert reg.plugin == "OnePlugin"
    assert reg.description == "A model from a test."
    model = reg.load()(**reg.defaults)
    assert model.default == "B"
    assert host.registry.get("runners", "local").plugin == "runners"


def test_unknown_name_suggests_the_closest(host):
    with pytest.raises(CompassError, match=r"unknown model 'unit-modl'; did you mean 'unit-model'\?"):
        host.registry.get("models", "unit-modl")


def test_duplicate_registration_names_both_plugins(host):
    class Again:
        @hookimpl
        def register_models(self, register):
            register("mock", "compass_mock.model:MockModel", "again")

    h = make_plugin_host([Again()])
    with pytest.raises(PluginError, match="model 'mock' is registered by two plugins: mock and Again"):
        h.registry


def test_factory_that_does_not_exist_is_a_plugin_error(host):
    class Bad:
        @hookimpl
        def register_evaluators(self, register):
            register("nothing", "compass_metrics.evaluators:NoSuchThing", "missing")

    reg = make_plugin_host([Bad()]).registry.get("evaluators", "nothing")
    with pytest.raises(PluginError, match="plugin Bad: evaluator 'nothing' points at"):
        reg.load()


def test_allow_list_excludes_other_plugins(host):
    assert [p.name for p in host.plugins] == ["metrics", "mock", "runners", "OnePlugin"]


def test_trace_hooks_env_var(compass):
    res = compass("list", "runners", env=compass_env(COMPASS_TRACE_HOOKS="1"))
    assert res.code == 0
    assert "register_runners" in res.err


def test_list_patterns_match_across_kinds(compass):
    res = compass("list", "toy", "arith")
    assert res.code == 0
    names = [ln.split()[0] for ln in res.out.splitlines()[2:] if ln and not ln.startswith(" ")]
    assert set(names) >= {"toy", "toy_pair", "toyfile", "arith"}
    assert "mock" not in names
    res = compass("list", "datasets", "toy_*")
    assert [ln.split()[0] for ln in res.out.splitlines()[2:]] == ["toy_pair", "toy_sized"]
    header = compass("list", "runners").out.splitlines()[0].split()
    assert header == ["name", "kind", "plugin", "description"]


def test_plugins_command_shows_distribution_version_and_registrations(compass):
    res = compass("plugins", env=compass_env(COMPASS_PLUGINS="mock,runners"))
    assert res.code == 0
    rows = {ln.split()[0]: ln for ln in res.out.splitlines()[2:]}
    assert "compass-eval" in rows["mock"] and "0.1.0" in rows["mock"] and "1 models" in rows["mock"]
    assert "2 runners" in rows["runners"]
    assert "4 datasets" in rows["toy.toy_plugin"]


@pytest.mark.parametrize("args", [["--help"], ["list"], ["plugins"], ["eval", "--help"]])
def test_cli_does_not_import_heavy_libraries(args):
    code = (
        "import sys\n"
        "from compass._cli.main import main\n"
        f"sys.argv = ['compass', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'openai', 'datasets', 'numpy', 'aiohttp') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=compass_env(""))
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]
