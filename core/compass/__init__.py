"""compass: evaluate large language models on standard benchmarks.

Importing this package is cheap by design: no plugin is loaded and no heavy library
(torch, transformers, openai) is imported until a command needs it.
"""

__version__ = "0.1.0"
