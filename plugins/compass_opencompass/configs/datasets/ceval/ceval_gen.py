ceval_datasets = [dict(type='ceval_gen')]
