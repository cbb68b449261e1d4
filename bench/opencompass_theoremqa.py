"""TheoremQA's answer extraction and comparison run by OpenCompass 0.5.4 itself: the oracle for
``tests/test_opencompass_theoremqa.py``.

OpenCompass's ``TheoremQA_postprocess_v3``/``_v4`` (``answer_clean``), the older configs'
``TheoremQA_postprocess``/``_v2``, and ``TheoremQAEvaluatorV3``
(``compare_answer_with_groundtruth``) read answers with ``latex2sympy2_extended`` and ``eval``; compass
reads them with a safe arithmetic reader (``compass_opencompass.theoremqa``). This script records what
OpenCompass makes of a set of model-style answers, so the test can hold compass to it. Run it in
OpenCompass's environment with ``latex2sympy2_extended`` added (its wheel does not install it)::

    bash ../shared/tools/peer-bench/peers/install_opencompass.sh      # -> /tmp/peers/opencompass
    /tmp/peers/opencompass/bin/pip install latex2sympy2_extended torch==2.13.0
    /tmp/peers/opencompass/bin/python bench/opencompass_theoremqa.py tests/data/opencompass_theoremqa.json
"""

from __future__ import annotations

import json
import sys

#: answers as models write them (the end of a chain of thought)
TEXTS = [
    "Speed = distance / time. The answer is 60 km/h.",
    "The answer is \\frac{1}{3}",
    "The answer is 6/3",
    "The answer is: x = 1.25 \\times 10^6",
    "The answer is (b).",
    "Every such prime is odd, so yes.",
    "I get 3 and then 12.5",
    "The answer is 2\\sqrt{2}",
    "The answer is 3.2e-5",
    "The answer is 42",
    "The answer is -7.5",
    "The answer is 25%",
    "The answer is $120",
    "The answer is 90°",
    "The answer is 2π",
    "The answer is \\pi/2",
    "The answer is [1, 2, 3]",
    "The answer is (2, 3)",
    "The answer is False.",
    "The answer is 0.5 m/s^2",
    "The answer is 3 \\cdot 4",
    "The answer is 1000 J",
    "First, the energy is 5 J. The answer is 5.\n\nSo the energy is 5 J. The answer is 6.",
    "The answer is: 0.0821",
    "the answer is 17",
    "The answer is 1/0",
    "The answer is 10^{-3}",
    "The answer is \\(3.5\\)",
    "There is no closed form; approximately 2.718",
    "So the final answer is: 12.",
    "We compute it.\nThe result must be 7 meters.",
    "the answer is \"yes\"!",
    "",
]

#: (answer as cleaned, reference, TheoremQA's Answer_type)
PAIRS = [
    ("60", "60", "integer"), ("0.34", "0.333", "float"), ("True", "True", "bool"), ("[2, 3]", "[2, 3]", "list of integer"),
    ("(b) the integers", "(b)", "option"), ("61", "60", "integer"), ("0.75", "3/4", "float"), ("0.8", "3/4", "float"),
    ("3.2e-05", "3.2e-5", "float"), ("1250000.0", "1.25e6", "float"), ("False", "False", "bool"),
    ("2", "2.0", "float"), ("0.0821", "0.08206", "float"), ("100", "99", "integer"), ("-7.5", "-7.5", "float"),
    ("0.5", "1/2", "float"),
]


def main(argv: list[str]) -> int:
    from opencompass.datasets.TheoremQA.legacy import TheoremQA_postprocess, TheoremQA_postprocess_v2
    from opencompass.datasets.TheoremQA.main import (TheoremQA_postprocess_v3, TheoremQA_postprocess_v4,
                                                     TheoremQAEvaluatorV3)

    texts = [{"text": t, "v3": TheoremQA_postprocess_v3(t), "v4": TheoremQA_postprocess_v4(t),
              "legacy": TheoremQA_postprocess(t), "legacy_v2": TheoremQA_postprocess_v2(t)} for t in TEXTS]
    ev = TheoremQAEvaluatorV3()
    got = ev.score([p for p, _, _ in PAIRS], [r for _, r, _ in PAIRS], [{"Answer_type": t} for _, _, t in PAIRS])
    pairs = [{"answer": p, "reference": r, "type": t, "correct": d["is_correct"]}
             for (p, r, t), d in zip(PAIRS, got["details"])]
    out = {"opencompass": "0.5.4", "texts": texts, "pairs": pairs, "score": got["score"]}
    with open(argv[0], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"{len(texts)} texts, {len(pairs)} pairs -> {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
