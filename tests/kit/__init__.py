# tests.kit: what tests and benchmarks share (wire kit, log cutter, servers, device-test helpers).
# SPDX-License-Identifier: MIT
