"""compass_openai: models served over an OpenAI-compatible HTTP API.

The plugin manifest is :mod:`compass_openai.plugin`; nothing here imports the ``openai``
SDK until a model is built (``backend``) or ``compass api-test`` runs.

Modules, one job each:

* ``presets``   — hosted endpoints known by name (Moonshot, DeepSeek, Qwen, a local server);
* ``settings``  — validated model options, the API key from its environment variable, traits;
* ``ratelimit`` — the requests-per-second cap and the adaptive (AIMD) concurrency limit;
* ``retry``     — which failures are retried, and how long to wait before the next attempt;
* ``client``    — one request under those limits and that policy, on a private event loop;
* ``logprobs``  — turning echoed completion log-probabilities into ppl/clp scores;
* ``backend``   — the ``compass._types.Model`` implementation;
* ``diagnose`` / ``api_test`` — ``compass api-test``.
"""

#: the backend and its traits as ``module:attr`` strings: registered by the plugin manifest,
#: recognised by ``compass api-test`` (both import them from here, not from each other)
FACTORY = "compass_openai.backend:OpenAIModel"
TRAITS = "compass_openai.settings:openai_traits"
