"""The cost model of a check (``python -m bench.cost_model``): measurements, prices, dollars."""
