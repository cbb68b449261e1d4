# compass's siqa_ppl written in OpenCompass's config shape: the same rows, prompt and
# candidates as `compass eval -d siqa_ppl`, so both give the same scores.
from opencompass.datasets import siqaDataset
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.openicl.icl_inferencer import PPLInferencer
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever

_question = '{context}\nQuestion: {question}\nAnswer:'

siqa_datasets = [
    dict(
        abbr='siqa',
        type=siqaDataset,
        path='./data/siqa',
        reader_cfg=dict(input_columns=['context', 'question', 'answerA', 'answerB', 'answerC'],
                        output_column='label', test_split='validation'),
        infer_cfg=dict(
            prompt_template=dict(
                type=PromptTemplate,
                template={label: dict(round=[dict(role='HUMAN', prompt=_question),
                                             dict(role='BOT', prompt=' {answer%s}' % letter)])
                          for label, letter in ((1, 'A'), (2, 'B'), (3, 'C'))}),
            retriever=dict(type=ZeroRetriever),
            inferencer=dict(type=PPLInferencer)),
        eval_cfg=dict(evaluator=dict(type=AccEvaluator)),
    )
]
