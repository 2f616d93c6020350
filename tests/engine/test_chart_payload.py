"""The packing of a chart's traces is lossless: decoding what the page carries (the same steps
as the page's script, which the browser test runs for real) gives back every trace exactly."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from huice.engine.results.chart_payload import pack_traces


def decode(packed_json: str, zero_runs: list, shared_x: list | None, sharing: list) -> list:
    data = json.loads(packed_json)
    for i in sharing:
        data[i]["x"] = shared_x
    for i, runs in zero_runs:
        y = [0] * runs[0]
        for k in range(1, len(runs), 2):
            y[runs[k]:runs[k] + len(runs[k + 1])] = runs[k + 1]
        data[i]["y"] = y
    return data


values = st.one_of(st.just(0.0), st.just(0.0), st.just(0.0), st.none(),
                   st.floats(-1e6, 1e6, allow_nan=False))


@given(st.lists(st.lists(values, min_size=0, max_size=200), min_size=1, max_size=5))
def test_packing_round_trips(ys):
    x = [f"d{i}" for i in range(max(len(y) for y in ys))]
    traces = [{"type": "scatter", "x": x[:len(y)], "y": y, "name": f"t{n}"}
              for n, y in enumerate(ys)]
    packed = pack_traces(traces)
    restored = decode(json.dumps(packed.traces), [list(r) for r in packed.zero_runs],
                      packed.shared_x, list(packed.sharing))
    assert restored == traces


def test_a_mostly_zero_weight_is_carried_as_its_runs():
    y = [0.0] * 100 + [0.2, 0.21] + [0.0] * 50 + [0.5]
    packed = pack_traces([{"y": y}])
    assert "y" not in packed.traces[0]
    assert packed.zero_runs == ((0, [153, 100, [0.2, 0.21], 152, [0.5]]),)
    # a series mostly of other values is left as it is
    assert pack_traces([{"y": [1.0] * 100}]).zero_runs == ()
