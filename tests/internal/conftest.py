"""Fixtures for the internal pages: the sample and a generated deployment, each built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_DATE, run_cli

#: The generated deployment: 20 cadres from zhilian.demo with a fixed seed.
GENERATED_SEED = 4242
GENERATED_CADRES = 20


def copy_code(dest: Path) -> None:
    """Templates, handbook sources: what a deployment needs besides data and config."""
    for name in ("templates", "docs"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name, dirs_exist_ok=True)
    if (REPO / "mkdocs.yml").exists():
        shutil.copy2(REPO / "mkdocs.yml", dest / "mkdocs.yml")


@pytest.fixture(scope="session")
def generated_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated deployment (read-only for tests), built at the sample date."""
    from zhilian.demo import generate

    root = tmp_path_factory.mktemp("generated")
    generate(root, cadres=GENERATED_CADRES, seed=GENERATED_SEED, today=SAMPLE_DATE)
    copy_code(root)
    result = run_cli(root, "build")
    assert result.code == 0, result.out
    return root


@pytest.fixture(params=["sample", "generated"])
def deployment(request: pytest.FixtureRequest) -> Path:
    """Both built deployments, one after the other."""
    name = "built_sample" if request.param == "sample" else "generated_built"
    return request.getfixturevalue(name)
