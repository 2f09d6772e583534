"""The workshop app: a Solara page that drives the same run functions as the command line.

`app` imports `sim`, `scenarios` and `analysis`; none of them imports `app`. It adds no model logic:
it chooses parameter values, runs replications in a bounded pool of worker processes, and shows and
exports the result frames. Start it with ``welzijnsim app``.
"""
