"""Test helpers for users' own tests: a scripted chat model that answers like a real one.

The model lives with the graph whose prompts it recognises (`pat_graph.graph.scripted`); this
module keeps the public import path `from pat_graph.testing import ScriptedChatModel`.
"""

from pat_graph.graph.scripted import (
    Call,
    ScriptedChatModel,
    count_tokens,
    fenced,
    purpose_of,
    target_of,
)

__all__ = ["Call", "ScriptedChatModel", "count_tokens", "fenced", "purpose_of", "target_of"]
