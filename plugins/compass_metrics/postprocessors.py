"""Answer extraction: raw model output -> the answer an evaluator compares.

Every function takes the raw text (plus keyword options) and returns a string; ``""``
means no answer was found (which no reference equals).
"""

from __future__ import annotations

import re


def first_capital(text: str, options: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
    """The first capital letter of ``options`` found in ``text``, or ``""``."""
    for ch in text:
        if ch in options:
            return ch
    return ""


# ---------------------------------------------------------------------------
# first_option: the chosen option of a multiple-choice answer
# ---------------------------------------------------------------------------

_OPEN = r"[\s*_`'\"“‘(（\[【{<]*"
_CLOSE = r"[\s*_`'\"”’)）\]】}>.。:：,，;；!！]*"
# statements of the answer: the last one wins (conclusions come last)
_STRONG = (r"(?i:(?:the\s+)?(?:correct\s+|right\s+|final\s+|best\s+)?answer"
           r"(?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be))?)"
           r"|答案(?:应该|应|就|即)?(?:是|为|选)?|正确(?:的)?(?:答案|选项)(?:应该是|应为|是|为)?"
           r"|(?:故|应|因此|所以|我)选(?:择)?")
# mentions of an option: only the first one is taken, and only without a statement
_WEAK = (r"(?i:(?:the\s+)?(?:correct\s+|right\s+|best\s+)?(?:option|choice)"
         r"(?:\s+(?:is|would\s+be|should\s+be))?)|选(?:择|项)?")


def _is_article(text: str, pos: int) -> bool:
    """An ``A`` at a sentence start followed by a lowercase word is the English article."""
    if text[pos] != "A" or not re.match(r" [a-z]", text[pos + 1:pos + 3]):
        return False
    before = text[:pos].rstrip(" ")
    return not before or before[-1] in ".!?\n:"


def first_option(text: str, options: str = "ABCD") -> str:
    """The option letter a multiple-choice answer picks, or ``""``.

    Tried in order, so that an explicit statement beats a letter that merely occurs:

    1. the answer alone, possibly wrapped: ``B``, ``B.``, ``(C)``, ``**D**``, ``【A】``;
    2. an explicit statement (the last one wins, as conclusions come last): ``答案是 B``,
       ``正确答案为（C）``, ``The answer is D.``, ``Answer: (C)``, ``故选A``;
    3. the first mention of an option: ``the correct option is B``, ``选项C正确``;
    4. a leading option: ``C. Paris``, ``(B) because ...``;
    5. the first option letter standing on its own (not inside a word, and not the
       article "A" starting a sentence).
    """
    if not text:
        return ""
    s = text.strip()
    o = f"[{re.escape(options)}]"
    bare = re.fullmatch(rf"{_OPEN}({o}){_CLOSE}", s)
    if bare:
        return bare.group(1)
    found = [m.group(1) for m in re.finditer(rf"(?:{_STRONG}){_OPEN}({o})(?![A-Za-z])", s)]
    if found:
        return found[-1]
    weak = re.search(rf"(?:{_WEAK}){_OPEN}({o})(?![A-Za-z])", s)
    if weak:
        return weak.group(1)
    lead = re.match(rf"{_OPEN}({o})(?:[.．、:：)）\]】}}>]|\s|$)", s)
    if lead and not _is_article(s, lead.start(1)):
        return lead.group(1)
    for m in re.finditer(rf"(?<![A-Za-z])({o})(?![A-Za-z])", s):
        if not _is_article(s, m.start(1)):
            return m.group(1)
    return ""


# ---------------------------------------------------------------------------
# numbers (GSM8K)
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"(?:(?<![\d.])-)?\$?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?<!\d)\.\d+")


def normalize_number(text: str) -> str:
    """A number written as text in canonical form: ``"$1,234.50"`` -> ``"1234.5"``.

    Removes ``$``, thousands separators, spaces and a trailing period; drops a zero
    fraction (``"18.00"`` -> ``"18"``). Text that is not a number comes back stripped.
    """
    s = str(text).strip().replace("$", "").replace(" ", "").rstrip(".。")
    s = re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", s)
    s = s.rstrip("%")
    if re.fullmatch(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)", s):
        sign = "-" if s.startswith("-") else ""
        body = s.lstrip("+-")
        if "." in body:
            body = body.rstrip("0").rstrip(".")
        body = body.lstrip("0") or "0"
        if body.startswith("."):
            body = "0" + body
        return "0" if body == "0" else sign + body
    return s


def _numbers(text: str) -> list[str]:
    return [m.group(0) for m in _NUMBER.finditer(text)]


def gsm8k(text: str) -> str:
    """The final number of a grade-school math answer, in canonical form, or ``""``.

    Text from a following ``Question:`` on is ignored. In order: the number after the
    last ``####``; the last ``\\boxed{...}``; the number after the last "the answer is";
    the last number in the text. Commas, ``$`` and trailing words are ignored, so
    ``"The answer is $50,000."`` gives ``"50000"``.
    """
    if not text:
        return ""
    cut = text.find("Question:")
    if cut > 0:  # a base model that went on to invent the next few-shot question
        text = text[:cut]
    if "####" in text:
        nums = _numbers(text.rsplit("####", 1)[1])
        if nums:
            return normalize_number(nums[0])
    boxed = last_boxed(text)
    if boxed is not None:
        nums = _numbers(_strip_latex_number(boxed))
        if nums:
            return normalize_number(nums[-1] if len(nums) > 1 and "=" in boxed else nums[0])
    said = list(re.finditer(r"answer\s*(?:is|:|=)", text, re.IGNORECASE))
    if said:
        nums = _numbers(text[said[-1].end():])
        if nums:
            return normalize_number(nums[0])
    nums = _numbers(text)
    return normalize_number(nums[-1]) if nums else ""


def _strip_latex_number(s: str) -> str:
    s = re.sub(r"\\text\{[^{}]*\}", "", s)
    s = s.replace("\\$", "").replace("\\,", "").replace("\\!", "").replace("{,}", ",")
    return s


# ---------------------------------------------------------------------------
# \boxed{} (MATH)
# ---------------------------------------------------------------------------

def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced.

    ``\\boxed 5`` (no braces) gives ``"5"``; an unclosed box gives ``None``.
    """
    if not text:
        return None
    starts = [m for m in re.finditer(r"\\(?:boxed|fbox)\s*", text)]
    for m in reversed(starts):
        i = m.end()
        if i < len(text) and text[i] == "{":
            depth = 0
            for j in range(i, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[i + 1:j].strip()
            continue
        bare = re.match(r"([^\s$]+)", text[i:])
        if bare:
            return bare.group(1).rstrip(".")
    return None


def math_boxed(text: str) -> str:
    """The final answer of a MATH solution: the last ``\\boxed{}``, or ``""``.

    Without a box: the text after the last "final answer is" / "the answer is" (to the
    end of its sentence), without surrounding ``$``.
    """
    if not text:
        return ""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    said = list(re.finditer(r"(?:final answer|the answer)\s*(?:is|:)\s*", text, re.IGNORECASE))
    if said:
        rest = text[said[-1].end():].strip()
        if rest.startswith("$"):
            end = rest.find("$", 1)
            if end > 0:
                return rest[1:end].strip()
        rest = re.split(r"\.(?:\s|$)|\n", rest, maxsplit=1)[0]
        return rest.strip().strip("$").strip()
    return ""
