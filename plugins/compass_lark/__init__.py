"""Lark/Feishu notifications of a run: launched, failed tasks, finished with its scores."""
