"""``gee bench engine`` at a tiny size: three columns timed interleaved (GEE, stock SpiffWorkflow,
SpiffWorkflow on GEE's pruned state), the stock baseline reaching its next task at every size,
one JSON line at the end."""

from __future__ import annotations

import json

from webapp.cli import main


def test_bench_engine_reports_three_columns_per_size(app):
    done = app.test_cli_runner().invoke(main, ["bench", "engine", "--sizes", "3,9", "--samples", "3"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output.strip().splitlines()[-1])
    histories = [size["history"] for size in result["sizes"]]
    assert result["bench"] == "engine" and len(histories) == 2 and 3 <= histories[0] < histories[1]
    for size in result["sizes"]:
        for column in ("ours", "baseline", "pruned"):
            assert 0 < size[f"{column}_median_ms"] <= size[f"{column}_p95_ms"]
        assert size["baseline_stalls"] is False
        # GEE stores the same small pruned state whatever the history; stock SpiffWorkflow keeps it all.
        assert size["state_bytes"] < size["baseline_bytes"]
    assert {"growth_ours", "growth_baseline", "growth_pruned", "ratio_at_largest"} <= set(result)
