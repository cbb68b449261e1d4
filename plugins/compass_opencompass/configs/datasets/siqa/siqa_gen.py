siqa_datasets = [dict(type='siqa_compass_gen')]
