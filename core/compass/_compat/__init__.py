"""Running what users bring from other harnesses (OpenCompass config files), without them installed.

Imported only when a Python config file is loaded, never by ``compass --help`` or ``list``.
"""
