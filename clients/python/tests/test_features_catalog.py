"""features.py is generated from the core catalog: it fails while it is stale."""
from __future__ import annotations

from conftest import node_env, run_node

from ticketzero_license import FEATURE_NAMES


def test_features_py_matches_the_core_catalog(core_built):
    done = run_node(["scripts/generate-python-features.ts", "--check"], node_env())
    assert done.returncode == 0, f"{done.stdout}{done.stderr}"
    assert FEATURE_NAMES["premium_support_24_7"] == "24/7 Premium Support"
