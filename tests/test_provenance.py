"""Tests of itp_stats.provenance: the registry of the packages that computed a result."""

from __future__ import annotations

import pandas as pd

from itp_stats import provenance
from itp_stats.stats.nonparametric import kruskal
from itp_stats.study.prepare import package_versions


def test_collecting_lists_only_what_the_block_computed():
    provenance.record("numpy", "before")
    with provenance.collecting() as found:
        assert found == {}
        data = pd.DataFrame({"v": [1.0, 2, 3, 4, 5, 6, 7, 8, 9], "g": list("aaabbbccc")})
        kruskal(data, "v", "g")
    assert "numpy" not in found
    assert found["pingouin"] == ("Kruskal–Wallis H and p",)
    assert "scipy" in found


def test_uses_records_at_each_call():
    @provenance.uses(("example-dist", "a number"))
    def compute(x):
        return x + 1

    with provenance.collecting() as found:
        assert compute(1) == 2
    assert found == {"example-dist": ("a number",)}
    with provenance.collecting() as found:
        pass
    assert found == {}


def test_package_versions_list_recorded_packages_with_their_use():
    with provenance.collecting():
        provenance.record("scipy", "p values")
        table = package_versions()
    assert list(table.columns) == ["package", "version", "used_for"]
    assert list(table.package) == ["python", "itp-stats", "scipy"]
    assert table.set_index("package").loc["scipy", "used_for"] == "p values"
    assert provenance.version("no-such-distribution-x") == "not installed"
