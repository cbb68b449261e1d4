"""OpenCompass 0.5.4's own MT-Bench / AlignBench judge prompts, postprocessors and summaries.

The oracle for ``tests/test_opencompass_subjective.py``. Run it in OpenCompass's environment
(never the project's), on a data folder laid out as compass's (``mt_bench/`` from FastChat,
``alignbench/`` from THUDM/AlignBench)::

    /tmp/peers/opencompass/bin/python bench/opencompass_subjective.py \\
        tests/data/datasets/oc_subjective tests/data/opencompass_subjective.json

It writes the files in OpenCompass's own formats (``mtbench_0.0.json``: ``dialogue``,
``capability``, ``others.reference``; ``alignment_bench_v1_1.json``: ``question``,
``capability``, ``others``) to a temporary folder, loads them with OpenCompass's
``MTBenchDataset`` / ``AlignmentBenchDataset``, adds the columns ``LMEvaluator.score`` adds
(``prediction_r1``, ``prediction_r2`` for a conversation; ``prediction``, ``obj_gold`` and the
word counts for one answer; ``reference``), renders the evaluator's ``prompt_template`` of the
configs ``mtbench_single_judge_diff_temp_new.py`` / ``alignbench_v1_1_judgeby_critiquellm_new.py``
with ``ZeroRetriever`` and parses it as ``HuggingFacewithChatTemplate`` does (the messages a
chat judge gets). It also reads a battery of judge replies with ``post_process_mtbench`` /
``post_process_alignbench`` and scores sets of them with ``mtbench_postprocess`` /
``alignbench_postprocess`` (the summary numbers).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

MT_TEMPLATE = dict(begin=[dict(role="SYSTEM", fallback_role="HUMAN", prompt="{system_prompt}")],
                   round=[dict(role="HUMAN", prompt="{prompt_template}")])
AB_TEMPLATE = dict(round=[dict(role="HUMAN",
                               prompt="{critiquellm_prefix}[助手的答案开始]\n{prediction}\n[助手的答案结束]\n")])

MT_REPLIES = [
    "The answer is fine. Rating: [[7]]",
    "Rating: [[8.5]] and later Rating: [[3]]",
    "rating: [[6]]",
    "Rating:[[10]]",
    "I give it [[9]]",
    "Rating: [[ 4 ]]",
    "Rating: \n[[2]]",
    "",
]
AB_REPLIES = [
    "评价……\n{'事实正确性': 8, '满足用户需求': 7, '清晰度': 9, '完备性': 6, '综合得分': 7}",
    "{'事实正确性': 3} 中间 {'事实正确性': 5, '满足用户需求': 4, '逻辑连贯性': 6, '完备性': 5, '综合得分': 5}",
    "{'事实正确性': 11, '综合得分': 6}",
    "{'未知维度': 5, '综合得分': 6}",
    "{'事实正确性': 6, '满足用户需求': 6}",
    "事实正确性：7分\n满足用户需求：6分\n清晰度：8分\n完备性：5分\n综合得分：6分\n",
    "创造性 8\n丰富度 9\n事实正确性 7\n满足用户需求 7\n逻辑连贯性 6\n总体 7",
    "{\"事实正确性\": 8, \"综合得分\": 8}",
    "没有打分。",
    "{'综合得分': 10}",
    "{'事实正确性': 9, '满足用户需求': 8, '公平与可负责程度': 9, '创造性': 7, '综合得分': 8}",
]
MT_CAPS = ["writing", "math", "reasoning", "coding", "writing", "extraction", "stem", "math"]
AB_CAPS = ["专业能力", "数学计算", "基本任务", "逻辑推理", "中文理解", "文本写作", "角色扮演", "综合问答", "数学计算",
           "专业能力", "逻辑推理"]
NEED_REF = ("math", "reasoning", "coding")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def write_oc_files(data: Path, tmp: Path) -> None:
    """FastChat's and AlignBench's files in OpenCompass's own formats."""
    mt = data / "mt_bench"
    refs = {r["question_id"]: r["choices"][0]["turns"] for r in _jsonl(mt / "reference_answer" / "gpt-4.jsonl")}
    problems = []
    for q in _jsonl(mt / "question.jsonl"):
        dialogue = []
        for t in q["turns"]:
            dialogue += [{"role": "user", "content": t}, {"role": "assistant", "content": ""}]
        others = {"question_id": q["question_id"]}
        ref = refs.get(q["question_id"]) or q.get("reference")
        if ref:
            others["reference"] = ref
        problems.append({"dialogue": dialogue, "capability": q["category"], "others": others})
    (tmp / "mtbench").mkdir()
    (tmp / "mtbench" / "mtbench_0.0.json").write_text(json.dumps(problems, ensure_ascii=False), "utf-8")
    ab = data / "alignbench"
    rows = [{"question": r["question"], "capability": r["category"],
             "others": {"subcategory": r["subcategory"], "reference": r.get("reference") or "",
                        "question_id": r["question_id"]}} for r in _jsonl(ab / "data" / "data_v1.1_release.jsonl")]
    (tmp / "alignment_bench").mkdir()
    (tmp / "alignment_bench" / "alignment_bench_v1_1.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    shutil.copytree(ab / "config", tmp / "alignment_bench" / "config")
    shutil.copytree(ab / "config", tmp / "alignment_bench" / "config" / "config")  # OpenCompass joins the Paths here


def render(ds, template: dict, columns: dict) -> list:
    """``LMEvaluator.score``'s judge prompts: the columns added, ZeroRetriever, HF chat parsing."""
    from opencompass.models.huggingface_above_v4_33 import _convert_chat_messages, _get_meta_template
    from opencompass.openicl.icl_prompt_template import PromptTemplate
    from opencompass.openicl.icl_retriever import ZeroRetriever

    for k, v in columns.items():
        ds.reader.dataset["test"] = ds.test.add_column(k, v)
        ds.reader.input_columns.append(k)
    ds.reader.output_column = "reference"
    retriever = ZeroRetriever(ds)
    tmpl = PromptTemplate(template=template)
    parser = _get_meta_template(None)  # HuggingFacewithChatTemplate's parser (an APITemplateParser)
    out = []
    for idx in range(len(ds.test)):
        p = retriever.generate_prompt_for_generate_task(idx, "", prompt_template=tmpl)
        out.append(_convert_chat_messages([parser.parse_template(p, mode="gen")])[0])
    return out


def main(argv: list[str]) -> int:
    data, out_path = Path(argv[0]), Path(argv[1])
    from opencompass.datasets.subjective import alignbench as ab
    from opencompass.datasets.subjective import mtbench as mt

    result: dict = {}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        write_oc_files(data, tmp)
        reader = dict(input_columns=["dialogue", "capability", "system_prompt", "prompt_template"],
                      output_column="judge")
        ds = mt.MTBenchDataset(path=str(tmp / "mtbench"), name="mtbench_0.0", reader_cfg=reader)
        n = len(ds.test)
        rows = [{k: ds.test[i][k] for k in ("capability", "system_prompt", "prompt_template")} for i in range(n)]
        msgs = render(ds, MT_TEMPLATE, {"prediction_r1": [f"<turn 1 answer t{i}>" for i in range(n)],
                                        "prediction_r2": [f"<turn 2 answer t{i}>" for i in range(n)],
                                        "reference": [dict(x) for x in ds.test["judge"]]})
        result["mtbench"] = [{"question_id": json.loads(json.dumps(ds.test[i]["others"]))["question_id"],
                              **rows[i], "messages": msgs[i]} for i in range(n)]
        reader = dict(input_columns=["question", "capability", "critiquellm_prefix"], output_column="judge")
        ds = ab.AlignmentBenchDataset(path=str(tmp / "alignment_bench"), name="alignment_bench_v1_1",
                                      alignment_bench_config_path=str(tmp / "alignment_bench" / "config"),
                                      alignment_bench_config_name="multi-dimension", reader_cfg=reader)
        n = len(ds.test)
        preds = [f"<answer t{i}>" for i in range(n)]
        golds = [dict(x) for x in ds.test["judge"]]
        prefixes = list(ds.test["critiquellm_prefix"])
        msgs = render(ds, AB_TEMPLATE, {"prediction": preds, "obj_gold": golds,
                                        "prediction_en_word_count": [1] * n, "prediction_cn_word_count": [0] * n,
                                        "reference": golds})
        result["alignbench"] = [{"question_id": ds.test[i]["others"]["question_id"], "critiquellm_prefix": prefixes[i],
                                 "messages": msgs[i]} for i in range(n)]
    result["mtbench_replies"] = [{"reply": r, "read": mt.post_process_mtbench({"prediction": r})} for r in MT_REPLIES]
    result["alignbench_replies"] = [{"reply": r, "read": ab.post_process_alignbench({"prediction": r})}
                                    for r in AB_REPLIES]

    def scored(proc, replies, caps, **kw):
        output = {str(i): {"prediction": r, "gold": {"capability": c}} for i, (r, c) in enumerate(zip(replies, caps))}
        got = proc(output, "oracle", **kw)
        got.pop("details", None)
        return {k: (float(v) if not isinstance(v, str) else v) for k, v in got.items()}

    result["mtbench_summary"] = {"replies": MT_REPLIES, "capabilities": MT_CAPS,
                                 "summary": scored(mt.mtbench_postprocess, MT_REPLIES, MT_CAPS)}
    result["alignbench_summary"] = {"replies": AB_REPLIES, "capabilities": AB_CAPS,
                                    "summary": scored(ab.alignbench_postprocess, AB_REPLIES, AB_CAPS)}
    judged = [x for x in (ab.post_process_alignbench({"prediction": r}) for r in AB_REPLIES) if x]
    result["alignbench_dimensions"] = dict(ab.get_dimension_results(judged, [{}] * len(judged))["dimensional_scores"])
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(result['mtbench'])} MT-Bench and {len(result['alignbench'])} AlignBench judge prompts, "
          f"{len(MT_REPLIES) + len(AB_REPLIES)} replies read -> {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
