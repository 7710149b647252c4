"""``python -m bench.fleet_sim``: the bad and good releases side by side at each fleet size."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.fleet_sim import report
from bench.fleet_sim.scenario import Scenario, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--good", type=int, default=3, help="good plugins rolled out beside the bad one")
    parser.add_argument("--bad-share", type=float, default=0.3)
    parser.add_argument("--plan", default="1,5,25,100")
    parser.add_argument("--step-hours", type=int, default=6)
    parser.add_argument("--horizon", type=float, default=72)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--seed", type=int, default=1, help="the fleet's random draws (repeat runs differ by it)"
    )
    args = parser.parse_args()
    results = []
    for sites in args.sites:
        scenario = Scenario(
            sites=sites,
            good=args.good,
            bad_share=args.bad_share,
            plan=args.plan,
            step_hours=args.step_hours,
            horizon_hours=args.horizon,
            seed=args.seed,
        )
        with tempfile.TemporaryDirectory(prefix="fleet-sim-") as workdir:
            results.append(run(scenario, Path(workdir), threads=args.threads))
        print(report.table(results[-1:]), flush=True)
    print()
    print(report.table(results))
    print()
    print(report.runs(results))
    print(report.sizings(results))
    halted, good = report.false_halts(results)
    print(f"- false halts: {halted} of {good} good rollouts")


if __name__ == "__main__":
    main()
