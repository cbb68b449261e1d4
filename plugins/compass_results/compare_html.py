"""``compass compare --html``: the comparison as one self-contained page (nothing loaded from
elsewhere), rendered with Jinja2 from the same :class:`Comparison` as the text.

Each dataset's row links to its changed samples: the question, the gold answer, and each
run's extracted and raw answer with its verdict, side by side. A small inline script filters
them by kind (right only in A, right only in B, wrong in both with different answers) and by
dataset; ``#kind=a_right&dataset=NAME`` opens the page filtered. Without the script every
sample is shown.
"""

from __future__ import annotations

from compass_results.compare import Comparison, show, verdict, why
from compass_results.samples import KINDS
from compass_results.stats import ALPHA

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>compass compare</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.significant td { background: #fff3cd; }
tr.group td { font-weight: 600; background: #f6f8fa; }
code { background: #f4f4f4; padding: 0 3px; }
.meta { color: #656d76; font-size: 12px; }
table.samples { width: 100%; table-layout: fixed; font-size: 13px; }
table.samples td { word-break: break-word; }
table.samples col.c-idx { width: 60px; } table.samples col.c-q { width: 34%; }
.yes { color: #1a7f37; font-weight: 600; } .no { color: #cf222e; font-weight: 600; }
.raw { color: #656d76; font-size: 12px; white-space: pre-wrap; max-height: 8em; overflow: auto; display: block; }
.q { white-space: pre-wrap; max-height: 12em; overflow: auto; display: block; }
.filters { position: sticky; top: 0; background: #fff; padding: 6px 0; border-bottom: 1px solid #ccc; }
.hidden { display: none; }
</style></head><body>
<h1>compass compare</h1>
<p>A: <code>{{ cmp.a }}</code><br>B: <code>{{ cmp.b }}</code></p>
{% if cmp.paired_by_dataset %}<p>Each run has one model, and they differ: paired dataset by dataset.</p>{% endif %}
<h2>Scores</h2>
{% if cmp.pairs %}
<table id="scores"><thead><tr><th>model</th><th>dataset</th><th>metric</th><th>A</th><th>B</th>
<th>delta</th><th>right only in A / B</th><th>p (McNemar)</th><th>q ({{ cmp.correction }})</th><th>verdict</th></tr></thead><tbody>
{% for g in cmp.groups %}
<tr class="group" data-dataset="{{ g.group }}"><td>{{ g.model }}</td><td>{{ g.group }}</td><td>{{ g.metric }}</td>
<td class="num">{{ fmt(g.a) }}</td><td class="num">{{ fmt(g.b) }}</td><td class="num">{{ fmt(g.delta, True) }}</td>
<td>-</td><td>-</td><td>-</td><td>group average</td></tr>
{% endfor %}
{% for p in cmp.pairs %}
<tr class="{{ 'significant' if p.significant else '' }}" data-dataset="{{ p.dataset }}">
<td>{{ p.model }}{% if p.model_b %} vs {{ p.model_b }}{% endif %}</td>
<td>{% if p.flipped %}<a href="#{{ p.anchor }}">{{ p.dataset }}</a>{% else %}{{ p.dataset }}{% endif %}</td><td>{{ p.metric }}</td>
<td class="num">{{ fmt(p.a) }}</td><td class="num">{{ fmt(p.b) }}</td><td class="num">{{ fmt(p.delta, True) }}</td>
<td class="num">{% if p.p is not none %}{{ p.right_a_only|length }} / {{ p.right_b_only|length }}{% else %}-{% endif %}</td>
<td class="num">{% if p.p is not none %}{{ '%.4g'|format(p.p) }} ({{ p.test }}){% else %}-{% endif %}</td>
<td class="num">{% if p.p_adjusted is not none %}{{ '%.4g'|format(p.p_adjusted) }}{% else %}-{% endif %}</td>
<td>{{ verdict(p) }}</td>
</tr>
{% endfor %}
</tbody></table>
{% if cmp.tests %}<p class="meta" id="correction">Significance: McNemar's test per dataset, its p-value adjusted
for the {{ cmp.tests }} tests of this comparison ({{ cmp.correction }}, the column q); a row is yellow
(significant) when q &lt; {{ alpha }}.</p>{% endif %}
{% else %}<p>The two runs share no model × dataset.</p>{% endif %}
{% if cmp.only_a %}<p>Only in A (not compared): {{ cmp.only_a|join(', ') }}</p>{% endif %}
{% if cmp.only_b %}<p>Only in B (not compared): {{ cmp.only_b|join(', ') }}</p>{% endif %}
<h2>Why they may differ</h2>
<ul id="why">
{% for w in reasons %}<li>{{ w.line }}</li>{% else %}
<li>nothing recorded differs (same settings, packages and run options)</li>{% endfor %}
</ul>
<h2 id="changed">Changed samples</h2>
{% if flips %}
<div class="filters" id="filters">
{% for k, label in kinds.items() %}<label><input type="checkbox" class="kind" value="{{ k }}" checked> {{ label }}
 ({{ counts[k] }})</label> {% endfor %}
<label>dataset <select id="dataset"><option value="">all</option>{% for p in flips %}<option>{{ p.dataset }}</option>{% endfor %}</select></label>
<span class="meta" id="shown"></span>
</div>
{% for p in flips %}
<section class="pair" id="{{ p.anchor }}" data-dataset="{{ p.dataset }}">
<h3>{{ p.name }} <span class="meta">{% for k, label in kinds.items() %}{{ label }}: {{ p.flipped|selectattr('kind', 'equalto', k)|list|length }}{% if not loop.last %} · {% endif %}{% endfor %}</span></h3>
<table class="samples"><colgroup><col class="c-idx"><col class="c-q"><col><col><col></colgroup>
<thead><tr><th>#</th><th>question</th><th>gold</th><th>A: answer (raw)</th><th>B: answer (raw)</th></tr></thead><tbody>
{% for s in p.flipped %}
<tr class="sample" data-kind="{{ s.kind }}" data-index="{{ s.index }}">
<td>{{ s.index }}</td><td><span class="q">{{ s.question }}</span></td><td>{{ val(s.gold) }}</td>
<td><span class="{{ cls(s.a.correct) }}">{{ mark(s.a.correct) }}</span> {{ val(s.a.answer) }}{% if s.a.error %} <span class="no">error: {{ s.a.error }}</span>{% endif %}<span class="raw">{{ val(s.a.raw) }}</span></td>
<td><span class="{{ cls(s.b.correct) }}">{{ mark(s.b.correct) }}</span> {{ val(s.b.answer) }}{% if s.b.error %} <span class="no">error: {{ s.b.error }}</span>{% endif %}<span class="raw">{{ val(s.b.raw) }}</span></td>
</tr>
{% endfor %}
</tbody></table>
</section>
{% endfor %}
<script>
"use strict";
(function () {
  const kinds = Array.from(document.querySelectorAll("input.kind")), ds = document.getElementById("dataset");
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (hash.get("kind")) kinds.forEach(function (k) { k.checked = hash.getAll("kind").includes(k.value); });
  if (hash.get("dataset")) ds.value = hash.get("dataset");
  function apply() {
    const on = new Set(kinds.filter(function (k) { return k.checked; }).map(function (k) { return k.value; }));
    let shown = 0;
    document.querySelectorAll("section.pair").forEach(function (sec) {
      let n = 0;
      sec.querySelectorAll("tr.sample").forEach(function (tr) {
        const ok = on.has(tr.dataset.kind);
        tr.classList.toggle("hidden", !ok); n += ok;
      });
      const vis = n > 0 && (!ds.value || ds.value === sec.dataset.dataset);
      sec.classList.toggle("hidden", !vis);
      if (vis) shown += n;
    });
    document.getElementById("shown").textContent = shown + " sample(s) shown";
    document.body.dataset.shown = String(shown);
  }
  kinds.forEach(function (k) { k.addEventListener("change", apply); });
  ds.addEventListener("change", apply);
  document.querySelectorAll("#scores a").forEach(function (a) {
    a.addEventListener("click", function () { ds.value = a.closest("tr").dataset.dataset; apply(); });
  });
  apply();
})();
</script>
{% else %}<p>No sample changed its verdict, and none is wrong in both runs with different answers.</p>{% endif %}
</body></html>
"""


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


RAW_CHARS = 4000  # of a raw prediction shown (the whole one is in --json)


def _val(value) -> str:
    if value is None:
        return "–"
    text = value if isinstance(value, str) else show(value, width=RAW_CHARS)
    return text if len(text) <= RAW_CHARS else text[:RAW_CHARS - 1] + "…"


def render_comparison(cmp: Comparison) -> str:
    """The comparison as an HTML page (every value escaped)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    flips = [p for p in cmp.pairs if p.flipped]
    counts = {k: sum(1 for p in flips for s in p.flipped if s.kind == k) for k in KINDS}
    return env.from_string(TEMPLATE).render(
        cmp=cmp, fmt=_fmt, alpha=ALPHA, reasons=why(cmp), verdict=verdict, flips=flips, kinds=KINDS,
        counts=counts, val=_val, mark=lambda c: "✓" if c is True else "✗" if c is False else "–",
        cls=lambda c: "yes" if c is True else "no" if c is False else "")
