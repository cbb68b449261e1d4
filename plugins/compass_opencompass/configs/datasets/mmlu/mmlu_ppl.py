mmlu_datasets = [dict(type='mmlu_compass_ppl')]
