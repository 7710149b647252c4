"""The rollout guard: releases that advance on their own while sites stay healthy, and halt
themselves when they do not.

- ``funnel``: what sites report, counted per version and rollout step, once per site and stage.
- ``gate``: the statistics (pure): may a step pass, must the rollout halt, or wait for evidence.
- ``plan``: starting and resuming a planned rollout (the admin's commands).
- ``evaluation``: one look at one version (pure): advance, halt, complete or hold.
- ``runner``: the scheduled look at every running rollout, written with conditional writes.
"""
