"""First-party postprocessors (answer extraction) and evaluators (scoring)."""
