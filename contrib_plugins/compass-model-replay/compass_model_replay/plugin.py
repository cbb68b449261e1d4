"""The manifest: compass imports it at start-up, so it names its factories by string."""

from compass.sdk import hookimpl


@hookimpl
def register_models(register):
    register("replay", "compass_model_replay.model:ReplayModel",
             "Answers from a JSON Lines file of {prompt, answer} (--replay-file); a prompt not in it gets ''.",
             traits="compass_model_replay.model:replay_traits")


@hookimpl
def register_eval_options(register):
    register("--replay-file", "The JSON Lines file of {\"prompt\": …, \"answer\": …} the replay model answers from.",
             model_kwarg="path", implies_model="replay", metavar="FILE")
