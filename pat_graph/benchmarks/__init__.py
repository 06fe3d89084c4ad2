"""Benchmarks shipped with pat-graph and the judge that scores programs on them."""

from pat_graph.benchmarks.registry import list_benchmarks, load_benchmark
from pat_graph.benchmarks.types import Benchmark, Task

__all__ = ["Benchmark", "Task", "list_benchmarks", "load_benchmark"]
