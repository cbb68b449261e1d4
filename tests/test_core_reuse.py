"""``-r`` reuses only what the same settings produced; golds come from the data as it is now.

Runs go through ``compass.api`` in this process (the ``evaluate`` fixture); the precedence of
an explicit ``--max-out-len`` is a CLI matter and runs the real command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import only_run_dir

MOCK_ECHO = '[[models]]\ntype = "mock"\nabbr = "echo"\necho = true\n'
# custom mcq prompts end "Answer: " in gen mode and "Answer:" in ppl mode: this mock generates
# "B" (wrong: every gold is A) and, scoring candidates, prefers "A" (right)
MOCK_SPLIT = ('[[models]]\ntype = "mock"\nabbr = "echo"\ndefault = "A"\n'
              '[models.answers]\n"Answer: " = "B"\n')
ROWS = [
    {"question": "Which letter comes first?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "A"},
    {"question": "Which letter is a vowel?", "A": "e", "B": "f", "C": "g", "D": "h", "answer": "A"},
    {"question": "Which letter follows z?", "A": "none", "B": "y", "C": "x", "D": "w", "answer": "A"},
]


def _write_mcq(path: Path, rows=ROWS) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _config(tmp_path: Path, method: str, model: str = MOCK_SPLIT) -> Path:
    cfg = tmp_path / f"{method}.toml"
    cfg.write_text(model + f'\n[[datasets]]\ntype = "custom"\npath = "{tmp_path / "q.jsonl"}"\n'
                   f'infer_method = "{method}"\n')
    return cfg


def _score(run_dir: Path, model: str = "echo", dataset: str = "q") -> float:
    rows = list(csv.reader((run_dir / "summary" / f"summary_{run_dir.name}.csv").open()))
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == dataset)
    return float(row[header.index(model)])


def test_ppl_run_does_not_reuse_gen_predictions(evaluate, tmp_path):
    _write_mcq(tmp_path / "q.jsonl")
    fresh = evaluate(_config(tmp_path, "ppl"), work_dir="fresh")
    assert fresh.code == 0, fresh.err
    assert _score(next((tmp_path / "fresh").iterdir())) == 100.0

    gen = evaluate(_config(tmp_path, "gen"), work_dir="W")
    assert gen.code == 0, gen.err
    run = next((tmp_path / "W").iterdir())
    assert _score(run) == 0.0
    again = evaluate(_config(tmp_path, "ppl"), work_dir="W", reuse="latest")
    assert again.code == 0, again.err
    assert _score(run) == 100.0, "ppl must not score the letters generated in gen mode"
    assert "reuse echo / custom: 0 reused, 3 to infer (3 made with other settings (mode" in again.err
    # nothing deleted: the gen predictions are kept beside the new file
    kept = list((run / "predictions" / "echo").glob("q@*.jsonl"))
    assert len(kept) == 1 and len(kept[0].read_text().splitlines()) == 3
    modes = {r[0]: r[3] for r in csv.reader((run / "summary" / f"summary_{run.name}.csv").open())}
    assert modes["q"] == "ppl"

    # back to gen: the kept answers are found again, nothing is inferred
    back = evaluate(_config(tmp_path, "gen"), work_dir="W", reuse="latest")
    assert back.code == 0, back.err
    assert "reuse echo / custom: 3 reused, 0 to infer" in back.err
    assert _score(run) == 0.0


def test_corrected_answer_key_is_scored_without_inferring_again(evaluate, tmp_path):
    _write_mcq(tmp_path / "q.jsonl")
    cfg = _config(tmp_path, "ppl")
    assert evaluate(cfg).code == 0
    run = only_run_dir(tmp_path)
    assert _score(run) == 100.0
    _write_mcq(tmp_path / "q.jsonl", [dict(r, answer="B") for r in ROWS])
    again = evaluate(cfg, reuse="latest")
    assert again.code == 0, again.err
    assert "3 reused, 0 to infer" in again.err
    assert _score(run) == 0.0, "golds must come from the data, not from the old predictions"


def test_edited_row_and_changed_settings_are_inferred_again(evaluate, tmp_path):
    _write_mcq(tmp_path / "q.jsonl")
    cfg = _config(tmp_path, "gen", MOCK_ECHO)
    assert evaluate(cfg).code == 0
    run = only_run_dir(tmp_path)
    edited = [dict(ROWS[0]), dict(ROWS[1], question="Which letter is a consonant?"), dict(ROWS[2])]
    _write_mcq(tmp_path / "q.jsonl", edited)
    again = evaluate(cfg, reuse="latest")
    assert again.code == 0, again.err
    assert "2 reused, 1 to infer (1 whose prompt changed" in again.err
    preds = [json.loads(x) for x in (run / "predictions" / "echo" / "q.jsonl").read_text().splitlines()]
    assert "consonant" in preds[-1]["prediction"] and preds[-1]["index"] == 1

    # another output length: every sample again, and the reason names the setting
    longer = evaluate(cfg, reuse="latest", model_kwargs={"max_out_len": 7})
    assert longer.code == 0, longer.err
    assert "0 reused, 3 to infer (3 made with other settings (generation.max_out_len" in longer.err

    # other model settings (here: echo off)
    other = cfg.read_text().replace("echo = true", "echo = false")
    (tmp_path / "other.toml").write_text(other)
    res = evaluate(tmp_path / "other.toml", reuse="latest", model_kwargs={"max_out_len": 7})
    assert res.code == 0, res.err
    assert "3 made with other settings (model.kwargs.echo" in res.err


def test_few_shot_change_is_inferred_again(evaluate, tmp_path):
    data = Path(__file__).parent / "data" / "datasets"
    cfg = tmp_path / "five.toml"
    cfg.write_text(f'data_dir = "{data}"\n[[models]]\ntype = "mock"\n'
                   '[[datasets]]\ntype = "ceval_compass_gen"\nsubjects = ["computer_network"]\n')
    first = evaluate(cfg, limit=2)
    assert first.code == 0, first.err
    (tmp_path / "zero.toml").write_text(cfg.read_text() + "shots = 0\n")
    res = evaluate(tmp_path / "zero.toml", limit=2, reuse="latest")
    assert res.code == 0, res.err
    line = next(ln for ln in res.err.splitlines() if ln.startswith("reuse mock / ceval_compass_gen"))
    assert "0 reused" in line and "made with other settings (fewshot" in line


def test_explicit_max_out_len_beats_the_dataset_default(compass, tmp_path):
    # ceval_compass_gen has its own (multiple-choice) output length; an explicit --max-out-len wins
    data = Path(__file__).parent / "data" / "datasets"
    cfg = tmp_path / "echo.toml"
    cfg.write_text(f'data_dir = "{data}"\n' + MOCK_ECHO +
                   '\n[[datasets]]\ntype = "ceval_compass_gen"\nsubjects = ["computer_network"]\n')

    def predictions(work: str) -> list[dict]:
        run = next((tmp_path / work).iterdir())
        return [json.loads(x) for f in (run / "predictions" / "echo").glob("*.jsonl")
                for x in f.read_text().splitlines()]

    res = compass("eval", str(cfg), "--limit", "2", "--max-out-len", "3", "-w", "flag")
    assert res.code == 0, res.err
    assert all(len(p["prediction"]) <= 3 * 8 for p in predictions("flag"))  # mock: 8 chars a token

    # the same length written in the config file is explicit too
    cfg.write_text(cfg.read_text().replace('echo = true', 'echo = true\nmax_out_len = 3'))
    res = compass("eval", str(cfg), "--limit", "2", "-w", "file")
    assert res.code == 0, res.err
    assert all(len(p["prediction"]) <= 3 * 8 for p in predictions("file"))

    # without it, the dataset's own length applies (the echoed prompts are longer than 24 chars)
    cfg.write_text(cfg.read_text().replace('max_out_len = 3', ''))
    res = compass("eval", str(cfg), "--limit", "2", "-w", "none")
    assert res.code == 0, res.err
    assert any(len(p["prediction"]) > 3 * 8 for p in predictions("none"))


def test_settings_that_change_only_speed_do_not_void_reuse(evaluate, tmp_path):
    _write_mcq(tmp_path / "q.jsonl")
    cfg = _config(tmp_path, "gen")
    assert evaluate(cfg).code == 0
    faster = tmp_path / "faster.toml"
    faster.write_text(cfg.read_text().replace('default = "A"', 'default = "A"\nbatch_size = 1'))
    res = evaluate(faster, reuse="latest")
    assert res.code == 0, res.err
    assert "reuse echo / custom: 3 reused, 0 to infer" in res.err
