"""compass against OpenCompass 0.5.4 on the whole of its pairwise subjective sets.

    /tmp/peers/opencompass/bin/python bench/opencompass_pairwise.py OC_CONFIGS /tmp/pairwise_full.json /work/shared/data
    .venv/bin/python bench/opencompass_pairwise_check.py OC_CONFIGS /tmp/pairwise_full.json /work/shared/data

For each config the first script ran (Arena-Hard v0.1's 500 questions, AlpacaEval's 805
instructions): compass reads the config file as written and the data of compass's layout,
renders every judge prompt in OpenCompass's order and compares it with the one OpenCompass's
``LMEvaluator`` sent, then scores OpenCompass's judge replies and compares the scores. Prints one
line per config and exits 1 on any difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from compass_opencompass import pairwise
from compass_opencompass.datasets import subset
from compass_opencompass.shims import run_config
from compass_opencompass.translate import dataset as translate_dataset


def main(argv: list[str]) -> int:
    configs, found, data = Path(argv[0]), json.loads(Path(argv[1]).read_text("utf-8")), Path(argv[2])
    bad = 0
    for case, c in found["cases"].items():
        ns = run_config(configs / "datasets" / c["config"])
        d = next(v for k, v in ns.items() if k.endswith("_datasets"))[0]
        sub = subset(translate_dataset(d, case)["datasets"][0], case)
        rows = sub.load(data).test
        games = pairwise.games_in_order(rows, c["candidate"], sub.evaluator_kwargs, "cand")
        same = sum(g["messages"] == j["messages"] for g, j in zip(games, c["judgements"]))
        for g, j in zip(games, c["judgements"]):
            g["reply"] = j["reply"]
        if "arena" in case:
            got = pairwise.arena_score(pairwise.battles(games, "cand", c["base"]), "cand", c["base"])
            got = {k: got[k] for k in c["scores"]}
        else:
            got = pairwise.alpaca_score(games)
        ok = same == len(c["judgements"]) == len(games) and got == c["scores"]
        bad += not ok
        print(f"{case}: {len(rows)} rows, {same}/{len(c['judgements'])} judge prompts byte-identical; "
              f"scores {'equal' if got == c['scores'] else 'DIFFER'}: compass {got} / OpenCompass {c['scores']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
