"""Lark/Feishu notifications (cheap manifest: the sender is imported when a run starts).

``compass eval … --lark`` (or ``-l``) posts to a Lark/Feishu custom bot: the run launched
(models, datasets, tasks, run folder), each failed task with its log path, and the run
finished with its headline scores. The webhook URL comes from ``lark_bot_url`` in the config
file (as in OpenCompass; or ``[notify] lark_bot_url``) or ``COMPASS_LARK_WEBHOOK``; a bot
with signature verification needs ``COMPASS_LARK_SECRET``.
"""

from __future__ import annotations

from compass.sdk import hookimpl


@hookimpl
def register_eval_options(register):
    """``--lark`` / ``-l``."""
    register("--lark", "Post the run's progress to a Lark/Feishu bot (webhook: lark_bot_url in the config "
             "or COMPASS_LARK_WEBHOOK; signing secret: COMPASS_LARK_SECRET).",
             notify_setting="lark", type=bool, short="-l")


@hookimpl
def on_run_started(event):
    """Remember the run's webhook (when ``--lark``) and post "launched"."""
    if (event.settings or {}).get("lark"):
        from compass_lark.notifier import run_started

        run_started(event)


@hookimpl
def on_task_finished(event):
    """Post a failed task with its log path."""
    if not event.ok:
        from compass_lark.notifier import task_failed

        task_failed(event)


@hookimpl
def on_run_finished(event):
    """Post "finished" with the headline scores; wait (briefly) for what is still being sent."""
    from compass_lark.notifier import run_finished

    run_finished(event)
