"""A fleet simulator for the rollout guard: thousands of synthetic WordPress sites driving the real
local stack over HTTP, on a simulated clock.

- ``clock``: the simulated time the stack reads (a file) and waiting for the guard's look.
- ``sites``: the sites: a 12 h update check with WordPress-cron jitter, the bridge's install
  and reports, and each site's health behaviour on a good or a bad release.
- ``scenario``: a stack, plugins released on a plan, the fleet run until each rollout completes
  or halts; one bad plugin and several good ones side by side, in the same fleet and time.
- ``report``: the figures, as a table for bench/RESULTS.md.

    .venv/bin/python -m bench.fleet_sim --sites 1000 3000 --good 3
"""
