"""compass_judge: judge models score open-ended answers (MT-Bench, AlpacaEval, Arena-Hard)."""
