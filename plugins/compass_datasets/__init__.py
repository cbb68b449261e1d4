"""compass's built-in benchmarks: C-Eval, MMLU, CMMLU, GSM8K, MATH, ARC, SIQA, PIQA,
Winogrande, HellaSwag, BoolQ, demo sets shipped as package data, and custom files.

``plugin.py`` is the manifest compass loads; each benchmark family has its own module,
``readers.py`` finds and reads files with errors naming file and line.
"""
