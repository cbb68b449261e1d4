gsm8k_datasets = [dict(type='demo_gsm8k', chat=True)]
