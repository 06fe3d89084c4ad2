"""Infrastructure failures. Messages say what to fix; candidate-code failures are never errors."""

from __future__ import annotations


class PatError(Exception):
    """Base of every error pat-graph raises on purpose."""


class ConfigError(PatError):
    """Bad configuration or usage: the CLI exits with code 2 and prints the message."""


class LLMCallError(PatError):
    """An LLM call failed after the client's retries ran out."""


class SandboxError(PatError):
    """The sandbox itself could not run (not the candidate failing)."""


class BenchmarkError(ConfigError):
    """A benchmark or samples file is malformed; the message names the file and line."""
