"""Model vs model on a pairwise dataset (``--pairwise all`` / ``--baseline MODEL``): the run's
candidates judged against each other by a loopback judge, Bradley–Terry ratings with
bootstrap intervals, the judgement cache, and the one-line refusals.

The runs go through ``compass.api`` in this process (the ``evaluate`` fixture, debug runner); the
refusals are the command's, so they run it."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from extras import require_extra

require_extra("openai")

from judge_helpers import PLUGINS, config, env, in_process, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

# answers of every question: 100, 50 and 10 characters; the "longer" judge gives A>>B to an
# answer at least twice as long as the other, so every game is won by the longer answer
LENGTHS = {"long": 100, "mid": 50, "short": 10, "tiny": 4}


def models(*names: str) -> str:
    return "".join(f'[[models]]\ntype = "mock"\nabbr = "{n}"\ndefault = "{"q" * LENGTHS[n]}"\n' for n in names)


def judge_server(mode: str = "longer") -> FakeOpenAI:
    return FakeOpenAI(ServerConfig(models=("judge-model",), judge=mode))


#: `--pairwise all` as the config file says it
ALL_PAIRS = '[eval_settings]\npairwise = "all"\n'


def comparison(run) -> dict:
    return json.loads((run / "comparisons" / "alpaca_eval.json").read_text())


class ComparisonTables(HTMLParser):
    """The report's model-vs-model tables: ``{dataset: [[cell, ...] per body row]}``."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "comparison" in (a.get("class") or "").split():
            self._table = a["data-dataset"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag == "td":
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def test_every_pair_judged_both_ways_and_rated_in_order(evaluate, tmp_path):
    with judge_server() as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("short", "long", "mid"), extra=ALL_PAIRS)
        res = evaluate(cfg, **in_process(COMPASS_PLUGINS=PLUGINS + ",report"))
        prompts = srv.stats.ok_prompts()
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    out = comparison(run)
    r = out["ratings"]
    # each model against the shipped baseline (4 questions × 2 orders) and against the other two
    # (3 pairs × 4 questions × 2 orders)
    assert len(prompts) == 3 * 8 + 3 * 8
    assert (r["long"]["win_rate"], r["mid"]["win_rate"], r["short"]["win_rate"]) == (100.0, 50.0, 0.0)
    assert {m: r[m]["games"] for m in r} == {"long": 16.0, "mid": 16.0, "short": 16.0}
    assert r["long"]["rating"] > r["mid"]["rating"] > r["short"]["rating"]
    assert abs(sum(x["rating"] for x in r.values()) / 3 - 1000.0) < 1e-6  # Elo scale, mean 1000
    for m in r:
        assert r[m]["ci_low"] <= r[m]["rating"] <= r[m]["ci_high"]
    assert out["info"]["position_consistency"] == 100.0 and out["info"]["unparseable"] == 0
    assert sorted(map(tuple, out["info"]["pairs"])) == sorted([("short", "long"), ("short", "mid"), ("long", "mid")])
    table = res.out[res.out.index("alpaca_eval: model vs model"):]
    assert [ln.split()[0] for ln in table.splitlines()[3:6]] == ["long", "mid", "short"]  # best first
    assert "position consistency 100.0%" in table and "12 of 12 answer pairs judged" in table
    # the HTML report shows the same table, in the same order, with the same figures
    (page,) = (run / "summary").glob("report_*.html")
    shown = ComparisonTables(page.read_text(encoding="utf-8")).tables["alpaca_eval"]
    assert [row[0] for row in shown] == ["long", "mid", "short"]
    printed = [ln.split() for ln in table.splitlines()[3:6]]
    assert shown == printed
    # the judge is deterministic and the bootstrap seeded: a second run gives the same figures
    with judge_server() as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("short", "long", "mid"), extra=ALL_PAIRS)
        res2 = evaluate(cfg, **in_process())
    assert res2.code == 0, res2.err
    assert comparison(run_dir(tmp_path))["ratings"] == r


def test_each_model_against_a_baseline_of_the_run(evaluate, tmp_path):
    with judge_server() as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("long", "mid", "short"),
                     extra='[eval_settings]\nbaseline = "mid"\n')
        res = evaluate(cfg, **in_process())
        prompts = srv.stats.ok_prompts()
    assert res.code == 0, res.err
    out = comparison(run_dir(tmp_path))
    assert sorted(map(tuple, out["info"]["pairs"])) == [("long", "mid"), ("short", "mid")]
    assert len(prompts) == 3 * 8 + 2 * 8  # long and short never meet
    r = out["ratings"]
    assert r["mid"]["vs_mid"] == 50.0
    assert r["long"]["vs_mid"] > 99.0 and r["short"]["vs_mid"] < 1.0
    assert "each model against mid" in res.out


def test_always_a_judge_rates_every_model_the_same(evaluate, tmp_path):
    with judge_server("always_a") as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("long", "short"), extra=ALL_PAIRS)
        res = evaluate(cfg, **in_process())
    assert res.code == 0, res.err
    out = comparison(run_dir(tmp_path))
    r = out["ratings"]
    assert r["long"]["win_rate"] == r["short"]["win_rate"] == 50.0  # every pair a tie over both orders
    assert abs(r["long"]["rating"] - 1000.0) < 1e-6 and abs(r["short"]["rating"] - 1000.0) < 1e-6
    assert out["info"]["position_consistency"] == 0.0


def test_a_new_model_costs_only_its_own_pairs_with_the_cache(evaluate, tmp_path):
    cache = in_process(COMPASS_JUDGE_CACHE="1", COMPASS_CACHE_DIR=str(tmp_path / "cache"))
    with judge_server() as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("long", "mid", "short"), extra=ALL_PAIRS)
        assert evaluate(cfg, **cache).code == 0
        first = len(srv.stats.ok_prompts())
        cfg = config(tmp_path, "alpaca_eval", srv.url, models=models("long", "mid", "short", "tiny"), extra=ALL_PAIRS)
        res = evaluate(cfg, **cache)
        second = len(srv.stats.ok_prompts()) - first
    assert res.code == 0, res.err
    assert first == 3 * 8 + 3 * 8
    assert second == 1 * 8 + 3 * 8  # tiny vs the baseline, and tiny vs each of the three
    r = comparison(run_dir(tmp_path))["ratings"]
    assert r["tiny"]["win_rate"] == 0.0 and r["long"]["win_rate"] == 100.0


def test_refusals_are_one_line_before_any_model_loads(compass, tmp_path):
    cases = [
        (models("long"), ["--pairwise", "all"], "--pairwise all needs two or more models"),
        (models("long", "mid"), ["--baseline", "nosuch"], "--baseline nosuch: not one of the run's models"),
        (models("long"), ["--baseline", "long"], "--baseline long: there is no other model"),
        (models("long", "mid"), ["--pairwise", "all", "--baseline", "mid"], "pick one"),
    ]
    for text, flags, message in cases:
        cfg = config(tmp_path, "alpaca_eval", "http://127.0.0.1:9/v1", models=text)
        res = compass("eval", str(cfg), *flags, env=env())
        assert res.code == 2, (flags, res.err)
        assert message in res.err and "Traceback" not in res.err
        assert len(res.err.strip().splitlines()) == 1, res.err
        assert not (tmp_path / "outputs").exists()  # refused while planning: nothing ran
    res = compass("eval", str(config(tmp_path, "alpaca_eval", None, models=models("long", "mid"))), "--pairwise",
                  "some", env=env())
    assert res.code == 2 and "--pairwise" in res.err and len(res.err.strip().splitlines()) == 1
