"""Small dataset repositories in the form each benchmark has on the Hugging Face hub, made here.

Each entry of :func:`repos` is ``{recipe name: (hub repo id, Repo)}``: the files in the hub
repository's own layout and format (parquet columns, zip folders, jsonl fields), a handful
of rows each, written for these tests (no real benchmark text). ``RUN`` names, for each
recipe, a dataset and the options a run uses (the fixtures hold two subjects of MMLU, not 57).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from hub_server import Repo


def pq(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pqm

    buf = io.BytesIO()
    pqm.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def csv_bytes(header: list[str] | None, rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _mcq(i: int) -> list:
    return [f"Question {i}: which letter is right?", "first", "second", "third", "fourth"]


CEVAL_SUBJECTS = ("computer_network", "operating_system")
CMMLU_SUBJECTS = ("agronomy", "anatomy")
MMLU_SUBJECTS = ("abstract_algebra", "anatomy")
BBH_TASKS = ("boolean_expressions", "date_understanding")
AGIEVAL_TASKS = ("sat-math", "gaokao-mathcloze")
GAOKAO_PAPERS = ("2010-2022_Math_I_MCQs", "2010-2022_History_MCQs")

#: recipe -> (dataset to run, its options, samples `compass data` counts for the dataset)
RUN = {
    "ceval": ("ceval_compass_gen", {"subjects": list(CEVAL_SUBJECTS)}, 4),
    "cmmlu": ("cmmlu_compass_gen", {"subjects": list(CMMLU_SUBJECTS)}, 4),
    "mmlu": ("mmlu_compass_gen", {"subjects": list(MMLU_SUBJECTS)}, 4),
    "gsm8k": ("gsm8k", {}, 2),
    "math": ("math", {}, 2),
    "math500": ("math500", {}, 2),
    "arc": ("arc_c", {}, 2),
    "siqa": ("siqa", {}, 2),
    "piqa": ("piqa", {}, 2),
    "winogrande": ("winogrande", {}, 2),
    "hellaswag": ("hellaswag", {}, 2),
    "boolq": ("boolq", {}, 2),
    "bbh": ("bbh", {"tasks": list(BBH_TASKS)}, 4),
    "ifeval": ("ifeval", {}, 2),
    "aime2024": ("aime2024", {}, 2),
    "aime2025": ("aime2025", {}, 2),
    "nq_open": ("nq_open", {}, 2),
    "humaneval": ("humaneval", {}, 2),
    "mbpp": ("mbpp", {}, 2),
    "mtbench": ("mtbench", {}, 2),
    "alpaca_eval": ("alpaca_eval", {}, 2),
    "arena_hard": ("arena_hard", {}, 2),
    "agieval": ("agieval_compass_gen", {"tasks": list(AGIEVAL_TASKS)}, 4),
    "gaokao": ("gaokao", {"papers": list(GAOKAO_PAPERS)}, 4),
    "alignbench": ("alignbench", {}, 2),
}

#: the recipes whose fixtures are GitHub repositories (served by ``GitHubServer``), not hub ones
GITHUB = ("agieval", "gaokao", "alignbench")


def _ceval() -> bytes:
    files = {}
    for s in CEVAL_SUBJECTS:
        head = ["id", "question", "A", "B", "C", "D", "answer"]
        files[f"dev/{s}_dev.csv"] = csv_bytes(head + ["explanation"], [[i, *_mcq(i), "A", ""] for i in range(5)])
        files[f"val/{s}_val.csv"] = csv_bytes(head, [[i, *_mcq(i), "BC"[i]] for i in range(2)])
        files[f"test/{s}_test.csv"] = csv_bytes(head[:-1], [[i, *_mcq(i)] for i in range(2)])
    return zip_bytes(files)


def _cmmlu() -> bytes:
    files = {}
    for s in CMMLU_SUBJECTS:
        head = ["", "Question", "A", "B", "C", "D", "Answer"]
        files[f"dev/{s}.csv"] = csv_bytes(head, [[i, *_mcq(i), "A"] for i in range(5)])
        files[f"test/{s}.csv"] = csv_bytes(head, [[i, *_mcq(i), "CD"[i]] for i in range(2)])
    return zip_bytes(files)


def _mmlu() -> dict[str, bytes]:
    files = {}
    for s in MMLU_SUBJECTS + ("all",):
        for split, n in (("dev", 5), ("validation", 1), ("test", 2)):
            rows = [{"question": f"{s} question {i}?", "subject": s, "choices": ["w", "x", "y", "z"], "answer": i % 4}
                    for i in range(n)]
            files[f"{s}/{split}-00000-of-00001.parquet"] = pq(rows)
    return files


def mmlu_tar() -> bytes:
    """The original MMLU archive (ModelScope's ``modelscope/mmlu`` holds it as ``data.tar``):
    ``data/{dev,val,test}/<subject>_<split>.csv``, headerless."""
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for s in MMLU_SUBJECTS:
            for split, n in (("dev", 5), ("val", 1), ("test", 2)):
                data = csv_bytes(None, [[f"{s} tar question {i}?", "w", "x", "y", "z", "ABCD"[i % 4]] for i in range(n)])
                info = tarfile.TarInfo(f"data/{split}/{s}_{split}.csv")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("data/auxiliary_train/x.csv")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"x\n"))
    return buf.getvalue()


def _arc() -> dict[str, bytes]:
    files = {}
    for long in ("ARC-Challenge", "ARC-Easy"):
        for split in ("test", "validation", "train"):
            rows = [{"id": f"{long}-{split}-{i}", "question": f"Which one, {i}?",
                     "choices": {"text": ["red", "green", "blue", "gray"], "label": ["A", "B", "C", "D"]},
                     "answerKey": "ABCD"[i]} for i in range(2)]
            files[f"{long}/{split}-00000-of-00001.parquet"] = pq(rows)
    return files


def _agieval() -> dict[str, bytes]:
    """The paper's repository: ``data/v1/<task>.jsonl`` (choice tasks: ``options``, ``label``;
    cloze tasks: ``answer``), and files a fetch leaves alone (the older splits, the README)."""
    return {
        "data/v1/sat-math.jsonl": jsonl([
            {"passage": "", "question": f"If x + {i} = 4, what is x?", "options": ["(A)1", "(B)2", "(C)3", "(D)4"],
             "label": "CB"[i], "other": {"solution": "Subtract."}} for i in range(2)]),
        "data/v1/gaokao-mathcloze.jsonl": jsonl([
            {"passage": None, "question": f"计算 {i} + 1 的值。", "options": None, "label": None, "answer": str(i + 1),
             "other": {"source": "fixture"}} for i in range(2)]),
        "data/v1/LICENSE": b"per-source terms",
        "data/few_shot_prompts.csv": csv_bytes(["", "sat-math"], [["sample 1", "x"]]),
        "data/gaokao/splits/test/chinese.jsonl": jsonl([{"question": "not this"}]),
        "README.md": b"AGIEval",
    }


def _gaokao() -> dict[str, bytes]:
    """GAOKAO-Bench's ``Data/Objective_Questions/<paper>.json`` and ``Bench/Obj_Prompt.json``."""
    files: dict[str, bytes] = {"README.md": b"GAOKAO-Bench",
                               "Data/Subjective_Questions/2010-2022_Math_I_Open-ended_Questions.json": b"{}"}
    prompts = []
    for paper in GAOKAO_PAPERS:
        records = [{"year": "2010", "category": "（新课标）", "question": f"{i + 1}. 选出正确的一项（5 分）\nA. 一\nB. 二\n"
                    "C. 三\nD. 四", "answer": ["AB"[i]], "analysis": "解：略", "index": str(i), "score": "5"}
                   for i in range(2)]
        files[f"Data/Objective_Questions/{paper}.json"] = json.dumps({"keywords": paper, "example": records},
                                                                     ensure_ascii=False).encode()
        prompts.append({"type": "single_choice", "keyword": paper, "comment": "",
                        "prefix_prompt": "请你做一道选择题\n请你一步一步思考。【答案】 ... <eoa>\n题目如下："})
    files["Bench/Obj_Prompt.json"] = json.dumps({"examples": prompts}, ensure_ascii=False).encode()
    return files


def _alignbench() -> dict[str, bytes]:
    """AlignBench's v1.1 questions and the judge's ``config/`` files (the v1.0 file stays behind)."""
    def js(doc) -> bytes:
        return json.dumps(doc, ensure_ascii=False).encode()

    return {
        "data/data_v1.1_release.jsonl": jsonl([
            {"question_id": i + 1, "category": "基本任务", "subcategory": "翻译", "question": f"把“你好 {i}”译成英文。",
             "reference": f"Hello {i}.", "evidences": []} for i in range(2)]),
        "data/data_release.jsonl": jsonl([{"question_id": 1, "question": "not this"}]),
        "config/subcategory_question_mapping.json": js({"翻译": "生成型回答"}),
        "config/dimension_set.json": js({"生成型回答": ["事实正确性", "满足用户需求"]}),
        "config/dimension_definition.json": js({"事实正确性": "信息准确。", "满足用户需求": "回答了问题。"}),
        "README.md": b"AlignBench",
    }


def repos() -> dict[str, tuple[str, Repo]]:
    pqrev = ("refs/convert/parquet",)  # only the hub's parquet export: `main` holds a loading script
    boxed = "The answer is $\\boxed{4}$."
    return {
        "ceval": ("ceval/ceval-exam", Repo({"ceval-exam.zip": _ceval(), "README.md": b"C-Eval"})),
        "cmmlu": ("haonan-li/cmmlu", Repo({"cmmlu_v1_0_1.zip": _cmmlu()})),
        "mmlu": ("cais/mmlu", Repo(_mmlu())),
        "gsm8k": ("openai/gsm8k", Repo({
            "main/test-00000-of-00001.parquet": pq([{"question": f"What is {i} + 2?", "answer": f"Add.\n#### {i + 2}"}
                                                    for i in range(2)]),
            "main/train-00000-of-00001.parquet": pq([{"question": f"What is {i} + 1?", "answer": f"So\n#### {i + 1}"}
                                                     for i in range(8)]),
            "socratic/test-00000-of-00001.parquet": pq([{"question": "not this", "answer": "#### 0"}])})),
        "math": ("EleutherAI/hendrycks_math", Repo({
            f"{s}/test-00000-of-00001.parquet": pq([{"problem": f"{s}: 2+2?", "level": "Level 1", "type": s,
                                                     "solution": boxed}])
            for s in ("algebra", "geometry")})),
        "math500": ("HuggingFaceH4/MATH-500", Repo({"test.jsonl": jsonl([
            {"problem": f"{i}+4?", "solution": boxed, "answer": str(i + 4), "subject": "Algebra", "level": 1,
             "unique_id": f"test/algebra/{i}.json"} for i in range(2)])})),
        "arc": ("allenai/ai2_arc", Repo(_arc())),
        "siqa": ("lighteval/siqa", Repo({"default/validation/0000.parquet": pq([
            {"context": f"Kai met a friend {i}.", "question": "How would Kai feel?", "answerA": "happy",
             "answerB": "sad", "answerC": "bored", "label": str(i + 1)} for i in range(2)])}, pqrev)),
        "piqa": ("ybisk/piqa", Repo({"plain_text/validation/0000.parquet": pq([
            {"goal": f"Open a jar {i}", "sol1": "twist the lid", "sol2": "shout at it", "label": i % 2}
            for i in range(2)])}, pqrev)),
        "winogrande": ("allenai/winogrande", Repo({
            "winogrande_xl/validation-00000-of-00001.parquet": pq([
                {"sentence": f"The cup fell off the table because _ was wobbly ({i}).", "option1": "the cup",
                 "option2": "the table", "answer": str(i + 1)} for i in range(2)]),
            "winogrande_xs/validation-00000-of-00001.parquet": pq([{"sentence": "not this", "option1": "a",
                                                                   "option2": "b", "answer": "1"}])})),
        "hellaswag": ("Rowan/hellaswag", Repo({
            "data/validation-00000-of-00001.parquet": pq([
                {"ind": i, "activity_label": "Cooking", "ctx_a": "A man cracks an egg.", "ctx_b": "he",
                 "ctx": "A man cracks an egg. he", "endings": ["fries it.", "sings.", "flies.", "sleeps."],
                 "source_id": "x", "split": "val", "split_type": "indomain", "label": str(i)} for i in range(2)]),
            "data/train-00000-of-00001.parquet": pq([{"ind": 9, "ctx": "not this", "label": "0"}])})),
        "boolq": ("google/boolq", Repo({
            "data/validation-00000-of-00001.parquet": pq([{"question": f"is water wet {i}", "answer": i == 0,
                                                           "passage": "Water is a liquid."} for i in range(2)]),
            "data/train-00000-of-00001.parquet": pq([{"question": "x", "answer": True, "passage": "y"}])})),
        "bbh": ("lukaemon/bbh", Repo({f"{t}/test-00000-of-00001.parquet": pq([
            {"input": f"{t} input {i}", "target": "True" if t == "boolean_expressions" else "(A)"} for i in range(2)])
            for t in BBH_TASKS})),
        "ifeval": ("google/IFEval", Repo({"ifeval_input_data.jsonl": jsonl([
            {"key": 1000 + i, "prompt": f"Write a short note number {i} in lowercase letters only.",
             "instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]} for i in range(2)])})),
        "aime2024": ("HuggingFaceH4/aime_2024", Repo({"data/train-00000-of-00001.parquet": pq([
            {"id": 60 + i, "problem": f"Find {i} + 10.", "solution": "Add.", "answer": str(10 + i),
             "url": "x", "year": "2024"} for i in range(2)])})),
        "aime2025": ("opencompass/AIME2025", Repo({
            "aime2025-I.jsonl": jsonl([{"question": "Find 7 + 8.", "answer": "15"}]),
            "aime2025-II.jsonl": jsonl([{"question": "Find 9 + 9.", "answer": 18}])})),
        "nq_open": ("google-research-datasets/nq_open", Repo({"nq_open/validation-00000-of-00001.parquet": pq([
            {"question": f"who wrote question {i}", "answer": ["someone", "a person"]} for i in range(2)])})),
        "humaneval": ("openai/openai_humaneval", Repo({"openai_humaneval/test-00000-of-00001.parquet": pq([
            {"task_id": f"HumanEval/{i}", "prompt": f"def f{i}(x):\n    \"\"\"Return x.\"\"\"\n",
             "canonical_solution": "    return x\n", "test": f"def check(c):\n    assert c(1) == 1\n",
             "entry_point": f"f{i}"} for i in range(2)])})),
        "mbpp": ("google-research-datasets/mbpp", Repo({
            f"full/{split}-00000-of-00001.parquet": pq([
                {"task_id": t, "text": f"Write a function f{t} returning 1.", "code": f"def f{t}():\n    return 1",
                 "test_list": [f"assert f{t}() == 1"], "test_setup_code": "", "challenge_test_list": []} for t in ids])
            for split, ids in (("prompt", (2, 3, 4)), ("test", (11, 12)), ("validation", (511,)), ("train", (601,)))})),
        # the hub's copy of FastChat's questions names the turns "prompt"
        "mtbench": ("HuggingFaceH4/mt_bench_prompts", Repo({
            "raw/question.jsonl": jsonl([{"question_id": 81 + i, "category": "writing",
                                          "prompt": [f"Write a poem {i}.", "Now shorter."], "reference": []}
                                         for i in range(2)]),
            "data/train-00000-of-00001.parquet": pq([{"prompt": ["x", "y"], "category": "writing"}])})),
        "alpaca_eval": ("tatsu-lab/alpaca_eval", Repo({
            "alpaca_eval.json": json.dumps([{"instruction": f"Say hi {i}", "output": "hi", "generator": "text_davinci_003",
                                             "dataset": "helpful_base"} for i in range(2)]).encode(),
            "alpaca_eval_gpt4_baseline.json": json.dumps([{"instruction": f"Say hi {i}", "output": "Hello!",
                                                           "generator": "gpt4_1106_preview", "dataset": "helpful_base"}
                                                          for i in range(2)]).encode()})),
        # the hub holds v0.1 in arena-hard-auto's later form: uid / prompt, answers as messages
        "arena_hard": ("lmarena-ai/arena-hard-auto", Repo({
            "data/arena-hard-v0.1/question.jsonl": jsonl([{"uid": f"q{i}", "category": "arena-hard-v0.1",
                                                           "cluster": "c", "prompt": f"Explain {i}."} for i in range(2)]),
            "data/arena-hard-v0.1/model_answer/gpt-4-0314.jsonl": jsonl([
                {"uid": f"q{i}", "model": "gpt-4-0314",
                 "messages": [{"role": "user", "content": f"Explain {i}."},
                              {"role": "assistant", "content": {"answer": f"Because {i}."}}]} for i in range(2)]),
            "data/arena-hard-v2.0/question.jsonl": jsonl([{"uid": "v2", "prompt": "not this"}])})),
        # GitHub repositories, at the commits the recipes pin
        "agieval": ("ruixiangcui/AGIEval", Repo(_agieval(), sha=_pin("agieval"))),
        "gaokao": ("OpenLMLab/GAOKAO-Bench", Repo(_gaokao(), sha=_pin("gaokao"))),
        "alignbench": ("THUDM/AlignBench", Repo(_alignbench(), sha=_pin("alignbench"))),
    }


def _pin(name: str) -> str:
    from compass_datasets.recipes import RECIPES

    return RECIPES[name].github_revision
