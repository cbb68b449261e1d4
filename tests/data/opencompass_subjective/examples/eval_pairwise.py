# Arena-Hard and AlpacaEval 2.0 as OpenCompass's subjective configs define them (its files, imported
# as written), a served candidate model and a served judge: the layout of OpenCompass's
# examples/eval_subjective.py with the judge set on each dataset's evaluator.
import os

from mmengine.config import read_base

with read_base():
    from opencompass.configs.datasets.subjective.arena_hard.arena_hard_compare import arenahard_datasets
    from opencompass.configs.datasets.subjective.alpaca_eval.alpacav2_judgeby_gpt4_new import alpacav2_datasets

from opencompass.models import OpenAISDK

models = [
    dict(abbr='cand', type=OpenAISDK, path='test-model', key='ENV',
         openai_api_base=os.environ.get('PAIRWISE_MODEL_API', 'http://127.0.0.1:8000/v1'),
         max_out_len=2048, batch_size=4, temperature=0),
]
judge = dict(abbr='judge', type=OpenAISDK, path='test-model', key='ENV',
             openai_api_base=os.environ.get('PAIRWISE_JUDGE_API', 'http://127.0.0.1:8001/v1'),
             max_out_len=64, batch_size=4, temperature=0)

datasets = [*arenahard_datasets, *alpacav2_datasets]
for d in datasets:
    d['eval_cfg']['evaluator']['judge_cfg'] = judge
