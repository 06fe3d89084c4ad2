"""`pat-graph explore` in a real browser: Debian's headless Chromium loads the pages from disk.

The runs come from scripted models through the real runner, SQLite, sandbox and judge
(tests/support/explore_runs.py), so the pages show a real tree with planning and helpers.
Screenshots are saved under tests/output/explorer/ (PAT_GRAPH_DOCS_IMG=1 also copies them to
docs/img/ for docs/explorer.md). In CI (CI=true) a missing browser fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from pat_graph.cli import main
from tests.support.browser import Browser
from tests.support.explore_runs import EXPECTED_PAT, PROBLEMS, RUN_PAT, RUN_STANDARD, build_runs

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "output" / "explorer"
DOCS_IMG = REPO / "docs" / "img"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explore")
    db = asyncio.run(build_runs(folder))
    out = folder / "site"
    assert main(["explore", "--db", str(db), "--out", str(out)]) == 0
    return out


def _open(browser: Browser, page: Path) -> None:
    browser.errors.clear()
    browser.open(page.resolve().as_uri())
    assert browser.errors == [], f"{page.name}: {browser.errors}"


def _act(browser: Browser, script: str) -> None:
    """Run statements in their own block, so `const` names never clash between calls."""
    browser.eval("{" + script + "}")


def _shot(browser: Browser, name: str) -> None:
    path = browser.screenshot(ARTIFACTS / name)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("PAT_GRAPH_DOCS_IMG") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / name)


def _problem_page(site: Path, run: str, task_id: str) -> Path:
    links = json.loads(
        (site / "index.html").read_text().split('id="paired-data">', 1)[1].split("</script>")[0]
    )
    return site / links["links"][run].replace("index.html", "") / links["tasks"][run][task_id]


def test_runs_page_table_plot_filters_and_paired_view(site: Path, browser: Browser) -> None:
    _open(browser, site / "index.html")
    assert browser.eval("document.querySelectorAll('tr.run-row').length") == 2
    assert browser.eval("document.querySelectorAll('#pareto circle.point').length") == 2
    keys = browser.eval(
        "Array.from(document.querySelectorAll('tr.run-row')[0].nextElementSibling"
        ".querySelectorAll('tr[data-key]')).map(r => r.dataset.key)"
    )
    for key in ("run", "pass_at_1", "pass_at_1_plus", "verified_rate", "cost_usd",
                "llm_calls.planner", "tokens.generator.input", "budgets.n_samples"):  # fmt: skip
        assert key in keys
    # paired view: PaT solved ex/plan, the standard baseline did not
    only_a = browser.eval(
        "Array.from(document.querySelectorAll('#pair-out .pair-list')[0]"
        ".querySelectorAll('li')).map(li => li.textContent)"
    )
    assert only_a == ["ex/plan"]
    _shot(browser, "explorer-runs.png")
    # filter by policy: one run row left, the other's plot point hidden
    _act(
        browser,
        "const s = document.getElementById('filter-policy'); s.value = 'standard';"
        "s.dispatchEvent(new Event('change'))",
    )
    visible = browser.eval(
        "Array.from(document.querySelectorAll('tr.run-row')).filter(r => !r.hidden)"
        ".map(r => r.dataset.run)"
    )
    assert visible == [RUN_STANDARD]
    assert browser.eval("document.querySelectorAll('#pareto .point.dim').length") == 1
    # hover label of a plot point
    browser.eval(
        "document.querySelector('#pareto .point').dispatchEvent(new MouseEvent('mouseenter'))"
    )
    assert "pass@1" in browser.eval("document.getElementById('tip').textContent")
    assert browser.errors == []


def test_run_page_search_and_sort(site: Path, browser: Browser) -> None:
    _open(browser, site / "run" / RUN_PAT / "index.html")
    rows = "Array.from(document.querySelectorAll('tr.problem-row'))"
    assert browser.eval(f"{rows}.length") == len(PROBLEMS)
    _act(
        browser,
        "const q = document.getElementById('search'); q.value = 'PLAN';"
        "q.dispatchEvent(new Event('input'))",
    )
    assert browser.eval(f"{rows}.filter(r => !r.hidden).map(r => r.dataset.task)") == ["ex/plan"]
    _act(
        browser,
        "const q = document.getElementById('search'); q.value = '';"
        "q.dispatchEvent(new Event('input'));"
        "const s = document.getElementById('sort'); s.value = 'cost-desc';"
        "s.dispatchEvent(new Event('change'))",
    )
    costs = browser.eval(f"{rows}.map(r => parseFloat(r.dataset.cost))")
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    _act(
        browser,
        "const s = document.getElementById('sort'); s.value = 'pass-asc';"
        "s.dispatchEvent(new Event('change'))",
    )
    assert browser.eval(f"{rows}.map(r => r.dataset.pass)")[0] == "0"
    _shot(browser, "explorer-run.png")
    assert browser.errors == []


@pytest.mark.parametrize("task_id", sorted(EXPECTED_PAT))
def test_problem_page_tree_and_path(site: Path, browser: Browser, task_id: str) -> None:
    _open(browser, _problem_page(site, RUN_PAT, task_id))
    counts = browser.eval(
        "(() => { const c = {}; document.querySelectorAll('#tree .tnode').forEach(n => "
        "{ c[n.dataset.kind] = (c[n.dataset.kind] || 0) + 1; }); return c; })()"
    )
    for kind, expected in EXPECTED_PAT[task_id].items():
        assert counts.get(kind, 0) == expected, (kind, counts)
    visited = browser.eval(
        "Array.from(document.querySelectorAll('svg.policy .gnode.visited'))"
        ".map(g => g.dataset.node)"
    )
    assert {"generate", "verify", "finalize"} <= set(visited)
    assert ("plan" in visited) == (EXPECTED_PAT[task_id]["round"] > 0)
    assert browser.eval("document.querySelectorAll('svg.policy .edge.taken').length") >= 3
    if task_id == "ex/plan":
        # a helper's own path: it verified its trial and finished, it never planned
        browser.eval("document.querySelector('.tnode[data-fn=\"f.1.0\"] button.show-path').click()")
        helper = browser.eval(
            "Array.from(document.querySelectorAll('svg.policy .gnode.visited'))"
            ".map(g => g.dataset.node)"
        )
        assert "verify" in helper and "plan" not in helper
        assert "evens" in browser.eval("document.getElementById('path-of').textContent")
        browser.eval("document.querySelector('.tnode[data-fn=\"f\"] button.show-path').click()")
    _shot(browser, f"explorer-problem-{task_id.replace('/', '-')}.png")
    assert browser.errors == []


def test_hidden_tests_only_in_the_judge_section(site: Path, browser: Browser) -> None:
    for problem in PROBLEMS:
        _open(browser, _problem_page(site, RUN_PAT, problem["task_id"]))
        outside = browser.eval(
            "(() => { const b = document.body.cloneNode(true);"
            "b.querySelectorAll('section.judge').forEach(s => s.remove());"
            "return b.textContent; })()"
        )
        judge = browser.eval("document.querySelector('section.judge').textContent")
        for hidden in problem["hidden_tests"]:
            assert hidden not in outside
            assert hidden in judge


def test_generated_false_positive_is_reported(site: Path, browser: Browser) -> None:
    _open(browser, _problem_page(site, RUN_PAT, "ex/fail"))
    judge = browser.eval("document.querySelector('section.judge').textContent")
    assert "1 of 2 generated test(s) reject it" in judge
    # which one, re-measured in the sandbox at explore time: the wrong expectation
    rejecting = browser.eval(
        "Array.from(document.querySelectorAll('section.judge ul.rejecting pre'))"
        ".map(p => p.textContent)"
    )
    assert rejecting == ["assert median([1, 2]) == 2"]
    tests = browser.eval(
        "Array.from(document.querySelectorAll('table.tests tbody tr'))"
        ".map(r => r.cells[1].textContent)"
    )
    assert tests == ["generated", "generated"]


def test_pruned_run_keeps_results_and_says_the_tree_is_gone(site: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    shutil.copyfile(site.parent / "runs.sqlite", db)
    assert main(["prune", "--db", str(db), "--run", RUN_PAT]) == 0
    out = tmp_path / "site"
    assert main(["explore", "--db", str(db), "--run", RUN_PAT, "--out", str(out)]) == 0
    page = _problem_page(out, RUN_PAT, "ex/plan").read_text()
    assert 'id="no-tree"' in page
    assert "sum_squares" in page  # the final program, from the stored result
    assert "sum_even_squares" in page.split('class="statement"', 1)[1]  # from the benchmark
