import os

from mmengine.config import read_base

with read_base():
    from .mtbench_single_judge_diff_temp_new import mtbench_datasets
    from .alignbench_v1_1_judgeby_critiquellm_new import alignbench_datasets

from opencompass.models import OpenAISDK
from opencompass.partitioners.sub_naive import SubjectiveNaivePartitioner
from opencompass.runners import LocalRunner
from opencompass.summarizers import SubjectiveSummarizer
from opencompass.tasks.subjective_eval import SubjectiveEvalTask

datasets = [mtbench_datasets[0], *alignbench_datasets]  # mtbench_0.0, alignment_bench_v1_1

models = [dict(type=OpenAISDK, abbr='cand', path='test-model', key='EMPTY',
               openai_api_base=os.environ.get('OC_SUBJ_MODEL_API', 'http://127.0.0.1:9/v1'),
               max_out_len=64, batch_size=4)]
judge_models = [dict(type=OpenAISDK, abbr='judge', path='test-model', key='ENV',
                     openai_api_base=os.environ.get('OC_SUBJ_JUDGE_API', 'http://127.0.0.1:9/v1'),
                     max_out_len=256, batch_size=4, temperature=0)]

eval = dict(
    partitioner=dict(type=SubjectiveNaivePartitioner, models=models, judge_models=judge_models),
    runner=dict(type=LocalRunner, max_num_workers=1, task=dict(type=SubjectiveEvalTask)),
)
summarizer = dict(type=SubjectiveSummarizer, function='subjective')
work_dir = 'outputs/subjective/'
