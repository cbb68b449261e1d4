# OpenCompass's API tutorial config, as compass runs it:
#   export MOONSHOT_API_KEY=...      (key='ENV' reads it; a key written here is refused)
#   compass api-test examples/api_examples/eval_api_moonshot.py
#   compass eval examples/api_examples/eval_api_moonshot.py --debug
from mmengine.config import read_base
from opencompass.models import OpenAISDK
from opencompass.partitioners import NaivePartitioner
from opencompass.runners import LocalRunner
from opencompass.tasks import OpenICLInferTask

with read_base():
    from .datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets

datasets = [*gsm8k_datasets]

models = [
    dict(
        abbr='moonshot-v1-8k',
        type=OpenAISDK,
        path='moonshot-v1-8k',
        openai_api_base='https://api.moonshot.cn/v1',
        key='ENV',
        query_per_second=1,
        max_out_len=2048,
        max_seq_len=4096,
        batch_size=4,
    ),
]

infer = dict(
    partitioner=dict(type=NaivePartitioner),
    runner=dict(type=LocalRunner, max_num_workers=2, task=dict(type=OpenICLInferTask)),
)
