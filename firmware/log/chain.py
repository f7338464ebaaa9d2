# chain: where the log's chain of seals stands at the first slot of a block.
# SPDX-License-Identifier: MIT
"""Every block ends in a SEAL slot whose MAC covers the block and the previous seal's MAC, under
the key of the block's epoch (docs/protocol.md, "Seal"). To sign or check a block, or to send
batches from it, one needs the chain state at its first slot: ``Chain`` holds it.

The log keeps two: ``Log.open`` (the block being written) and ``Log.floor`` (the first block
not wholly acknowledged, where the next batch starts); recovery rebuilds both from flash.
"""

from firmware import wire
from firmware.log.fields import copy


class Chain:
    """``seq``: first sequence number of a block; ``epoch``: seals before it; ``mac``: the last
    seal's MAC before it (8 zero bytes when there is none)."""

    def __init__(self, seq=0, epoch=0, mac=None):
        self.seq = seq
        self.epoch = epoch
        self.mac = bytearray(wire.MAC_LEN)
        if mac is not None:
            copy(self.mac, 0, mac, 0, wire.MAC_LEN)

    def set(self, seq, epoch, mac, at=0):
        """Take ``seq``, ``epoch`` and the 8 MAC bytes at mac[at:]."""
        self.seq = seq
        self.epoch = epoch
        copy(self.mac, 0, mac, at, wire.MAC_LEN)

    def take(self, other):
        self.set(other.seq, other.epoch, other.mac)

    def sealed(self, seal_seq, mac, at=0):
        """The block ended in a seal at ``seal_seq`` with the MAC at mac[at:]: move past it."""
        self.set(seal_seq + 1, self.epoch + 1, mac, at)
