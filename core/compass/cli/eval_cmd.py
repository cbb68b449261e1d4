"""``compass eval``: flags or a config file → RunConfig → the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import click

from compass.errors import CompassError

MULTI_VALUE_OPTIONS = {"-m", "--models", "-d", "--datasets", "--model-kwargs", "--tokenizer-kwargs",
                       "--generation-kwargs", "--peft-kwargs", "--stop-words", "--runner-kwargs",
                       "--extra-body"}

# flag destination -> model keyword argument (handed to the model plugin when the flag is given)
HF_FLAGS = {
    "hf_type": "hf_type", "hf_path": "path", "model_kwargs": "model_kwargs",
    "tokenizer_path": "tokenizer_path", "tokenizer_kwargs": "tokenizer_kwargs",
    "generation_kwargs": "generation_kwargs", "max_seq_len": "max_seq_len",
    "max_out_len": "max_out_len", "min_out_len": "min_out_len", "batch_size": "batch_size",
    "hf_num_gpus": "num_gpus", "stop_words": "stop_words", "pad_token_id": "pad_token_id",
    "peft_path": "peft_path", "peft_kwargs": "peft_kwargs",
}
API_FLAGS = {
    "api_base": "api_base", "api_model": "model", "api_key_env": "api_key_env",
    "max_concurrency": "max_concurrency", "max_rps": "max_rps", "request_timeout": "timeout",
    "extra_body": "extra_body", "temperature": "temperature", "system_prompt": "system_prompt",
}
SLURM_FLAGS = {"partition": "partition", "qos": "qos", "slurm_time": "time", "retry": "retry",
               "slurm_mode": "mode"}


def parse_literal(text: str):
    """A Python literal where the text is one (``True``, ``'auto'``, ``3``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_kv(values: tuple[str, ...], flag: str) -> dict:
    """``("a=1", "b='x'")`` → ``{"a": 1, "b": "x"}``; a malformed item names the flag."""
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise CompassError(f"{flag}: expected key=value items, got {item!r} "
                               f"(e.g. {flag} device_map='auto' trust_remote_code=True)")
        out[key.strip()] = parse_literal(value)
    return out


def _batch_size(ctx, param, value):
    if value is None or value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(f"expected a positive integer or 'auto', got {value!r}") from None
    if n < 1:
        raise click.BadParameter(f"expected a positive integer or 'auto', got {value!r}")
    return n


def _split_names(values: tuple[str, ...]) -> list[str]:
    return [n for v in values for n in v.split(",") if n]


@click.command("eval", context_settings={"max_content_width": 100})
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("-m", "--models", multiple=True, metavar="NAME…",
              help="Models by registry name (see: compass list models); several allowed.")
@click.option("-d", "--datasets", multiple=True, metavar="NAME…",
              help="Datasets by registry name (see: compass list datasets); several allowed.")
@click.option("-w", "--work-dir", default=None, help="Where run folders go [default: outputs/default].")
@click.option("-r", "--reuse", is_flag=False, flag_value="latest", default=None, metavar="[latest|TIMESTAMP]",
              help="Continue a run folder (the latest, or a timestamp): infer only missing samples.")
@click.option("--mode", type=click.Choice(["all", "infer", "eval", "viz"]), default="all", show_default=True,
              help="Stop after inference, only evaluate, or only re-print the summary.")
@click.option("--debug", is_flag=True, help="Run tasks in this process, one by one, output on the terminal.")
@click.option("--dry-run", is_flag=True, help="Print the plan (tasks, sample counts) and exit; loads no model.")
@click.option("--runner", default=None, help="Runner by registry name [default: local; debug with --debug].")
@click.option("--runner-kwargs", multiple=True, metavar="K=V…", help="Extra runner options.")
@click.option("--max-num-workers", type=click.IntRange(min=1), default=None,
              help="Parallel worker processes / jobs [default: 1].")
@click.option("--max-partition-size", type=click.IntRange(min=1), default=None,
              help="Split a dataset into shards of at most this many samples.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N samples of each dataset (smoke runs).")
@click.option("--dump-eval-details", is_flag=True, help="Write per-sample verdicts into the result files.")
@click.option("--data-dir", default=None, help="Benchmark data folder [default: $COMPASS_DATA_DIR or ./data].")
@click.option("--custom-dataset-path", default=None, help="A .jsonl/.csv file of your own (question,A,B,C,D,answer or question,answer).")
@click.option("--custom-dataset-data-type", type=click.Choice(["mcq", "qa"]), default=None,
              help="Type of the custom dataset [default: detected from its columns].")
@click.option("--custom-dataset-infer-method", type=click.Choice(["gen", "ppl"]), default=None,
              help="How the custom dataset is answered [default: gen for chat models, ppl for base].")
@click.option("--hf-type", type=click.Choice(["base", "chat"]), default=None,
              help="HF model kind: base (plain text) or chat (chat template).")
@click.option("--hf-path", default=None, help="HF model folder or hub id (implies -m hf).")
@click.option("--model-kwargs", multiple=True, metavar="K=V…", help="Extra from_pretrained() arguments, e.g. device_map='auto'.")
@click.option("--tokenizer-path", default=None, help="Tokenizer folder or hub id [default: --hf-path].")
@click.option("--tokenizer-kwargs", multiple=True, metavar="K=V…", help="Extra tokenizer arguments.")
@click.option("--generation-kwargs", multiple=True, metavar="K=V…", help="Extra generate() arguments, e.g. do_sample=True.")
@click.option("--max-seq-len", type=click.IntRange(min=1), default=None, help="Longest input; longer prompts are cut from the left.")
@click.option("--max-out-len", type=click.IntRange(min=1), default=None, help="Most new tokens per answer.")
@click.option("--min-out-len", type=click.IntRange(min=0), default=None, help="Fewest new tokens per answer.")
@click.option("--batch-size", callback=_batch_size, default=None, metavar="N|auto", help="Batch size, or 'auto' (largest that fits).")
@click.option("--hf-num-gpus", type=click.IntRange(min=0), default=None, help="Accelerators per model instance.")
@click.option("--stop-words", multiple=True, metavar="WORD…", help="Extra stop strings for generation.")
@click.option("--pad-token-id", type=int, default=None, help="Pad token id when the tokenizer has none.")
@click.option("--peft-path", default=None, help="A PEFT/LoRA adapter to apply.")
@click.option("--peft-kwargs", multiple=True, metavar="K=V…", help="Extra PeftModel.from_pretrained() arguments.")
@click.option("--api-base", default=None, help="OpenAI-compatible endpoint, e.g. https://api.moonshot.cn/v1 (implies -m openai).")
@click.option("--api-model", default=None, help="Model name at that endpoint.")
@click.option("--api-key-env", default=None, help="Environment variable holding the API key [default: OPENAI_API_KEY].")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=None, help="Most API requests in flight.")
@click.option("--max-rps", type=click.FloatRange(min=0, min_open=True), default=None, help="Most API requests per second.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds before an API request is retried.")
@click.option("--extra-body", multiple=True, metavar="K=V…", help="Extra JSON body fields for API requests.")
@click.option("--temperature", type=float, default=None, help="Sampling temperature for API models.")
@click.option("--system-prompt", default=None, help="System prompt for API chat models.")
@click.option("--partition", default=None, help="Slurm partition (--runner slurm).")
@click.option("--qos", default=None, help="Slurm QOS (--runner slurm).")
@click.option("--slurm-time", default=None, help="Slurm time limit per task, e.g. 2:00:00.")
@click.option("--retry", type=click.IntRange(min=0), default=None, help="Retries of a failed Slurm task [default: 2].")
@click.option("--slurm-mode", type=click.Choice(["srun", "sbatch"]), default=None, help="Blocking srun steps or submitted sbatch jobs.")
@click.pass_context
def eval_command(ctx, config, **opts):
    """Evaluate models on datasets: infer, evaluate, summarize.

    \b
    Examples:
      compass eval -m smollm2-135m-instruct -d demo_ceval demo_gsm8k
      compass eval -m hf --hf-path Qwen/Qwen2-1.5B-Instruct --hf-type chat -d ceval_gen --debug
      compass eval my_config.toml -r latest
    """
    from compass.pipeline import run_eval_command

    from compass.cli.main import plugin_host

    cfg = build_run_config(config, opts)
    ctx.exit(run_eval_command(cfg, plugin_host(ctx)))


def build_run_config(config_path: str | None, opts: dict):
    """Merge a config file (if any) and the flags into one RunConfig."""
    from compass.config import Component, RunConfig, config_from_file_data, load_config_file

    if config_path:
        cfg = config_from_file_data(load_config_file(config_path), config_path)
    else:
        cfg = RunConfig()
    kv = {name: parse_kv(opts[name], "--" + name.replace("_", "-"))
          for name in ("model_kwargs", "tokenizer_kwargs", "generation_kwargs", "peft_kwargs",
                       "runner_kwargs", "extra_body")}
    model_flags = {}
    for flag, key in {**HF_FLAGS, **API_FLAGS}.items():
        value = kv.get(flag, opts.get(flag))
        if value not in (None, (), {}, []):
            model_flags[key] = list(value) if isinstance(value, tuple) else value
    models = _split_names(opts["models"])
    if not models and not cfg.models:
        if opts.get("hf_path"):
            models = ["hf"]
        elif opts.get("api_base") or opts.get("api_model"):
            models = ["openai"]
    if models:
        cfg.models = [Component(name, dict(model_flags)) for name in models]
    elif model_flags:
        for m in cfg.models:
            m.kwargs.update(model_flags)
    datasets = _split_names(opts["datasets"])
    if datasets:
        cfg.datasets = [Component(name) for name in datasets]
    if opts.get("custom_dataset_path"):
        # absolute: a runner may start tasks in another folder
        kwargs = {"path": str(Path(opts["custom_dataset_path"]).resolve())}
        if opts.get("custom_dataset_data_type"):
            kwargs["data_type"] = opts["custom_dataset_data_type"]
        if opts.get("custom_dataset_infer_method"):
            kwargs["infer_method"] = opts["custom_dataset_infer_method"]
        cfg.datasets.append(Component("custom", kwargs))
    if opts.get("runner"):
        cfg.runner = Component(opts["runner"], dict(cfg.runner.kwargs) if opts["runner"] == cfg.runner.type else {})
    elif opts.get("debug"):
        cfg.runner = Component("debug")
    cfg.runner.kwargs.update(kv["runner_kwargs"])
    for flag, key in SLURM_FLAGS.items():
        if opts.get(flag) is not None:
            cfg.runner.kwargs[key] = opts[flag]
    for key in ("work_dir", "data_dir"):
        if opts.get(key):
            setattr(cfg, key, opts[key])
    for key in ("reuse", "limit", "max_partition_size", "max_num_workers"):
        if opts.get(key) is not None:
            setattr(cfg, key, opts[key])
    cfg.mode = opts["mode"]
    cfg.dump_eval_details = cfg.dump_eval_details or opts["dump_eval_details"]
    cfg.dry_run = opts["dry_run"]
    return cfg
