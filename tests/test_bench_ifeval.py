"""IFEval: every instruction checker on hand-written responses, the four accuracies on a
hand-computed set, the loader on the full file and on the shipped rows, and whole runs with
the mock model (compliant answers score 100, empty ones 0)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compass_datasets import ifeval as ifeval_ds
from compass_metrics.ifeval import accuracies, judge
from compass_metrics.ifeval_checks import (CHECKS, count_sentences, count_words, follows, follows_loose,
                                           loose_variants, word_tokens)

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
SMALL = TESTS / "data" / "datasets"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")

# (instruction id, kwargs, a response that follows it, one that does not)
CASES = [
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"},
     "This is VERY, VERY IMPORTANT news.", "This is VERY important news."),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"},
     "Only ONE word shouts here.", "TWO words SHOUT here."),
    ("change_case:english_capital", {},
     "THE WEATHER IS LOVELY TODAY AND WE ARE GOING TO THE BEACH WITH OUR FRIENDS.",
     "The weather is lovely today and we are going to the beach with our friends."),
    ("change_case:english_lowercase", {},
     "the weather is lovely today and we are going to the beach with our friends.",
     "The weather is lovely today and we are going to the beach with our friends."),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a haiku about rain."},
     "write a haiku about rain. Drops tap the window...", "Here is a haiku about rain: drops tap the window."),
    ("combination:two_responses", {}, "God is called the Almighty.\n******\nGod is called the Creator.",
     "God is called the Almighty.\n******\nGod is called the Almighty."),
    ("detectable_content:number_placeholders", {"num_placeholders": 2},
     "Dear [name], your order ships to [address].", "Dear [name], your order has shipped."),
    ("detectable_content:postscript", {"postscript_marker": "P.S."},
     "See you soon.\n\nP.S. Bring snacks.", "See you soon. Bring snacks."),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"},
     "See you soon.\np.p.s. bring snacks", "See you soon.\nP.S. bring snacks"),
    ("detectable_format:constrained_response", {}, "My answer is maybe.", "Perhaps, it depends."),
    ("detectable_format:json_format", {}, '```json\n{"moms": ["Marie Curie"]}\n```',
     'Here you go: {"moms": ["Marie Curie"]}'),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "SECTION 1\nRoses.\nSECTION 2\nViolets.", "SECTION 1\nRoses and violets."),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "Points:\n* first\n- second",
     "Points:\n* first\n* second\n* third"),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2},
     "Use *bright colours* and **bold shapes**.", "Use *bright colours* and plain shapes, ** **."),
    ("detectable_format:title", {}, "<<poem of joy>>\nLa la la.", "poem of joy\nLa la la. << >>"),
    ("keywords:existence", {"keywords": ["correlated", "experiencing"]},
     "Those experiencing stress are Correlated with...", "Those experiencing stress..."),
    ("keywords:forbidden_words", {"forbidden_words": ["rock", "roll"]},
     "We rocked the stage all night.", "We will ROCK you."),
    ("keywords:frequency", {"keyword": "war", "frequency": 2, "relation": "at least"},
     "War, war never changes.", "War never changes."),
    ("keywords:frequency", {"keyword": "peace", "frequency": 2, "relation": "less than"},
     "Peace at last.", "Peace, peace everywhere."),
    ("keywords:letter_frequency", {"letter": "t", "let_frequency": 2, "let_relation": "less than"},
     "A quiz on sofas.", "The test."),
    ("keywords:letter_frequency", {"letter": "#", "let_frequency": 2, "let_relation": "at least"},
     "so fun #vote #now", "so fun #vote"),
    ("language:response_language", {"language": "fr"},
     "Il est important de bien manger pour garder le corps en bonne santé et plein d'énergie.",
     "It is important to eat well to keep the body healthy and full of energy."),
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "summer"},
     "Spring came.\n\n\"Summer, then, was hot.\n\nAutumn fell.", "Spring came.\n\nWinter was hot.\n\nAutumn fell."),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "First part.\n***\nSecond part.",
     "First part.\n***\n\n***\nSecond part."),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "less than"},
     "Dr. Smith arrived at 3.30 p.m. today. He left.", "One. Two. Three."),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"},
     "It rained. We stayed in!", "It rained all day."),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"},
     "one two three four five", "one two three four"),
    ("length_constraints:number_words", {"num_words": 3, "relation": "less than"}, "hello there", "well, hello there"),
    ("punctuation:no_comma", {}, "No commas here at all.", "Well, one comma."),
    ("startend:end_checker", {"end_phrase": "Is there anything else I can help with?"},
     'It is negative. Is there anything else I can help with?"',
     "Is there anything else I can help with? It is negative."),
    ("startend:quotation", {}, '  "All of it is quoted."\n', '"Only partly" quoted.'),
]


def test_every_instruction_has_a_case():
    assert len(CHECKS) == 25
    assert {c[0] for c in CASES} == set(CHECKS)


@pytest.mark.parametrize("iid,kwargs,good,bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_checker_compliant_and_violating(iid, kwargs, good, bad):
    assert follows(iid, good, kwargs) is True
    assert follows(iid, bad, kwargs) is False


def test_empty_response_follows_nothing_and_none_kwargs_are_ignored():
    assert not follows("punctuation:no_comma", "   ")
    assert follows("length_constraints:number_words", "a b c", {"num_words": 3, "relation": "at least",
                                                               "keywords": None})


def test_splitters():
    assert count_words("Don't stop-me now, 3 times_two!") == 7  # \w+ runs, as IFEval counts words
    assert count_sentences("Mr. Brown met Dr. Green at 5 p.m. on Monday. They talked. Then? They left!") == 4
    assert count_sentences("") == 0
    assert word_tokens("DON'T STOP, U.S. well-known") == ["DO", "N'T", "STOP", ",", "U.S.", "well-known"]


def test_loose_variants_drop_first_and_last_lines_and_asterisks():
    assert loose_variants("Sure:\n*body*\nBye") == [
        "Sure:\n*body*\nBye", "*body*\nBye", "Sure:\n*body*", "*body*",
        "Sure:\nbody\nBye", "body\nBye", "Sure:\nbody", "body"]
    assert not follows("startend:quotation", 'Sure:\n"quoted"')
    assert follows_loose("startend:quotation", 'Sure:\n"quoted"')


def test_four_accuracies_on_a_hand_computed_set():
    items = [
        # strict [T, F] (starts with "Sure"), loose [T, T] (first line dropped)
        (["punctuation:no_comma", "startend:quotation"], [{}, {}], 'Sure:\n"hello world"'),
        # strict [T, T], loose [T, T]
        (["length_constraints:number_words", "startend:end_checker"],
         [{"num_words": 5, "relation": "less than"}, {"end_phrase": "bye"}], "one two three bye"),
        # strict [F, F], loose [F, F]
        (["detectable_format:title", "punctuation:no_comma"], [{}, {}], "no title, here"),
        # strict [F], loose [T]
        (["detectable_format:json_format"], [{}], 'Here is JSON:\n{"a": 1}'),
    ]
    verdicts = [judge(r, ids, kw) for ids, kw, r in items]
    assert [v["strict"] for v in verdicts] == [[True, False], [True, True], [False, False], [False]]
    assert [v["loose"] for v in verdicts] == [[True, True], [True, True], [False, False], [True]]
    assert accuracies(verdicts) == {
        "prompt_level_strict_acc": pytest.approx(100 * 1 / 4),
        "inst_level_strict_acc": pytest.approx(100 * 3 / 7),
        "prompt_level_loose_acc": pytest.approx(100 * 3 / 4),
        "inst_level_loose_acc": pytest.approx(100 * 5 / 7),
    }
    assert judge(None, ["punctuation:no_comma"], [{}]) == {"strict": [False], "loose": [False]}


def test_shipped_rows_load():
    rows = ifeval_ds.ifeval().subsets[0].load(SMALL)
    assert [r["key"] for r in rows.test] == [1001, 1019, 1021, 1098, 1127, 1180]
    assert rows.test[2]["instruction_id_list"] == ["change_case:english_capital", "detectable_format:multiple_sections"]
    assert rows.test[2]["kwargs"] == [{}, {"section_spliter": "PARAGRAPH", "num_sections": 2}]


@pytest.mark.skipif(not (SHARED / "ifeval").is_dir(),
                    reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")
def test_full_file_541_prompts_834_instructions():
    rows = ifeval_ds.ifeval().subsets[0].load(SHARED)
    assert len(rows.test) == 541
    assert sum(len(r["instruction_id_list"]) for r in rows.test) == 834
    assert {i for r in rows.test for i in r["instruction_id_list"]} == set(CHECKS)
    first = rows.test[0]
    assert first["key"] == 1000 and first["prompt"].startswith("Write a 300+ word summary of the wikipedia page")
    assert first["kwargs"][2] == {"relation": "at least", "num_words": 300}


# compliant answers to the six shipped prompts, keyed by a piece of each prompt
COMPLIANT = {
    "itinerary for my journey in a Shakespearean style":
        "Day one: thou shalt arrive in Tokyo and marvel at the lights.\nDay two: thou shalt visit Kyoto.",
    "Two young boys with toy guns and horns":
        "what game are the two young boys with toy guns and horns playing in the park this afternoon?",
    "Write a 2 paragraph critique":
        "PARAGRAPH 1\nTHIS SENTENCE SUGGESTS THAT PEOPLE SHOULD IGNORE ANY LAW THEY DISLIKE. THAT IS A "
        "DANGEROUS IDEA FOR EVERY SOCIETY.\nPARAGRAPH 2\nA BETTER PATH IS TO CHANGE BAD LAWS THROUGH "
        "PEACEFUL AND LEGAL MEANS, TOGETHER WITH OUR NEIGHBOURS.",
    "What is a name that people call God":
        "People often call God the Almighty.\n******\nPeople also call God the Creator.",
    "how I am missing my classes":
        "SECTION 1\nThe bell rings without me.\nSECTION 2\nMy desk is cold.\nSECTION 3\nThe notes pile up.\n"
        "SECTION 4\nI count the cost. Can I get my money back for the classes I missed?",
    "grossed out by worms":
        "<<Why worms disgust us>>\nWorms look slimy and remind us of decay.\n******\n"
        "<<Why beef does not>>\nCooked beef is familiar food and hides where it came from.",
}


def _mock_run(evaluate, answers: dict, default: str) -> dict:
    table = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in answers.items())
    cfg = evaluate.cwd / "ifeval.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\ndefault = {json.dumps(default)}\nanswers = {{ {table} }}\n\n'
                   '[[datasets]]\ntype = "ifeval"\n')
    res = evaluate(cfg, data_dir=str(SMALL))
    assert res.code == 0, res.err
    return json.loads((only_run_dir(evaluate.cwd) / "results" / "mock" / "ifeval.json").read_text())


def test_compliant_mock_scores_100(evaluate):
    result = _mock_run(evaluate, COMPLIANT, "")
    assert result["metrics"] == {m: 100.0 for m in ("prompt_level_strict_acc", "inst_level_strict_acc",
                                                    "prompt_level_loose_acc", "inst_level_loose_acc")}


def test_empty_mock_scores_0(evaluate):
    result = _mock_run(evaluate, {}, "")
    assert set(result["metrics"].values()) == {0.0}
