# tools.device: the technician tools' device-side snippets, sent to a terminal as source.
# SPDX-License-Identifier: MIT
