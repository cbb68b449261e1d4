"""Compare compass's MT-Bench / AlignBench judge prompts with an oracle file made by
``bench/opencompass_subjective.py`` on any data folder (run in compass's environment)::

    /tmp/peers/opencompass/bin/python bench/opencompass_subjective.py /work/shared/data /tmp/full.json
    .venv/bin/python bench/opencompass_subjective_check.py /work/shared/data /tmp/full.json

prints how many of the judge prompts are byte-identical (2026-12-06, the whole data: 80/80 and 683/683).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from compass_opencompass import subjective

ROLE = {"SYSTEM": "system", "HUMAN": "user", "BOT": "assistant"}
MT = {"template": {"begin": [{"role": "SYSTEM", "fallback_role": "HUMAN", "prompt": "{system_prompt}"}],
                   "round": [{"role": "HUMAN", "prompt": "{prompt_template}"}]}}
AB = {"template": {"round": [{"role": "HUMAN",
                              "prompt": "{critiquellm_prefix}[助手的答案开始]\n{prediction}\n[助手的答案结束]\n"}]}}


def _msgs(messages) -> list[dict]:
    return [{"role": ROLE[m.role], "content": m.content} for m in messages]


def main(argv: list[str]) -> int:
    data, oracle = Path(argv[0]), json.loads(Path(argv[1]).read_text("utf-8"))
    rows = subjective.mtbench_rows(data / "mt_bench")
    cols = ["dialogue", "capability", "system_prompt", "prompt_template"]
    same = sum(_msgs(subjective.judge_messages(MT, r, cols, [f"<turn 1 answer t{i}>", f"<turn 2 answer t{i}>"]))
               == w["messages"] for i, (r, w) in enumerate(zip(rows, oracle["mtbench"])))
    print(f"MT-Bench: {same}/{len(oracle['mtbench'])} judge prompts byte-identical ({len(rows)} rows)")
    loader = subjective.SubjectiveLoader({
        "dataset_class": "AlignmentBenchDataset", "path": "data/subjective/alignment_bench",
        "name": "alignment_bench_v1_1", "alignment_bench_config_path": "data/subjective/alignment_bench/config",
        "alignment_bench_config_name": "multi-dimension"}, str(data))
    arows = loader(data).test
    same_ab = sum(_msgs(subjective.judge_messages(AB, r, ["question", "capability", "critiquellm_prefix"],
                                                  [f"<answer t{i}>"])) == w["messages"]
                  for i, (r, w) in enumerate(zip(arows, oracle["alignbench"])))
    print(f"AlignBench: {same_ab}/{len(oracle['alignbench'])} judge prompts byte-identical ({len(arows)} rows)")
    return 0 if (same, same_ab) == (len(oracle["mtbench"]), len(oracle["alignbench"])) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
