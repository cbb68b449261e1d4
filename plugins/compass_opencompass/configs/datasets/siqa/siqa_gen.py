siqa_datasets = [dict(type='siqa_gen')]
