winogrande_datasets = [dict(type='winogrande_ppl')]
