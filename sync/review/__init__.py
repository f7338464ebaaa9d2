# review: the collector's one detector (possible subletting), pure code: plain data in and out.
# SPDX-License-Identifier: MIT
"""The detector's input and output types are in ``sync.review.model`` (docs/detection.md).

``review_queue(records, registry, start, days, params)`` is the first queue's call (records and
registry dicts in, ``[{"unit" | "card": id, "reasons": [...]}]`` out), kept for the collector's
report and the dashboard until they build a ``Snapshot``.
"""

from sync.review.legacy import REASONS, TEXT, Params, explain, review_queue, threshold

__all__ = ["REASONS", "TEXT", "Params", "explain", "review_queue", "threshold"]
