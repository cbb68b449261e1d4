"""Errors that reach the user as one line and exit code 2."""

from __future__ import annotations

import difflib


class CompassError(Exception):
    """A problem with the user's input: printed as ``error: <message>``, exit code 2.

    The message names the problem and, where one exists, the fix.
    """

    exit_code = 2


class PluginError(CompassError):
    """A plugin misbehaved (duplicate name, bad registration)."""


def did_you_mean(name: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
