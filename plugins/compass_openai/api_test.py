"""``compass api-test``: is this endpoint usable, and with which modes?

Checks the key is set, sends one short request (no retries), and prints endpoint, model,
HTTP status, latency, tokens, the answer and whether the server returns log-probabilities
(ppl/clp datasets). Each kind of failure (bad key, unknown model, rate limit, unreachable
host, TLS) is one line with the fix, exit code 2. ``--eval DATASET --limit N`` then runs a
small real evaluation through the usual pipeline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import click

from compass.sdk import CompassError

PROBE_QUESTION = "What is 2 + 3? Answer with the number only."


@dataclass
class Probe:
    status: int
    latency: float
    answer: str
    prompt_tokens: int
    completion_tokens: int
    logprobs: bool
    logprobs_note: str


async def _logprobs_available(sdk, model: str) -> tuple[bool, str]:
    """Does the completions endpoint echo prompt log-probabilities (what ppl/clp need)?"""
    from compass_openai.retry import classify

    try:
        resp = await sdk.completions.create(model=model, prompt="The capital of France is Paris",
                                            max_tokens=1, echo=True, logprobs=1, temperature=0)
        lp = resp.choices[0].logprobs
        values = [v for v in (getattr(lp, "token_logprobs", None) or []) if v is not None]
        if values:
            return True, "yes — ppl/clp datasets work (set logprobs=True)"
        return False, "no — the server returns no echoed logprobs; gen datasets only"
    except Exception as exc:  # noqa: BLE001 - any refusal means: not available
        err = classify(exc)
        why = err.describe() if err else f"{type(exc).__name__}: {exc}"
        return False, f"no ({why[:80]}) — gen datasets only"


async def probe(settings, key: str) -> Probe:
    """One request, no retries; an :class:`ApiError` is raised as CompassError by the caller."""
    from openai import AsyncOpenAI

    sdk = AsyncOpenAI(api_key=key, base_url=settings.api_base, max_retries=0, timeout=settings.timeout)
    try:
        t0 = time.perf_counter()
        extra = {"extra_body": settings.extra_body} if settings.extra_body else {}
        if settings.chat:
            raw = await sdk.chat.completions.with_raw_response.create(
                model=settings.model, messages=[{"role": "user", "content": PROBE_QUESTION}],
                max_tokens=16, temperature=0, **extra)
        else:
            raw = await sdk.completions.with_raw_response.create(
                model=settings.model, prompt=f"Q: {PROBE_QUESTION}\nA:", max_tokens=16, temperature=0, **extra)
        latency = time.perf_counter() - t0
        resp = raw.parse()
        choice = resp.choices[0]
        answer = (choice.message.content if settings.chat else choice.text) or ""
        usage = resp.usage
        ok, note = await _logprobs_available(sdk, settings.model)
        return Probe(raw.status_code, latency, answer.strip(), int(getattr(usage, "prompt_tokens", 0) or 0),
                     int(getattr(usage, "completion_tokens", 0) or 0), ok, note)
    finally:
        await sdk.close()


async def _list_models(settings, key: str) -> list[str] | None:
    from openai import AsyncOpenAI

    sdk = AsyncOpenAI(api_key=key, base_url=settings.api_base, max_retries=0, timeout=min(settings.timeout, 10))
    try:
        page = await sdk.models.list()
        return [m.id for m in page.data]
    except Exception:  # noqa: BLE001 - best effort, only to suggest a name
        return None
    finally:
        await sdk.close()


def _host():
    from compass.sdk import plugin_host

    return plugin_host()


def resolve(name: str, flags: dict):
    """The registered model ``name`` with ``flags`` over its defaults, checked; (kwargs, settings)."""
    from compass_openai import FACTORY
    from compass_openai.settings import ApiSettings, _known

    reg = _host().registry.get("models", name)
    if reg.factory != FACTORY:
        raise CompassError(f"model '{name}' is not an API model (plugin {reg.plugin}); api-test checks "
                           f"OpenAI-compatible endpoints, e.g. compass api-test moonshot-v1-8k")
    kwargs = {**reg.defaults, **{k: v for k, v in flags.items() if v is not None}}
    return kwargs, ApiSettings.from_kwargs(where=name, **_known(kwargs))


@click.command("api-test", context_settings={"max_content_width": 100})
@click.argument("name", required=False, default="openai")
@click.option("--api-base", default=None, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1.")
@click.option("--api-model", default=None, help="Model name at that endpoint.")
@click.option("--api-key-env", default=None, help="Environment variable holding the key.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds to wait for the answer [default: 30].")
@click.option("--eval", "datasets", multiple=True, metavar="DATASET",
              help="Then evaluate on this dataset (several allowed) with --limit samples.")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="Samples per dataset for --eval.")
@click.option("-w", "--work-dir", default=None, help="Run folder parent for --eval [default: outputs/default].")
def api_test_command(name, api_base, api_model, api_key_env, request_timeout, datasets, limit, work_dir):
    """Check an API model (or every API model of a config file): key set, one request, modes
    available; optionally a tiny eval.

    \b
    Examples:
      compass api-test moonshot-v1-8k
      compass api-test configs/api_examples/eval_api_moonshot.py
      compass api-test openai-compatible --api-base http://127.0.0.1:8000/v1 --api-model qwen2
      compass api-test deepseek-chat --eval demo_gsm8k --limit 5
    """
    flags = {"api_base": api_base, "model": api_model, "api_key_env": api_key_env, "timeout": request_timeout}
    if name.endswith((".py", ".toml")):
        _test_config(name, flags)
        return
    kwargs, settings = resolve(name, {**flags, "timeout": request_timeout or 30.0})
    _probe_and_print(settings)
    if datasets:
        _run_eval(name, flags, datasets, limit, work_dir)


def _test_config(path: str, flags: dict) -> None:
    """Every API model a config file declares (TOML, or OpenCompass-style with OpenAI dicts)."""
    from compass import api
    from compass_openai import FACTORY
    from compass_openai.settings import ApiSettings, _known

    cfg = api.load_config(path)
    host = _host()
    tested = 0
    for i, comp in enumerate(cfg.models):
        reg = host.registry.get("models", comp.type)
        if reg.factory != FACTORY:
            continue
        kwargs = {**reg.defaults, **comp.kwargs, **{k: v for k, v in flags.items() if v is not None}}
        kwargs.setdefault("timeout", 30.0)
        where = f"{path}: models[{i}] ({comp.abbr or kwargs.get('model') or comp.type})"
        settings = ApiSettings.from_kwargs(where=where, **_known(kwargs))
        click.echo(f"{where}:")
        _probe_and_print(settings)
        tested += 1
    if not tested:
        raise CompassError(f"{path} declares no API model (OpenAI/OpenAISDK, or a type such as openai or "
                           f"moonshot-v1-8k); api-test checks OpenAI-compatible endpoints")


def _probe_and_print(settings) -> None:
    import asyncio

    from tabulate import tabulate

    from compass_openai.diagnose import explain
    from compass_openai.retry import classify

    key = settings.read_key()  # missing key: one line naming the variable
    try:
        result = asyncio.run(probe(settings, key))
    except ImportError:
        raise CompassError("api-test needs the 'openai' package: pip install 'compass-eval[api]'") from None
    except Exception as exc:  # noqa: BLE001 - classified; anything unknown is a bug and re-raised
        err = classify(exc)
        if err is None:
            raise
        models = asyncio.run(_list_models(settings, key)) if err.kind == "not_found" else None
        from compass_openai.settings import scrub

        raise CompassError(scrub(explain(err, settings, models), key)) from None
    rows = [
        ["endpoint", settings.api_base],
        ["model", settings.model],
        ["key", f"${settings.api_key_env} (set)" if settings.api_key_env else "none (server checks none)"],
        ["HTTP status", result.status],
        ["latency", f"{result.latency * 1000:.0f} ms"],
        ["tokens", f"{result.prompt_tokens} prompt + {result.completion_tokens} completion"],
        ["answer", result.answer[:200]],
        ["logprobs", result.logprobs_note],
    ]
    click.echo(tabulate(rows, tablefmt="simple", disable_numparse=True))


def _run_eval(name: str, flags: dict, datasets: tuple[str, ...], limit: int, work_dir: str | None) -> None:
    """The usual evaluation with the same model options, in this process (through compass.api)."""
    from compass import api

    model = api.Component(name, {k: v for k, v in flags.items() if v is not None})
    cfg = api.RunConfig(models=[model], datasets=[api.Component(d) for d in datasets],
                        runner=api.Component("debug"), limit=limit, work_dir=work_dir or "outputs/default")
    click.echo(f"\nevaluating {name} on {', '.join(datasets)} ({limit} samples each):", err=True)
    click.get_current_context().exit(api.evaluate(cfg, _host()).exit_code)
