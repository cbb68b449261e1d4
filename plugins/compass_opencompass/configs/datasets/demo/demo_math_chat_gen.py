math_datasets = [dict(type='demo_math', chat=True)]
