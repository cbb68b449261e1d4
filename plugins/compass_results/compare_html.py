"""``compass compare --html``: the comparison as one self-contained page (no script, no
asset from elsewhere), rendered with Jinja2 from the same :class:`Comparison` as the text."""

from __future__ import annotations

from compass_results.compare import Comparison
from compass_results.stats import ALPHA

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>compass compare</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.significant td { background: #fff3cd; }
code { background: #f4f4f4; padding: 0 3px; }
</style></head><body>
<h1>compass compare</h1>
<p>A: <code>{{ cmp.a }}</code><br>B: <code>{{ cmp.b }}</code></p>
{% if cmp.paired_by_dataset %}<p>Each run has one model, and they differ: paired dataset by dataset.</p>{% endif %}
<h2>Scores</h2>
{% if cmp.pairs %}
<table id="scores"><thead><tr><th>model</th><th>dataset</th><th>metric</th><th>A</th><th>B</th>
<th>delta</th><th>right only in A / B</th><th>p (McNemar)</th><th>verdict</th></tr></thead><tbody>
{% for p in cmp.pairs %}
<tr class="{{ 'significant' if p.significant else '' }}">
<td>{{ p.model }}{% if p.model_b %} vs {{ p.model_b }}{% endif %}</td><td>{{ p.dataset }}</td><td>{{ p.metric }}</td>
<td class="num">{{ fmt(p.a) }}</td><td class="num">{{ fmt(p.b) }}</td><td class="num">{{ fmt(p.delta, True) }}</td>
<td class="num">{% if p.p is not none %}{{ p.right_a_only|length }} / {{ p.right_b_only|length }}{% else %}-{% endif %}</td>
<td class="num">{% if p.p is not none %}{{ '%.4g'|format(p.p) }} ({{ p.test }}){% else %}-{% endif %}</td>
<td>{% if p.p is none %}no per-sample verdicts{% elif p.significant %}significant (p &lt; {{ alpha }}){% else %}within noise{% endif %}</td>
</tr>
{% endfor %}
</tbody></table>
{% else %}<p>The two runs share no model × dataset.</p>{% endif %}
{% if cmp.only_a %}<p>Only in A (not compared): {{ cmp.only_a|join(', ') }}</p>{% endif %}
{% if cmp.only_b %}<p>Only in B (not compared): {{ cmp.only_b|join(', ') }}</p>{% endif %}
<h2>Why they may differ</h2>
<ul id="why">
{% for p in cmp.pairs %}{% for c in p.settings %}
<li>{{ p.model }} / {{ p.dataset }}: <code>{{ c.name }}</code>: {{ c.a }} → {{ c.b }}</li>
{% endfor %}{% if p.failed[0] or p.failed[1] %}
<li>{{ p.model }} / {{ p.dataset }}: failed or missing samples: A {{ p.failed[0] }}, B {{ p.failed[1] }} (counted as wrong)</li>
{% endif %}{% endfor %}
{% for c in cmp.run_settings %}<li>run setting <code>{{ c.name }}</code>: {{ c.a }} → {{ c.b }}</li>{% endfor %}
{% for c in cmp.packages %}<li>package <code>{{ c.name }}</code>: {{ c.a or 'absent' }} → {{ c.b or 'absent' }}</li>{% endfor %}
{% if not why %}<li>nothing recorded differs (same settings, packages and run options)</li>{% endif %}
</ul>
<h2>Flipped samples</h2>
<table id="flips"><thead><tr><th>model / dataset</th><th>right in A, wrong in B</th><th>wrong in A, right in B</th></tr></thead><tbody>
{% for p in cmp.pairs if p.right_a_only or p.right_b_only %}
<tr><td>{{ p.model }} / {{ p.dataset }}</td><td>{{ p.right_a_only|join(', ') }}</td><td>{{ p.right_b_only|join(', ') }}</td></tr>
{% else %}<tr><td colspan="3">none</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def render_comparison(cmp: Comparison) -> str:
    """The comparison as an HTML page (every value escaped)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    why = any(p.settings or p.failed != (0, 0) for p in cmp.pairs) or cmp.run_settings or cmp.packages
    return env.from_string(TEMPLATE).render(cmp=cmp, fmt=_fmt, alpha=ALPHA, why=why)
