# fleet: the simulated deployment's world model (population, behaviour, planted cases) and scoring.
# SPDX-License-Identifier: MIT
