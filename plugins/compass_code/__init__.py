"""Code evaluation: HumanEval, MBPP and your own code tasks, run in a sandbox (pass@k)."""
