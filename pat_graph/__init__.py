"""pat-graph: Planning-after-Trial code generation as a LangGraph state machine."""

from pat_graph.benchmarks import list_benchmarks, load_benchmark
from pat_graph.budgets import POLICIES, Budgets
from pat_graph.errors import ConfigError, PatError
from pat_graph.evaluate import evaluate_samples
from pat_graph.judge import Verdict, judge
from pat_graph.llm import RoleModel
from pat_graph.models import ModelSpec, load_config, make_chat_model
from pat_graph.policies import build_graph
from pat_graph.problem import Problem
from pat_graph.sandbox import Sandbox, TestOutcome, TestReport, run_tests, run_tests_sync
from pat_graph.solve import Result, solve

__all__ = [
    "POLICIES",
    "Budgets",
    "ConfigError",
    "ModelSpec",
    "PatError",
    "Problem",
    "Result",
    "RoleModel",
    "Sandbox",
    "TestOutcome",
    "TestReport",
    "Verdict",
    "build_graph",
    "evaluate_samples",
    "judge",
    "list_benchmarks",
    "load_benchmark",
    "load_config",
    "make_chat_model",
    "run_tests",
    "run_tests_sync",
    "solve",
]

__version__ = "0.1.0"
