"""IFEval's 25 verifiable instructions, one checker each (Zhou et al. 2023, arXiv:2311.07911).

``CHECKS[instruction_id](response, **kwargs) -> bool`` tells whether ``response`` follows
the instruction with the arguments the benchmark gives it (``input_data.jsonl``'s
``kwargs``). Written here from the paper's definitions (and the published description of
each check); no code is taken from the reference implementation.

Text splitting needs no downloaded data (the reference uses NLTK, whose ``punkt`` model
cannot be fetched behind a firewall):

* words (``length_constraints:number_words``): runs of ``\\w`` characters — the same rule as
  the reference's regular-expression tokenizer, so counts are identical;
* sentences (``length_constraints:number_sentences``): ``pysbd``'s rule-based English
  segmenter (pure Python, rules bundled) instead of NLTK's trained Punkt model. They agree
  on ordinary prose; they differ on text without sentence punctuation (a markdown list or
  heading lines: Punkt keeps lines without a final stop in one sentence, pysbd splits at
  some line breaks) and on rare abbreviations Punkt learned from its training corpus;
* words for ``change_case:capital_word_frequency``: a Treebank-like regular expression
  (contractions ``n't 's 're 've 'll 'd 'm`` split off, hyphenated and dotted words kept
  whole, punctuation dropped) instead of NLTK's ``word_tokenize``; punctuation tokens are
  never upper case, so only contractions and tokenisation of odd symbols could differ;
* language: ``langdetect`` (as the reference), seeded so a verdict never changes between
  runs; text it cannot classify counts as followed, as in the paper's code.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from typing import Callable

LESS, AT_LEAST = "less than", "at least"


def _compare(count: int, relation: str, n: int) -> bool:
    if relation == LESS:
        return count < n
    if relation == AT_LEAST:
        return count >= n
    raise ValueError(f"relation must be {LESS!r} or {AT_LEAST!r}, got {relation!r}")


# --- text splitting ---------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Runs of word characters (letters, digits, underscore; any script)."""
    return len(_WORD.findall(text))


def _need(module: str):
    """Import one of the ``ifeval`` extra's libraries, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        from compass.sdk import CompassError

        raise CompassError(f"ifeval needs the '{module}' package: pip install 'compass-eval[ifeval]'") from None


@lru_cache(maxsize=1)
def _segmenter():
    pysbd = _need("pysbd")

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """English sentences (pysbd's rules), blank pieces dropped."""
    if not text.strip():
        return []
    return [s for s in _segmenter().segment(text) if s.strip()]


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


_CONTRACTION = re.compile(r"(?i)(?<=\w)(n't|'s|'re|'ve|'ll|'d|'m)\b")
_TOKEN = re.compile(r"\w+(?:[-.'’]\w+)*\.?|\S")


def word_tokens(text: str) -> list[str]:
    """Treebank-like word tokens: contractions split off, punctuation as its own token."""
    return _TOKEN.findall(_CONTRACTION.sub(r" \1", text))


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (langdetect, seeded), ``None`` when unknown."""
    langdetect = _need("langdetect")
    langdetect.DetectorFactory.seed = 0
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None


# --- the checkers -----------------------------------------------------------------------

def response_language(text: str, *, language: str) -> bool:
    """The whole response is in ``language`` (undetectable text counts as followed)."""
    found = detect_language(text)
    return found is None or found == language


def number_sentences(text: str, *, num_sentences: int, relation: str) -> bool:
    return _compare(count_sentences(text), relation, int(num_sentences))


def number_placeholders(text: str, *, num_placeholders: int) -> bool:
    """At least ``num_placeholders`` bracketed placeholders like ``[address]``."""
    return len(re.findall(r"\[.*?\]", text)) >= int(num_placeholders)


def number_bullet_lists(text: str, *, num_bullets: int) -> bool:
    """Exactly ``num_bullets`` markdown bullet lines (``* item`` or ``- item``)."""
    stars = re.findall(r"^\s*\*[^*].*$", text, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", text, flags=re.MULTILINE)
    return len(stars) + len(dashes) == int(num_bullets)


CONSTRAINED = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def constrained_response(text: str) -> bool:
    """The response contains one of the three allowed answers."""
    return any(option in text.strip() for option in CONSTRAINED)


def number_highlighted_sections(text: str, *, num_highlights: int) -> bool:
    """At least ``num_highlights`` non-empty ``*highlighted*`` (or ``**bold**``) spans on one line."""
    single = [h for h in re.findall(r"\*[^\n*]*\*", text) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n*]*\*\*", text) if h[2:-2].strip()]
    return len(single) + len(double) >= int(num_highlights)


def multiple_sections(text: str, *, section_spliter: str, num_sections: int) -> bool:
    """At least ``num_sections`` sections, each starting with ``<spliter> <number>``."""
    marker = re.escape(section_spliter.strip())
    pieces = re.split(r"\s?" + marker + r"\s?\d+\s?", text)
    return len(pieces) - 1 >= int(num_sections)


def number_paragraphs(text: str, *, num_paragraphs: int) -> bool:
    """Exactly ``num_paragraphs`` paragraphs separated by the markdown divider ``***``.

    Empty text before the first or after the last divider is ignored; an empty paragraph
    between two dividers fails the instruction.
    """
    pieces = re.split(r"\s?\*\*\*\s?", text)
    count = len(pieces)
    for i, piece in enumerate(pieces):
        if not piece.strip():
            if 0 < i < len(pieces) - 1:
                return False
            count -= 1
    return count == int(num_paragraphs)


def postscript(text: str, *, postscript_marker: str) -> bool:
    """A line containing the postscript marker (``P.S.``, ``P.P.S``), any case."""
    marker = postscript_marker.strip()
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + re.escape(marker.lower()) + r".*$"
    return bool(re.findall(pattern, text.lower(), flags=re.MULTILINE))


def keyword_existence(text: str, *, keywords: list) -> bool:
    """Every keyword occurs (case-insensitive, also inside longer words)."""
    return all(re.search(re.escape(k), text, flags=re.IGNORECASE) for k in keywords)


def keyword_frequency(text: str, *, keyword: str, frequency: int, relation: str) -> bool:
    count = len(re.findall(re.escape(keyword.strip()), text, flags=re.IGNORECASE))
    return _compare(count, relation, int(frequency))


def number_words(text: str, *, num_words: int, relation: str) -> bool:
    return _compare(count_words(text), relation, int(num_words))


def json_format(text: str) -> bool:
    """The whole response parses as JSON (a surrounding ``` / ```json fence is allowed)."""
    body = text.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        if body.startswith(fence):
            body = body[len(fence):]
            break
    if body.endswith("```"):
        body = body[:-3]
    try:
        json.loads(body.strip())
    except ValueError:
        return False
    return True


def nth_paragraph_first_word(text: str, *, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    """Exactly ``num_paragraphs`` paragraphs (separated by a blank line), paragraph
    ``nth_paragraph`` (from 1) starting with ``first_word`` (case and punctuation ignored)."""
    pieces = text.split("\n\n")
    count = sum(1 for p in pieces if p.strip())
    nth = int(nth_paragraph)
    if nth > count:
        return False
    paragraph = pieces[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = ""
    for ch in word:
        if ch in ".,?!'\"":
            break
        first += ch.lower()
    return count == int(num_paragraphs) and first == first_word.lower()


def forbidden_words(text: str, *, forbidden_words: list) -> bool:
    """None of the words occurs as a whole word (case-insensitive)."""
    return not any(re.search(r"\b" + re.escape(w) + r"\b", text, flags=re.IGNORECASE)
                   for w in forbidden_words)


def two_responses(text: str) -> bool:
    """Two different answers separated by ``******`` (and only by that)."""
    parts = text.split("******")
    answers = []
    for i, part in enumerate(parts):
        if part.strip():
            answers.append(part.strip())
        elif 0 < i < len(parts) - 1:
            return False
    return len(answers) == 2 and answers[0] != answers[1]


def repeat_prompt(text: str, *, prompt_to_repeat: str) -> bool:
    """The response begins with the request, word for word (case ignored)."""
    return text.strip().lower().startswith(prompt_to_repeat.strip().lower())


def end_checker(text: str, *, end_phrase: str) -> bool:
    """The response ends with ``end_phrase`` (case ignored; a closing quote allowed)."""
    return text.strip().strip('"').lower().endswith(end_phrase.strip().lower())


def title(text: str) -> bool:
    """A non-empty title in double angular brackets, ``<<poem of joy>>``, on one line."""
    return any(t[2:-2].strip("<>").strip() for t in re.findall(r"<<[^\n]+>>", text))


def letter_frequency(text: str, *, letter: str, let_frequency: int, let_relation: str) -> bool:
    count = Counter(text.lower())[letter.strip().lower()]
    return _compare(count, let_relation, int(let_frequency))


def english_capital(text: str) -> bool:
    """All capital letters, and English."""
    return text.isupper() and detect_language(text) in ("en", None)


def english_lowercase(text: str) -> bool:
    """All lower-case letters, and English."""
    return text.islower() and detect_language(text) in ("en", None)


def no_comma(text: str) -> bool:
    return "," not in text


def capital_word_frequency(text: str, *, capital_frequency: int, capital_relation: str) -> bool:
    """Words written in capitals appear (less than / at least) ``capital_frequency`` times."""
    count = sum(1 for w in word_tokens(text) if w.isupper())
    return _compare(count, capital_relation, int(capital_frequency))


def quotation(text: str) -> bool:
    """The whole response is wrapped in double quotation marks."""
    body = text.strip()
    return len(body) > 1 and body[0] == '"' and body[-1] == '"'


CHECKS: dict[str, Callable[..., bool]] = {
    "change_case:capital_word_frequency": capital_word_frequency,
    "change_case:english_capital": english_capital,
    "change_case:english_lowercase": english_lowercase,
    "combination:repeat_prompt": repeat_prompt,
    "combination:two_responses": two_responses,
    "detectable_content:number_placeholders": number_placeholders,
    "detectable_content:postscript": postscript,
    "detectable_format:constrained_response": constrained_response,
    "detectable_format:json_format": json_format,
    "detectable_format:multiple_sections": multiple_sections,
    "detectable_format:number_bullet_lists": number_bullet_lists,
    "detectable_format:number_highlighted_sections": number_highlighted_sections,
    "detectable_format:title": title,
    "keywords:existence": keyword_existence,
    "keywords:forbidden_words": forbidden_words,
    "keywords:frequency": keyword_frequency,
    "keywords:letter_frequency": letter_frequency,
    "language:response_language": response_language,
    "length_constraints:nth_paragraph_first_word": nth_paragraph_first_word,
    "length_constraints:number_paragraphs": number_paragraphs,
    "length_constraints:number_sentences": number_sentences,
    "length_constraints:number_words": number_words,
    "punctuation:no_comma": no_comma,
    "startend:end_checker": end_checker,
    "startend:quotation": quotation,
}


def follows(instruction_id: str, response: str, kwargs: dict | None = None) -> bool:
    """Whether ``response`` follows one instruction; an empty response never does.

    ``kwargs`` with ``None`` values (the Hugging Face copy lists every argument of every
    instruction) are ignored.
    """
    if instruction_id not in CHECKS:
        raise KeyError(f"unknown IFEval instruction {instruction_id!r}")
    if not response.strip():
        return False
    args = {k: v for k, v in (kwargs or {}).items() if v is not None}
    return bool(CHECKS[instruction_id](response, **args))


def loose_variants(response: str) -> list[str]:
    """The loose reading of a response: as written, without its first line, without its
    last line, without both — each also with every ``*`` removed (markdown emphasis)."""
    lines = response.split("\n")
    cut = [response, "\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return cut + [r.replace("*", "") for r in cut]


def follows_loose(instruction_id: str, response: str, kwargs: dict | None = None) -> bool:
    """Followed by any of :func:`loose_variants`."""
    return any(follows(instruction_id, r, kwargs) for r in loose_variants(response))
