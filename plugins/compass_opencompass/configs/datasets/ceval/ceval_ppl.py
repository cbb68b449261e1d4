ceval_datasets = [dict(type='ceval_compass_ppl')]
