gsm8k_datasets = [dict(type='gsm8k_compass_gen')]
