"""The knobs of a policy: budgets and the switches that make up a profile (issue 10).

A profile is a named set of knob values. `paper` (the default) reproduces the PaT authors' released
code; `strict` is pat-graph's stronger variant. Every difference between the two is its own field
here, so `--budget KEY=VALUE` overrides one knob on top of a profile (an ablation is one flag), and
the resolved dict is what a run records and what a resume must match.

Resolution order (later wins): field defaults < profile values < policy defaults < overrides.
The field defaults are the paper profile's values, so `Budgets()` is the paper configuration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from pat_graph.errors import ConfigError

Policy = Literal["standard", "best-of-n", "codet", "pbt", "pat"]
POLICIES: tuple[Policy, ...] = ("standard", "best-of-n", "codet", "pbt", "pat")
PLANNING_POLICIES = ("pat", "pbt")  # pbt's divide uses the planner slot
# Other names a policy is accepted under; runs record the canonical name.
POLICY_ALIASES: dict[str, Policy] = {"funcoder": "pbt"}
Profile = Literal["paper", "strict"]
PROFILE_NAMES: tuple[Profile, ...] = ("paper", "strict")

# Knobs whose value is one of a few words: name -> allowed values.
_CHOICES: dict[str, tuple[str, ...]] = {
    "profile": PROFILE_NAMES,
    "test_style": ("call", "assert"),
    "answer_after_planning": ("composition", "best"),
    "plateau_rule": ("paper", "strict"),
    "on_parse_failure": ("next_round", "finalize"),
    "trial_tie_break": ("later", "earlier"),
    "helper_context": ("code", "statement"),
    "helper_bodies": ("trial", "keep"),
    "example_parser": ("llm", "doctest"),
    "prompt_style": ("paper", "short"),
    "few_shot_role": ("system", "turns"),
}


@dataclass(frozen=True)
class Budgets:
    profile: str = "paper"  # which profile the knobs below were resolved from (recorded)
    n_samples: int = 5  # trial candidates per node (N)
    trial_temperature: float = 0.8
    plan_temperature: float = 0.2
    plan_rounds: int = 5  # R, planning rounds per node
    max_depth: int = 3  # the root is depth 0; nodes at max_depth never plan
    parse_retries: int = 3  # planner answers that cannot be parsed
    test_retries: int = 3  # test-writing answers without a usable test
    generate_tests: bool = True  # the generator writes extra in-loop tests
    n_generated_tests: int = 50  # at most this many generated tests are kept
    test_temperature: float = 0.2
    timeout_s: float = 6.0  # per test, in the sandbox
    # --- profile knobs (PAT_SPEC.md section 9, docs/fidelity.md); defaults = paper ---
    test_style: str = "call"  # generated tests: bare calls (pass = no raise) or asserts
    tests_after_candidate: bool = True  # tests are written after seeing one trial candidate
    statement_tests_mbpp: bool = False  # MBPP(+) prompt example asserts are in-loop tests
    helper_examples: bool = False  # helpers' docstring examples are in-loop tests (paper: none)
    planner_feedback: bool = False  # the planner sees the failed attempt and failing tests
    answer_after_planning: str = "composition"  # or "best" over trial and compositions
    plateau_rule: str = "paper"  # paper: stop when 0 < p <= p_prev; strict: also on a drop
    on_parse_failure: str = "next_round"  # an unparsable plan uses up the round, or finalizes
    trial_at_max_depth: bool = False  # nodes at depth == max_depth get a trial (else missing)
    min_trial_samples: int = 3  # usable trial samples wanted before verifying
    trial_requests: int = 3  # trial requests at most, to reach min_trial_samples
    trial_attempts: int = 3  # trials per node while test writing produced no test at all
    trial_tie_break: str = "later"  # equal pass counts: the later or the earlier candidate
    helper_context: str = "code"  # helper prompts show ancestors' code, or the root statement
    helper_bodies: str = "trial"  # helpers the planner wrote in full: re-implemented, or kept
    default_imports: bool = True  # every candidate and composition starts with the import block
    benchmark_patches: bool = True  # patched statement examples (HumanEval/47,115,116,148; MBPP+)
    no_think: bool = True  # "/no_think" starts every system prompt (Qwen3 answers without thinking)
    # issue 20: the root's statement examples as the authors extract them, by the generator
    # (llm: T=test_temperature, up to test_retries requests) or parsed without a model (doctest)
    example_parser: str = "llm"
    prompt_style: str = "paper"  # the authors' prompt structure, or pat-graph's short prompts
    few_shot_role: str = "system"  # example turns as system messages named user/assistant
    prompts_from: str | None = None  # a checkout of the authors' repo: their text verbatim
    max_tokens_floor: int = 8192  # at least this many output tokens unless the config sets some
    max_problem_cost_usd: float | None = None  # issue 14: a problem's real spend cap (USD)
    # --- F2: FunCoder / CodeT knobs (keep this block intact) ---
    # FunCoder / CodeT (docs/fidelity.md, Baselines): FunCoder's released HumanEval/MBPP settings.
    divide_temperature: float = 0.2  # pbt: the one divide sample per node
    divide_retries: int = 3  # pbt: divide requests while the answer is unusable
    conquer_samples: int = 10  # pbt: re-samples per node (+ the divide draft = 11 candidates)
    conquer_min_samples: int = 5  # pbt: usable re-samples wanted before asking no more
    conquer_retries: int = 3  # pbt: conquer requests at most, to reach conquer_min_samples
    conquer_temperature: float = 0.8
    consensus_inputs: int = 0  # pbt: calls to ask for; 0 = no number (as FunCoder), keep all
    codet_tests: int = 0  # codet: asserts to ask for; 0 = no number (as FunCoder), keep all
    seed: int = 0  # codet/pbt: random tie-break and shown candidate (deterministic per seed)
    # --- end F2 block ---

    def __post_init__(self) -> None:
        checks = {
            "n_samples": self.n_samples >= 1,
            "plan_rounds": self.plan_rounds >= 1,
            "max_depth": self.max_depth >= 0,
            "parse_retries": self.parse_retries >= 1,
            "test_retries": self.test_retries >= 1,
            "n_generated_tests": self.n_generated_tests >= 0,
            "timeout_s": self.timeout_s > 0,
            "trial_temperature": 0 <= self.trial_temperature <= 2,
            "plan_temperature": 0 <= self.plan_temperature <= 2,
            "test_temperature": 0 <= self.test_temperature <= 2,
            "min_trial_samples": self.min_trial_samples >= 1,
            "trial_requests": self.trial_requests >= 1,
            "trial_attempts": self.trial_attempts >= 1,
            "max_problem_cost_usd": self.max_problem_cost_usd is None
            or self.max_problem_cost_usd > 0,
            "max_tokens_floor": self.max_tokens_floor >= 0,
            **self._funcoder_checks(),
        }
        checks.update({name: getattr(self, name) in allowed for name, allowed in _CHOICES.items()})
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(
                f"invalid budget values: {', '.join(_explain(b, getattr(self, b)) for b in bad)}"
            )

    def _funcoder_checks(self) -> dict[str, bool]:  # FunCoder / CodeT
        return {
            "divide_temperature": 0 <= self.divide_temperature <= 2,
            "conquer_temperature": 0 <= self.conquer_temperature <= 2,
            "divide_retries": self.divide_retries >= 1,
            "conquer_samples": self.conquer_samples >= 1,
            "conquer_min_samples": self.conquer_min_samples >= 1,
            "conquer_retries": self.conquer_retries >= 1,
            "consensus_inputs": self.consensus_inputs >= 0,
            "codet_tests": self.codet_tests >= 0,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def recursion_limit(self) -> int:
        """LangGraph supersteps one node needs in the worst case (loops are bounded by our own
        counters; this only keeps LangGraph's guard out of the way)."""
        return 10 + 5 * self.plan_rounds + 2 * self.trial_attempts

    @property
    def wanted_trial_samples(self) -> int:
        """Usable samples a trial asks again for (never more than it samples per request)."""
        return min(self.min_trial_samples, self.n_samples)


def _explain(name: str, value: Any) -> str:
    allowed = _CHOICES.get(name)
    hint = f" (one of: {', '.join(allowed)})" if allowed else ""
    return f"{name}={value!r}{hint}"


# Every knob on which the profiles differ, with the strict value; paper is the field default.
PROFILES: dict[str, dict[str, Any]] = {
    "paper": {},
    "strict": {
        "n_generated_tests": 6,
        "test_style": "assert",
        "tests_after_candidate": False,
        "statement_tests_mbpp": True,
        "helper_examples": True,
        "planner_feedback": True,
        "answer_after_planning": "best",
        "plateau_rule": "strict",
        "on_parse_failure": "finalize",
        "trial_at_max_depth": True,
        "min_trial_samples": 1,
        "trial_requests": 1,
        "trial_attempts": 1,
        "trial_tie_break": "earlier",
        "helper_context": "statement",
        "helper_bodies": "keep",
        "no_think": False,
        "example_parser": "doctest",
        "prompt_style": "short",
        "few_shot_role": "turns",
    },
}


def profile_values(profile: str) -> dict[str, Any]:
    """The full knob dict of a profile (before policy defaults and overrides)."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return Budgets(**{**PROFILES[profile], "profile": profile}).to_dict()


POLICY_DEFAULTS: dict[str, dict[str, Any]] = {
    # One greedy generation checked against the statement's examples: the paper's cost unit.
    # Policy defaults apply in every profile.
    # Its check costs nothing: the examples are parsed, never extracted by a request (the
    # authors' `vanilla` method has no tests at all; its one sample is the answer either way).
    "standard": {
        "n_samples": 1,
        "trial_temperature": 0.0,
        "generate_tests": False,
        "example_parser": "doctest",
    },
    "best-of-n": {},
    # FunCoder / CodeT: CodeT samples as many programs as FunCoder's N (FunCoder's own CodeT
    # setting); FunCoder's shipped depth limit is 6 (its nodes at depth >= 6 are never written).
    "codet": {"n_samples": 11},
    "pbt": {"max_depth": 6},
    "pat": {},
}


def canonical_policy(policy: str) -> str:
    """The policy's own name for an alias (`funcoder` -> `pbt`); other names unchanged."""
    return POLICY_ALIASES.get(policy, policy)


def budgets_for(
    policy: str, overrides: dict[str, Any] | None = None, *, profile: str | None = None
) -> Budgets:
    """Resolve the knobs of `policy` under `profile` (default: overrides' "profile", else
    "paper"), with `overrides` on top."""
    policy = canonical_policy(policy)
    if policy not in POLICY_DEFAULTS:
        raise ConfigError(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
    overrides = dict(overrides or {})
    known = {f.name for f in fields(Budgets)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(
            f"unknown budget(s) {', '.join(unknown)}; known budgets: {', '.join(sorted(known))}"
        )
    chosen = profile or overrides.pop("profile", None) or "paper"
    if overrides.get("profile", chosen) != chosen:
        raise ConfigError(
            f"profile given twice: {chosen!r} and budget profile={overrides['profile']!r}"
        )
    overrides.pop("profile", None)
    if chosen not in PROFILES:
        raise ConfigError(f"unknown profile {chosen!r}; choose one of: {', '.join(PROFILES)}")
    return replace(
        Budgets(),
        **{**PROFILES[chosen], "profile": chosen, **POLICY_DEFAULTS[policy], **overrides},
    )


def knob_changes(budgets: dict[str, Any]) -> dict[str, Any]:
    """The recorded knobs that differ from their profile's values (policy defaults and
    `--budget` overrides): what `report` shows next to the profile. Runs recorded before
    profiles existed have no "profile" and give {}."""
    profile = budgets.get("profile")
    if profile not in PROFILES:
        return {}
    base = profile_values(profile)
    return {k: v for k, v in budgets.items() if k in base and base[k] != v}
