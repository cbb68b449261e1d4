"""``compass compare``: scores, McNemar's test, why two runs differ, flipped samples.

Real runs through the real CLI: a tiny random Llama (tests/hf_models.py's tokenizer) on
C-Eval's four shipped demo subjects in ppl mode, 0-shot vs 1-shot; the toy ``arith`` model for
runs that share some datasets and models.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from extras import require_extra

from compass_results.stats import EXACT_BELOW, chi2_p, exact_p, mcnemar

# -- McNemar, by hand -----------------------------------------------------------------------


def test_exact_p_matches_hand_computation():
    # b=1, c=6: n=7; P(X<=1) = (C(7,0)+C(7,1))/2^7 = 8/128; two-sided 16/128 = 0.125
    assert exact_p(1, 6) == pytest.approx(0.125)
    assert exact_p(6, 1) == pytest.approx(0.125)
    # b=0, c=5: 2 * 1/32 = 0.0625 (not significant at 0.05); b=0, c=6: 2/64 = 0.03125
    assert exact_p(0, 5) == pytest.approx(0.0625)
    assert exact_p(0, 6) == pytest.approx(0.03125)
    assert exact_p(3, 3) == 1.0 and exact_p(0, 0) == 1.0
    assert mcnemar(0, 6).significant and not mcnemar(0, 5).significant
    assert mcnemar(2, 9).test == "exact"


def test_chi2_matches_hand_computation():
    # b=10, c=30: (|10-30|-1)^2/40 = 361/40 = 9.025; p = erfc(sqrt(9.025/2))
    stat, p = chi2_p(10, 30)
    assert stat == pytest.approx(9.025)
    assert p == pytest.approx(math.erfc(math.sqrt(9.025 / 2)))
    assert p == pytest.approx(0.002663, rel=1e-3)  # the chi-square(1) table value
    result = mcnemar(10, 30)
    assert result.test == "chi2" and result.significant and 10 + 30 >= EXACT_BELOW
    assert not mcnemar(20, 22).significant


# -- real runs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory) -> str:
    """A 2-layer random Llama with room for a few-shot C-Eval prompt (4096 positions)."""
    require_extra("transformers")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    import hf_models

    folder = tmp_path_factory.mktemp("llama")
    hf_models.build_tokenizer(folder, chat=False)
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=4096, initializer_range=0.2,
                         tie_word_embeddings=False, **hf_models._ids(folder))
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return str(folder)


SUBJECTS = ["computer_network", "middle_school_geography", "high_school_history", "basic_medicine"]


def _ceval_config(path: Path, model: str, shots: int, batch_size: int = 8, subjects=SUBJECTS) -> Path:
    from compass_datasets.demo import demo_root

    path.write_text(f"""
data_dir = "{demo_root()}"
[[models]]
type = "hf"
abbr = "tiny"
path = "{model}"
hf_type = "base"
batch_size = {batch_size}
[[datasets]]
type = "ceval_compass_ppl"
subjects = {json.dumps(list(subjects))}
shots = {shots}
""")
    return path


def _runs(cwd: Path) -> list[Path]:
    return sorted((cwd / "outputs" / "default").iterdir())


def _verdicts(run: Path, subject: str) -> dict[int, bool]:
    path = run / "results" / "tiny" / f"ceval-{subject}.samples.jsonl"
    return {r["index"]: r["correct"] for r in map(json.loads, path.read_text().splitlines())}


@pytest.mark.model
def test_compare_names_the_fewshot_change_and_the_flipped_samples(compass, tiny_llama):
    cwd = compass.cwd
    for shots in (0, 1):
        res = compass("eval", str(_ceval_config(cwd / f"s{shots}.toml", tiny_llama, shots)), timeout=300)
        assert res.code == 0, res.err
    run_a, run_b = _runs(cwd)

    res = compass("compare", str(run_a), str(run_b), "--max-flips", "1000")
    assert res.code == 0, res.err
    out = res.out
    # why: the few-shot set-up, named, and the dataset option that made it
    # … said once when every dataset shares the change, not once per dataset
    assert out.count("fewshot.indices") == 1 and "fewshot.indices" in out and "[] -> [0]" in out
    assert "run setting datasets.ceval_compass_ppl.shots: 0 -> 1" in out
    assert "package " not in out  # same environment, recorded by each run:
    env = json.loads(next((run_a / "summary").glob("environment_*.json")).read_text())
    assert {"compass-eval", "torch", "transformers"} <= set(env["packages"]) and env["python"]
    assert "batch_size" not in out  # same operational settings

    data = json.loads(compass("compare", str(run_a), str(run_b), "--json").out)
    assert len(data["pairs"]) == 4 and not data["only_a"] and not data["only_b"]
    flips = 0
    for pair in data["pairs"]:
        subject = pair["dataset"].removeprefix("ceval-")
        va, vb = _verdicts(run_a, subject), _verdicts(run_b, subject)
        # the flipped samples are exactly those whose verdict changed
        assert pair["right_a_only"] == sorted(i for i in va if va[i] and not vb[i])
        assert pair["right_b_only"] == sorted(i for i in va if vb[i] and not va[i])
        flips += len(pair["right_a_only"]) + len(pair["right_b_only"])
        assert pair["p"] == pytest.approx(exact_p(len(pair["right_a_only"]), len(pair["right_b_only"])))
        acc = lambda v: 100 * sum(v.values()) / len(v)  # noqa: E731
        assert pair["a"] == pytest.approx(acc(va)) and pair["b"] == pytest.approx(acc(vb))
        assert [c["name"] for c in pair["settings"]][:1] == ["fewshot.indices"]
        for direction, indices in (("right in A, wrong in B", pair["right_a_only"]),
                                   ("wrong in A, right in B", pair["right_b_only"])):
            if indices:  # listed in the text too, each with its question and both answers
                head = f"tiny / {pair['dataset']}: {direction} ({len(indices)}):"
                block = out.split(head, 1)[1].split("\n  tiny / ", 1)[0]
                assert [int(x) for x in re.findall(r"^    #(\d+) ", block, re.M)] == indices
                assert block.count("      gold ") == len(indices)
    assert flips, "the few-shot change flipped no verdict"

    # --html: the same comparison as one page, with nothing loaded from elsewhere
    res = compass("compare", str(run_a), str(run_b), "--html", "cmp.html")
    assert res.code == 0, res.err
    page = (cwd / "cmp.html").read_text()
    assert "src=" not in page and "http" not in page.replace(str(run_a), "").replace(str(run_b), "")
    tables = _html_tables(page)
    scores = tables["scores"][1:]
    assert [(r[1], r[3], r[4], r[5]) for r in scores] == [
        (g["group"], f"{g['a']:.2f}", f"{g['b']:.2f}", f"{g['delta']:+.2f}") for g in data["groups"]] + [
        (p["dataset"], f"{p['a']:.2f}", f"{p['b']:.2f}", f"{p['delta']:+.2f}") for p in data["pairs"]]
    # the C-Eval average and its groups, with their deltas, first (the headline), then the subsets
    assert {"ceval", "ceval-stem"} <= {g["group"] for g in data["groups"]}
    assert "fewshot.indices" in page and "[] -&gt; [0]" in page
    for pair in data["pairs"]:
        indices = sorted(pair["right_a_only"] + pair["right_b_only"] + pair["both_wrong_differ"])
        if indices:  # every changed sample, in the section the dataset's row links to
            section = page.split(f'<section class="pair" id="s-tiny--{pair["dataset"]}"', 1)[1].split("</section>")[0]
            assert sorted(map(int, re.findall(r'data-index="(\d+)"', section))) == indices
            assert f'href="#s-tiny--{pair["dataset"]}"' in page


def _html_tables(page: str) -> dict[str, list[list[str]]]:
    """Every table with an id: its rows of cell texts (stdlib HTML parser)."""
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.current, self.row, self.cell = {}, None, None, None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.current = self.tables.setdefault(dict(attrs).get("id", ""), [])
            elif tag == "tr" and self.current is not None:
                self.row = []
                self.current.append(self.row)
            elif tag in ("td", "th") and self.row is not None:
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.row.append(" ".join(self.cell.split()))
                self.cell = None
            elif tag == "table":
                self.current = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Tables()
    parser.feed(page)
    return parser.tables


@pytest.mark.model
def test_same_settings_no_significant_delta_and_operational_change_named(compass, tiny_llama):
    cwd = compass.cwd
    for name, batch in (("a", 8), ("b", 3)):
        res = compass("eval", str(_ceval_config(cwd / f"{name}.toml", tiny_llama, 0, batch, SUBJECTS[:1])), timeout=300)
        assert res.code == 0, res.err
    run_a, run_b = _runs(cwd)
    data = json.loads(compass("compare", run_a.name, run_b.name, "--json").out)  # timestamps under -w
    (pair,) = data["pairs"]
    assert pair["significant"] is False and pair["delta"] == pytest.approx(0.0, abs=1e-6)
    assert pair["settings"] == []  # the batch size is not a setting of what the model answers …
    assert [c["name"] for c in data["run_settings"]] == ["models.tiny.batch_size"]  # … but is named
    out = compass("compare", run_a.name, run_b.name).out
    assert "within noise" in out and "run setting models.tiny.batch_size: 8 -> 3" in out


def test_compare_on_what_two_runs_share(compass, evaluate):
    # the runs are made in this process (compass.api); `compass compare` is what is tested
    assert evaluate({"models": ["arith"], "datasets": ["toy", "toy_pair"]}).code == 0
    assert evaluate({"models": ["arith"], "datasets": ["toy"]}, limit=6).code == 0
    run_a, run_b = _runs(compass.cwd)
    res = compass("compare", str(run_a), str(run_b))
    assert res.code == 0, res.err
    assert "only in A (not compared): arith / toy-first, arith / toy-second" in res.out
    assert "arith / toy-gen: samples: A 10, B 6 (compared on the 6 both have)" in res.out
    assert "run setting limit: unset (every sample) -> 6" in res.out and "null" not in res.out
    assert "Flipped samples: none" in res.out
    data = json.loads(compass("compare", str(run_a), str(run_b), "--json").out)
    assert [(p["model"], p["dataset"], p["significant"]) for p in data["pairs"]] == [("arith", "toy-gen", False)]


def test_compare_bad_run_is_one_line(compass):
    res = compass("compare", "nope", "latest")
    assert res.code == 2
    assert res.err.startswith("error: no run folder 'nope'") and "Traceback" not in res.err


def test_compare_html_to_a_missing_folder_is_one_line(compass, evaluate):
    assert evaluate({"models": ["arith"], "datasets": ["toy"]}).code == 0
    res = compass("compare", "latest", "latest", "--html", "no/such/dir/cmp.html")
    assert res.code == 2, res.err
    assert "error: --html no/such/dir/cmp.html: cannot write it" in res.err and "Traceback" not in res.err


def test_changed_samples_side_by_side_group_rows_and_the_correction(compass):
    """arith against a mock that always answers 4: each changed sample with its question, the
    gold and both runs' answers; group rows with deltas; q adjusted (Benjamini–Hochberg)."""
    assert compass("eval", "-m", "arith", "-d", "toy", "toy_pair", "-w", "a").code == 0
    (compass.cwd / "m.toml").write_text('[[models]]\ntype = "mock"\nabbr = "mocky"\ndefault = "4"\n'
                                        '[[datasets]]\ntype = "toy"\n[[datasets]]\ntype = "toy_pair"\n')
    assert compass("eval", "m.toml", "-w", "b").code == 0
    (run_a,), (run_b,) = (compass.cwd / "a").iterdir(), (compass.cwd / "b").iterdir()
    data = json.loads(compass("compare", str(run_a), str(run_b), "--json").out)
    pairs = {p["dataset"]: p for p in data["pairs"]}
    gen = pairs["toy-gen"]
    # arith is wrong on odd n, mocky always says "4" (right only for 2 + 2): the odd ones are
    # wrong in both, with different answers
    assert gen["right_a_only"] == [0, 4, 6, 8] and gen["right_b_only"] == []
    assert gen["both_wrong_differ"] == [1, 3, 5, 7, 9]
    first = next(s for s in gen["flipped"] if s["index"] == 4)
    assert first["kind"] == "a_right" and first["question"] == "Q: What is 4 + 4?\nA:"  # few-shot left out
    assert (first["gold"], first["a"]["answer"], first["b"]["answer"].strip()) == ("8", "8\n", "4")
    assert first["a"]["correct"] is True and first["b"]["correct"] is False and first["b"]["raw"] == "4"
    # q: Benjamini–Hochberg over the three tests (scipy), and significance read from it
    from scipy.stats import false_discovery_control
    ps = [p["p"] for p in data["pairs"]]
    assert [p["p_adjusted"] for p in data["pairs"]] == pytest.approx(list(false_discovery_control(ps)))
    assert data["correction"] == "Benjamini–Hochberg" and data["tests"] == 3
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["toy-pair-avg"]["a"] == pytest.approx(55.0) and groups["toy-pair-avg"]["delta"] == pytest.approx(0.0)

    out = compass("compare", str(run_a), str(run_b), "--flips", "b-right").out
    assert "toy-pair-avg" in out and "group average" in out
    assert "adjusted for the 3 McNemar test(s) of this comparison (Benjamini–Hochberg)" in out
    assert "every dataset (3): model.type: arith -> mock" in out and out.count("model.type: arith -> mock") == 1
    assert "right in A, wrong in B (" not in out  # filtered to b-right
    assert "  arith / toy-second: wrong in A, right in B (2):\n    #1 Q: What is 1 + 1? A:\n" \
           "      gold A | A ✗ B (B) | B ✓ A (A)" in out


def test_compare_html_filters_changed_samples_in_chromium(compass):
    from test_report_html import Dom, browse

    assert compass("eval", "-m", "arith", "-d", "toy", "-w", "a").code == 0
    (compass.cwd / "m.toml").write_text('[[models]]\ntype = "mock"\nabbr = "mocky"\ndefault = "4"\n'
                                        '[[datasets]]\ntype = "toy"\n')
    assert compass("eval", "m.toml", "-w", "b").code == 0
    (run_a,), (run_b,) = (compass.cwd / "a").iterdir(), (compass.cwd / "b").iterdir()
    assert compass("compare", str(run_a), str(run_b), "--html", "c.html").code == 0
    page = compass.cwd / "c.html"
    dom = Dom(browse(page))
    assert dom.find("body")[0]["data-shown"] == "9"  # 4 right only in A + 5 wrong in both
    dom = Dom(browse(page, "#kind=both_wrong"))
    rows = [r for r in dom.find("tr", class_="sample") if "hidden" not in r.get("class", "")]
    assert [r["data-index"] for r in rows] == ["1", "3", "5", "7", "9"]
    assert all(r["data-kind"] == "both_wrong" for r in rows)
    assert "Q: What is 3 + 3?\nA:" in rows[1]["text"] and "✗ 7" in rows[1]["text"] and "✗ 4" in rows[1]["text"]


def test_an_unnamed_component_is_compared_by_its_effective_name():
    """``-m mock`` and ``abbr = "mock"`` name the same model: no change to report, and no null."""
    from compass_results.compare import run_setting_changes, show

    a = {"models": [{"type": "mock"}], "limit": None}
    b = {"models": [{"type": "mock", "abbr": "mock", "default": "B"}], "limit": 5}
    changes = {c.name: (c.a, c.b) for c in run_setting_changes(a, b)}
    assert changes == {"models.mock.default": (None, "B"), "limit": (None, 5)}
    assert show(None, "models.mock.default") == "unset (default)" and show(None, "limit") == "unset (every sample)"
