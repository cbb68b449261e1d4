"""Where each built-in benchmark lives on the hubs, and what its files become (plain data).

A :class:`Recipe` names the dataset repository on the Hugging Face hub (and its mirror on
ModelScope, where there is one), the files of it that are needed (glob patterns over the
repository), the converter that turns them into the OpenCompass layout compass reads
(:mod:`compass_datasets.convert`), and the paths of the data dir it writes (``provides``).

A missing dataset is matched to its recipe by the path its loader looked for: the recipe
whose ``provides`` covers that path fetches it. So variants and aliases (``ceval_gen``,
``ceval_gen_5f30c7``) and other plugins' datasets (HumanEval, MT-Bench) need no table of
names.

Three benchmarks are on no dataset hub in the layout compass reads (AGIEval v1, GAOKAO-Bench,
AlignBench): their recipes take the files from the authors' GitHub repository
(:mod:`compass_datasets.github`), pinned to the commit compass was checked against.

The ModelScope repositories are mirrors of the hub repositories with the same files; the
converters look files up by their name under the repository, so a mirror that moved them
into another folder still converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

#: OpenCompass's release of its data archive (the alternative a failed fetch names)
OC_ARCHIVE = "OpenCompassData-core-20240207.zip (github.com/open-compass/opencompass/releases)"


@dataclass(frozen=True)
class Recipe:
    """One benchmark family's source and conversion.

    :param name: the recipe's name (``compass data fetch NAME`` takes it, or any dataset name).
    :param hf: the dataset repository on the Hugging Face hub, or ``None`` where it has none
        in a usable layout.
    :param patterns: the repository's files that are needed (``fnmatch`` globs).
    :param convert: the converter's name in :mod:`compass_datasets.convert`.
    :param provides: data-dir paths it writes (files, or folders ending in ``/``).
    :param ms: the ModelScope mirror, or ``None`` where ModelScope has none.
    :param revision: the branch, tag or commit to fetch (``refs/convert/parquet``: the hub's
        own parquet export of a repository whose data is not stored as files).
    :param github: the authors' GitHub repository, for benchmarks no hub holds in the layout
        compass reads; ``github_revision`` the commit it is pinned to.
    """

    name: str
    hf: str | None
    patterns: tuple[str, ...]
    convert: str
    provides: tuple[str, ...]
    ms: str | None = None
    revision: str = "main"
    ms_revision: str = "master"
    title: str = ""
    looks: tuple[str, ...] = ()  # other paths loaders look for first (the archive's names)
    optional: tuple[str, ...] = ()  # files taken when the repository has them
    github: str | None = None
    github_revision: str = "main"
    ms_patterns: tuple[str, ...] | None = None  # where the ModelScope mirror holds other files

    def patterns_for(self, source: str) -> tuple[str, ...]:
        return self.ms_patterns if source == "modelscope" and self.ms_patterns else self.patterns

    def covers(self, rel: str) -> bool:
        """Whether the data-dir path ``rel`` (posix, relative) is one this recipe writes."""
        rel = str(PurePosixPath(rel))
        return any(rel == p.rstrip("/") or rel.startswith(p if p.endswith("/") else p + "/")
                   for p in self.provides + self.looks)

    def repo(self, source: str) -> str | None:
        return {"hf": self.hf, "modelscope": self.ms, "github": self.github}.get(source)

    def rev(self, source: str) -> str:
        return {"hf": self.revision, "modelscope": self.ms_revision, "github": self.github_revision}[source]

    def sources(self) -> tuple[str, ...]:
        """The sources that hold this benchmark, the usual one first."""
        return tuple(s for s in ("hf", "modelscope", "github") if self.repo(s))

    def where(self) -> str:
        """``hf:<repo>, modelscope:<repo>`` / ``github:<repo>@<commit>``: where it can come from."""
        return ", ".join(f"{s}:{self.repo(s)}" + (f"@{self.github_revision[:8]}" if s == "github" else "")
                         for s in self.sources())


_PQ = "refs/convert/parquet"

RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("ceval", "ceval/ceval-exam", ("ceval-exam.zip",), "ceval", ("ceval/formal_ceval/",),
           ms="modelscope/ceval-exam", title="C-Eval"),
    Recipe("cmmlu", "haonan-li/cmmlu", ("cmmlu_v1_0_1.zip",), "cmmlu", ("cmmlu/",),
           ms="modelscope/cmmlu", title="CMMLU"),
    Recipe("mmlu", "cais/mmlu", ("*/dev-*.parquet", "*/validation-*.parquet", "*/test-*.parquet"), "mmlu",
           ("mmlu/",), ms="modelscope/mmlu", ms_patterns=("data.tar",), title="MMLU"),
    Recipe("gsm8k", "openai/gsm8k", ("main/test-*.parquet", "main/train-*.parquet"), "gsm8k", ("gsm8k/",),
           ms="modelscope/gsm8k", title="GSM8K"),
    Recipe("math", "EleutherAI/hendrycks_math", ("*/test-*.parquet",), "math", ("math/test.jsonl", "math/math.json"),
           title="MATH (5000)"),
    Recipe("math500", "HuggingFaceH4/MATH-500", ("test.jsonl",), "math500", ("math/math500/",),
           ms="AI-ModelScope/MATH-500", title="MATH-500"),
    Recipe("arc", "allenai/ai2_arc", ("ARC-Challenge/*.parquet", "ARC-Easy/*.parquet"), "arc", ("ARC/",),
           ms="modelscope/ai2_arc", title="ARC"),
    # allenai/social_i_qa holds a loading script and a tarball; lm-eval reads the parquet copy
    Recipe("siqa", "lighteval/siqa", ("default/validation/*.parquet",), "siqa", ("siqa/",),
           revision=_PQ, title="Social IQa"),
    Recipe("piqa", "ybisk/piqa", ("plain_text/validation/*.parquet",), "piqa", ("piqa/",), revision=_PQ,
           title="PIQA"),
    Recipe("winogrande", "allenai/winogrande", ("winogrande_xl/validation-*.parquet",), "winogrande",
           ("winogrande/",), title="Winogrande"),
    Recipe("hellaswag", "Rowan/hellaswag", ("data/validation-*.parquet",), "hellaswag",
           ("hellaswag/hellaswag.jsonl",), looks=("hellaswag/",), title="HellaSwag"),
    Recipe("boolq", "google/boolq", ("data/validation-*.parquet",), "boolq", ("SuperGLUE/BoolQ/",),
           title="BoolQ"),
    Recipe("bbh", "lukaemon/bbh", ("*/test-*.parquet",), "bbh", ("bbh/bbh/", "bbh/cot-prompts/"),
           ms="modelscope/bbh", looks=("BBH/",), title="BIG-Bench Hard"),
    Recipe("ifeval", "google/IFEval", ("ifeval_input_data.jsonl",), "ifeval", ("IFEval/",),
           ms="opencompass/ifeval", title="IFEval"),
    Recipe("aime2024", "HuggingFaceH4/aime_2024", ("data/*.parquet",), "aime2024", ("aime/aime24/",),
           ms="HuggingFaceH4/aime_2024", title="AIME 2024"),
    Recipe("aime2025", "opencompass/AIME2025", ("aime2025-I.jsonl", "aime2025-II.jsonl"), "aime2025",
           ("aime/aime25/",), ms="opencompass/AIME2025", title="AIME 2025"),
    Recipe("nq_open", "google-research-datasets/nq_open", ("nq_open/validation-*.parquet",), "nq_open",
           ("nq_open/",), title="NQ-Open"),
    Recipe("humaneval", "openai/openai_humaneval", ("openai_humaneval/test-*.parquet",), "humaneval",
           ("humaneval/HumanEval.jsonl",), ms="modelscope/humaneval", looks=("humaneval/",),
           title="HumanEval"),
    Recipe("mbpp", "google-research-datasets/mbpp", ("full/*.parquet",), "mbpp", ("mbpp/mbpp.jsonl",),
           title="MBPP"),
    Recipe("mtbench", "HuggingFaceH4/mt_bench_prompts", ("raw/question.jsonl",), "mtbench", ("mt_bench/",),
           optional=("raw/reference_answer/*.jsonl",), title="MT-Bench"),
    Recipe("alpaca_eval", "tatsu-lab/alpaca_eval", ("alpaca_eval.json", "alpaca_eval_gpt4_baseline.json"),
           "alpaca_eval", ("alpaca_eval/results/",), ms="AI-ModelScope/alpaca_eval", title="AlpacaEval"),
    Recipe("arena_hard", "lmarena-ai/arena-hard-auto",
           ("data/arena-hard-v0.1/question.jsonl", "data/arena-hard-v0.1/model_answer/gpt-4-0314.jsonl"),
           "arena_hard", ("arena_hard/arena-hard-v0.1/",), title="Arena-Hard v0.1"),
    # no hub holds these in the layout compass reads (the hub's AGIEval copies are re-formatted
    # for lm-eval, one repository per task; OpenCompass's ModelScope copy is split into subsets):
    # the authors' repositories, at the commits /work/shared/data's copies were checked against
    Recipe("agieval", None, ("data/v1/*.jsonl",), "agieval", ("agieval/data/",),
           optional=("data/v1/LICENSE", "data/few_shot_prompts.csv"), looks=("AGIEval/", "agieval/"),
           github="ruixiangcui/AGIEval", github_revision="5c77d073fda993f1652eaae3cf5d04cc5fd21d40",
           title="AGIEval v1"),
    Recipe("gaokao", None, ("Data/Objective_Questions/*.json", "Bench/Obj_Prompt.json"), "gaokao",
           ("gaokao/Data/", "gaokao/Bench/"),
           looks=("gaokao/", "GAOKAO-BENCH/", "GaokaoBench/", "GAOKAO-Bench/"),
           github="OpenLMLab/GAOKAO-Bench", github_revision="6dbb24f8d8439041e5431c4c184a582182a6ce9c",
           title="GAOKAO-Bench"),
    Recipe("alignbench", None, ("data/data_v1.1_release.jsonl", "config/*.json"), "alignbench",
           ("alignbench/data/", "alignbench/config/"), looks=("alignbench/",),
           github="THUDM/AlignBench", github_revision="5b79d4a84e566db26e755c719935c62a0e1b0527",
           title="AlignBench v1.1"),
)}

#: benchmarks compass reads that no source holds in a form it can convert (the archive has
#: them): ``{name: (data-dir prefix, what it is)}``; none at present
ARCHIVE_ONLY: dict[str, tuple[str, str]] = {}

#: dataset names that are not a recipe's name but mean it (``compass data fetch arc_c``)
NAMES = {"arc_e": "arc", "arc_c": "arc", "math500": "math500", "aime2024": "aime2024", "aime2025": "aime2025",
         "alpaca_eval": "alpaca_eval", "arena_hard": "arena_hard", "nq_open": "nq_open", "mtbench": "mtbench"}


def recipe_named(name: str) -> Recipe | None:
    """The recipe for a recipe or dataset name (``mmlu``, ``mmlu_gen``, ``arc_c_ppl``)."""
    if name in RECIPES:
        return RECIPES[name]
    for prefix in sorted({*RECIPES, *NAMES}, key=len, reverse=True):  # longest first: math500 before math
        if name == prefix or name.startswith(prefix + "_"):
            return RECIPES[NAMES.get(prefix, prefix)]
    return None


def recipe_for_path(rel: str) -> Recipe | None:
    """The recipe that writes the data-dir path ``rel``, if any."""
    for recipe in RECIPES.values():
        if recipe.covers(rel):
            return recipe
    return None


def archive_only_for_path(rel: str) -> str | None:
    for name, (prefix, _) in ARCHIVE_ONLY.items():
        if rel.startswith(prefix):
            return name
    return None
