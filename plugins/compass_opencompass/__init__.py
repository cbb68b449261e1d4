"""compass_opencompass: OpenCompass's Python config files, executed and translated into
compass's plain config — without mmengine or opencompass installed.

* :mod:`~compass_opencompass.plugin` — the manifest: answers ``read_config`` for ``.py`` files;
* :mod:`~compass_opencompass.shims` — stand-ins for ``mmengine``/``opencompass`` while a file runs;
* :mod:`~compass_opencompass.translate` — OpenCompass classes and settings → compass names;
* ``configs/`` — the config modules ``read_base()`` imports fall back to.

Imported only when a Python config file is loaded, never by ``compass --help`` or ``list``.
"""
