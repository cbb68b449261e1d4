"""The ``debug`` (in-process) and ``local`` (worker processes) runners."""
