mmlu_datasets = [dict(type='mmlu_ppl')]
