"""A chat model's ``meta_template`` applied by OpenCompass 0.5.4 itself: the oracle for
``tests/test_opencompass_chat_meta.py``.

OpenCompass's chat and API models (``HuggingFacewithChatTemplate``, ``VLLMwithChatTemplate``,
``OpenAISDK``, ...) parse a prompt with ``APITemplateParser(meta_template)`` — each dialogue round
mapped onto the ``round`` role slots and their ``api_role``, ``reserved_roles`` for turns outside the
round, the ``begin`` message table put first — and send ``_convert_chat_messages`` of the result.
This script runs that code on a set of intermediate prompts (the section-marked turn lists
OpenCompass's ``PromptTemplate`` makes) under the meta templates OpenCompass's own configs use, and
writes what comes out, so the test can hold compass's ``icl.chat_messages`` to it without
OpenCompass installed. Run it in OpenCompass's environment, never the project's::

    bash ../shared/tools/peer-bench/peers/install_opencompass.sh      # -> /tmp/peers/opencompass
    /tmp/peers/opencompass/bin/python bench/opencompass_chat_meta.py tests/data/opencompass_chat_meta.json
"""

from __future__ import annotations

import json
import sys


def _sec(name: str, pos: str) -> dict:
    return {"section": name, "pos": pos}


#: the meta templates of OpenCompass's configs (examples/eval_internlm3_math500_thinking.py,
#: configs/models/hf_llama/hf_llama3_1_8b_instruct.py, examples/eval_qwen3.py) and the default one
METAS = {
    "system_begin": {"begin": {"role": "SYSTEM", "api_role": "SYSTEM", "prompt": "You are an expert mathematician."},
                     "round": [{"role": "HUMAN", "api_role": "HUMAN"},
                               {"role": "BOT", "api_role": "BOT", "generate": True}]},
    "reserved_system": {"round": [{"role": "HUMAN", "api_role": "HUMAN"},
                                  {"role": "BOT", "api_role": "BOT", "generate": True}],
                        "reserved_roles": [{"role": "SYSTEM", "api_role": "SYSTEM"}]},
    "human_bot": {"round": [{"role": "HUMAN", "api_role": "HUMAN"},
                            {"role": "BOT", "api_role": "BOT", "generate": True}]},
    "default": None,  # HuggingFacewithChatTemplate's own (SYSTEM sent as HUMAN)
}

#: intermediate prompts: (name, mode, items)
PROMPTS = [
    ("one_question", "gen", [_sec("round", "begin"), {"role": "HUMAN", "prompt": "What is 2+3?"},
                             {"role": "BOT", "prompt": ""}, _sec("round", "end")]),
    ("few_shot", "gen", [_sec("round", "begin"), {"role": "HUMAN", "prompt": "Q: 1+1?"},
                         {"role": "BOT", "prompt": "A: 2\n"}, {"role": "HUMAN", "prompt": "Q: 2+2?"},
                         {"role": "BOT", "prompt": "A: 4\n"}, {"role": "HUMAN", "prompt": "Q: 3+3?"},
                         {"role": "BOT", "prompt": ""}, _sec("round", "end")]),
    ("system_in_begin", "gen", [_sec("begin", "begin"),
                                {"role": "SYSTEM", "fallback_role": "HUMAN", "prompt": "Answer with a letter."},
                                _sec("begin", "end"), _sec("round", "begin"),
                                {"role": "HUMAN", "prompt": "Pick A or B."}, {"role": "BOT", "prompt": ""},
                                _sec("round", "end")]),
    ("ppl_label", "ppl", [_sec("round", "begin"), {"role": "HUMAN", "prompt": "Is the sky blue?"},
                          {"role": "BOT", "prompt": "Yes"}, _sec("round", "end")]),
    ("plain_string", "gen", "Question: 2+2?\nAnswer:"),
]


def main(argv: list[str]) -> int:
    from opencompass.models.base_api import APITemplateParser
    from opencompass.models.huggingface_above_v4_33 import _convert_chat_messages, _get_meta_template
    from opencompass.utils.prompt import PromptList

    cases = []
    for meta_name, meta in METAS.items():
        parser = _get_meta_template(None) if meta is None else APITemplateParser(meta)
        for name, mode, items in PROMPTS:
            prompt = items if isinstance(items, str) else PromptList([dict(i) for i in items])
            parsed = parser.parse_template(prompt, mode=mode)
            cases.append({"meta": meta_name, "prompt": name, "mode": mode,
                          "messages": _convert_chat_messages([parsed])[0]})
    out = {"opencompass": "0.5.4", "metas": METAS, "prompts": PROMPTS, "cases": cases}
    with open(argv[0], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"{len(cases)} cases -> {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
