# tools.sim.pn532: the simulated NXP PN532 and the cards in its field (byte-faithful to UM0701-02).
# SPDX-License-Identifier: MIT
