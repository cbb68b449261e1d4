"""A C-Eval-format quiz about 《西游记》, as a compass dataset plugin (an example third-party package)."""

__version__ = "0.1.0"
