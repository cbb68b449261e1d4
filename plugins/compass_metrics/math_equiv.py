"""Is a predicted final answer mathematically the same as the reference?

Three steps, each only when the previous did not decide:

1. both answers are normalised (``\\dfrac`` -> ``\\frac``, ``\\left(`` -> ``(``, units,
   ``^\\circ``, ``\\%``, ``\\$``, ``x = ``, ``\\frac12``, spaces, thousands commas) and
   compared as strings;
2. ``math-verify``, if installed, decides;
3. otherwise both are converted to sympy (a small LaTeX subset: fractions, roots, powers,
   ``\\pi``, ``\\infty``, ``\\cdot``, tuples and intervals) and compared numerically or
   by simplification. Without sympy, step 1 is the verdict.

Nothing here evaluates arbitrary text: only a whitelist of names reaches sympy's parser.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

MAX_LEN = 300
MAX_EXPONENT = 1000

_UNITS = ("square units", "square feet", "square inches", "square meters", "square cm", "sq units",
          "units", "unit", "cm", "centimeters", "meters", "m", "km", "inches", "inch", "feet", "foot",
          "ft", "miles", "mph", "degrees", "degree", "dollars", "cents", "hours", "hour", "minutes",
          "seconds", "days", "years", "pounds", "ounces", "liters", "gallons", "people", "students",
          "ways", "points", "meters per second")


def _unwrap_text(s: str) -> str:
    return re.sub(r"\\(?:text|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}", r"\1", s)


def _fix_fracs(s: str) -> str:
    """``\\frac12`` -> ``\\frac{1}{2}``, ``\\frac1{2}`` -> ``\\frac{1}{2}``."""
    s = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac\s*(\d)\s*\{", r"\\frac{\1}{", s)
    s = re.sub(r"\\frac\s*(\{[^{}]*\})\s*(\d)", r"\\frac\1{\2}", s)
    return s


def _fix_sqrt(s: str) -> str:
    return re.sub(r"\\sqrt\s*(\d+|[a-zA-Z])", r"\\sqrt{\1}", s)


def normalize(answer: object) -> str:
    """A canonical string form of a final answer (see the module docstring)."""
    from compass_metrics.postprocessors import last_boxed

    s = "" if answer is None else str(answer).strip()
    boxed = last_boxed(s) if "\\boxed" in s or "\\fbox" in s else None
    if boxed is not None:
        s = boxed
    s = s.replace("\n", " ").replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\:", "")
    s = s.replace("\\ ", " ").replace("~", " ")
    s = re.sub(r"\\[\[\]()]", "", s)
    s = s.replace("\\$", "").replace("$", "")
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])\s*", "", s)
    s = s.replace("\\{", "{").replace("\\}", "}") if re.fullmatch(r"\\\{.*\\\}", s) else s
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°", "", s)
    s = s.replace("\\%", "").replace("%", "")
    # trailing units written as text: "10 \text{ inches}", "5\mbox{ cm}"
    s = re.sub(r"(?<=\S)\s*\\(?:text|mbox|mathrm)\s*\{\s*[a-zA-Z][a-zA-Z ]*\}\s*$", "", s)
    s = _unwrap_text(s).strip()
    units = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
    s = re.sub(rf"^([-+]?[\d.,/]+)\s*(?:{units})\.?$", r"\1", s)
    # "x = 5" -> "5" (a short variable name on the left only)
    if s.count("=") == 1:
        lhs, rhs = s.split("=")
        if re.fullmatch(r"\s*[a-zA-Z](?:_\{?\w+\}?)?\s*", lhs):
            s = rhs
    s = _fix_sqrt(_fix_fracs(s))
    s = s.replace(" ", "")
    s = s.rstrip(".")
    s = re.sub(r"(?<![\d}])\.(\d)", r"0.\1", s)
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    m = re.fullmatch(r"(-?)(\d+)/(\d+)", s)
    if m:
        s = f"{m.group(1)}\\frac{{{m.group(2)}}}{{{m.group(3)}}}"
    if re.fullmatch(r"[-+]?\d+\.\d*", s):
        s = s.rstrip("0").rstrip(".")
    return s


# ---------------------------------------------------------------------------
# LaTeX subset -> sympy
# ---------------------------------------------------------------------------

_ALLOWED_NAMES = {"sqrt", "pi", "oo", "sin", "cos", "tan", "log", "exp", "binomial", "Abs"}
_COMMANDS = {"\\pi": " pi ", "\\infty": " oo ", "\\cdot": "*", "\\times": "*", "\\div": "/",
             "\\ln": " log", "\\log": " log", "\\sin": " sin", "\\cos": " cos", "\\tan": " tan",
             "\\exp": " exp"}


def _brace_group(s: str, i: int) -> tuple[str, int] | None:
    """The ``{...}`` group starting at ``s[i]`` (content, index after it)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None
    if s[i] != "{":
        return s[i], i + 1
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1:j], j + 1
    return None


def latex_to_expr(s: str) -> str | None:
    """A Python/sympy expression string for a small LaTeX subset, or ``None``."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("\\frac", i) or s.startswith("\\binom", i):
            name = "frac" if s.startswith("\\frac", i) else "binom"
            a = _brace_group(s, i + len(name) + 1)
            b = _brace_group(s, a[1]) if a else None
            if not b:
                return None
            ea, eb = latex_to_expr(a[0]), latex_to_expr(b[0])
            if ea is None or eb is None:
                return None
            out.append(f"(({ea})/({eb}))" if name == "frac" else f"binomial({ea},{eb})")
            i = b[1]
        elif s.startswith("\\sqrt", i):
            j, root = i + 5, None
            if j < len(s) and s[j] == "[":
                k = s.find("]", j)
                if k < 0:
                    return None
                root, j = latex_to_expr(s[j + 1:k]), k + 1
            g = _brace_group(s, j)
            inner = latex_to_expr(g[0]) if g else None
            if inner is None:
                return None
            out.append(f"(({inner})**(1/({root})))" if root else f"sqrt({inner})")
            i = g[1]
        elif s[i] == "\\":
            m = re.match(r"\\[a-zA-Z]+", s[i:])
            if not m or m.group(0) not in _COMMANDS:
                return None
            out.append(_COMMANDS[m.group(0)])
            i += len(m.group(0))
        elif s[i] == "^":
            g = _brace_group(s, i + 1)
            if not g:
                return None
            inner = latex_to_expr(g[0])
            if inner is None:
                return None
            out.append(f"**({inner})")
            i = g[1]
        elif s[i] in "{}":
            out.append("(" if s[i] == "{" else ")")
            i += 1
        else:
            out.append(s[i])
            i += 1
    expr = "".join(out)
    if not re.fullmatch(r"[\w\s+\-*/().,]*", expr) or "__" in expr:
        return None
    for name in re.findall(r"[A-Za-z_]\w*", expr):
        if len(name) > 1 and name not in _ALLOWED_NAMES:
            return None
    return expr


@lru_cache(maxsize=4096)
def _to_sympy(s: str):
    from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication,
                                            parse_expr, standard_transformations)

    expr = latex_to_expr(s)
    if expr is None or len(expr) > MAX_LEN:
        return None
    expr = re.sub(r"(\d)\s*([A-Za-z(])", r"\1*\2", expr)
    expr = re.sub(r"\)\s*([\w(])", r")*\1", expr)
    if re.search(r"\d{60}", expr):
        return None
    transformations = standard_transformations + (implicit_multiplication, convert_xor)
    try:
        if not _tame(parse_expr(expr, transformations=transformations, evaluate=False)):
            return None
        return parse_expr(expr, transformations=transformations, evaluate=True)
    except Exception:
        return None


def _tame(expr) -> bool:
    """No power with a huge exponent (``9^{9^{9}}`` would be computed exactly, forever)."""
    from sympy import Pow

    for p in expr.atoms(Pow):
        exp = p.exp
        if exp.is_number and abs(complex(exp.evalf(15))) > MAX_EXPONENT:
            return False
    return True


def _sympy_equal(a: str, b: str) -> bool:
    x, y = _to_sympy(a), _to_sympy(b)
    if x is None or y is None:
        return False
    try:
        if not x.free_symbols and not y.free_symbols:
            vx, vy = complex(x.evalf()), complex(y.evalf())
            return abs(vx - vy) <= 1e-6 * max(1.0, abs(vy))
        from sympy import simplify

        return simplify(x - y) == 0
    except Exception:
        return False


def _split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _structured_equal(a: str, b: str) -> bool:
    """Tuples/intervals ``(1,2]`` element by element; bare lists ``1,2`` in any order."""
    pair = re.compile(r"^([(\[])(.*)([)\]])$")
    ma, mb = pair.match(a), pair.match(b)
    if ma and mb and "," in a and "," in b:
        if (ma.group(1), ma.group(3)) != (mb.group(1), mb.group(3)):
            return False
        xs, ys = _split_top(ma.group(2)), _split_top(mb.group(2))
        return len(xs) == len(ys) and all(_atom_equal(x, y) for x, y in zip(xs, ys))
    xs, ys = _split_top(a), _split_top(b)
    if len(xs) > 1 and len(xs) == len(ys):
        rest = list(ys)
        for x in xs:
            hit = next((y for y in rest if _atom_equal(x, y)), None)
            if hit is None:
                return False
            rest.remove(hit)
        return True
    return False


def _atom_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.count("=") == 1 and b.count("=") == 1:
        (la, ra), (lb, rb) = a.split("="), b.split("=")
        return _atom_equal(la, lb) and _atom_equal(ra, rb)
    return _have_sympy() and _sympy_equal(a, b)


@lru_cache(maxsize=1)
def _have_sympy() -> bool:
    return importlib.util.find_spec("sympy") is not None


@lru_cache(maxsize=1)
def _have_math_verify() -> bool:
    return importlib.util.find_spec("math_verify") is not None


def _math_verify(pred: str, ref: str) -> bool | None:
    try:
        from math_verify import parse, verify

        gold, answer = parse(f"${ref}$"), parse(f"${pred}$")
        if not gold or not answer:
            return None
        return bool(verify(gold, answer))
    except Exception:
        return None


def is_equiv(prediction: object, reference: object, *, use_math_verify: bool = True) -> bool:
    """Whether ``prediction`` and ``reference`` are the same final answer."""
    if prediction is None or reference is None:
        return False
    a, b = normalize(prediction), normalize(reference)
    if not a:
        return False
    if a == b:
        return True
    if use_math_verify and _have_math_verify():
        verdict = _math_verify(a, b)
        if verdict is not None:
            return verdict
    if len(a) > MAX_LEN or len(b) > MAX_LEN:
        return False
    return _structured_equal(a, b) or _atom_equal(a, b)
