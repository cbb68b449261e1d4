"""mkdocs hooks: the docstrings' Sphinx roles (``:class:`X```) read as plain code in the site."""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:class|func|data|mod|meth|attr|exc|obj):(?=<code>)")


def on_page_content(html, page, config, files):
    return ROLE.sub("", html)
