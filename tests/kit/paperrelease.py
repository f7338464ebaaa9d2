# paperrelease: a paper collector that also publishes a signed code release (device tests).
# SPDX-License-Identifier: MIT
"""``ReleaseCollector`` is ``PaperCollector`` plus the release routes of docs/protocol.md
("Releases"): its replies offer ``release`` (``HDA2``), it serves the manifest and the
chunks; ``cut_at`` drops the connection (``OSError``) on that chunk request, once, as a link
lost mid-transfer does. ``signed_release`` builds a release with an LMS key; runs on MicroPython.
"""

import lms

from compat import asleep_ms
from firmware import wire
from tests.kit.paperco import PaperCollector

# A small key for tests (32 leaves: quick to make on MicroPython); the collector's is H10/W4.
LMS_TYPE = 5
OTS_TYPE = 3


class ReleaseKey:
    def __init__(self, seed, ident=b"hadir-test-key!!"):
        self.ident = ident
        self.seed = seed
        self.tree = lms.tree(LMS_TYPE, OTS_TYPE, ident, seed)
        self.public = lms.public_key(LMS_TYPE, OTS_TYPE, ident, self.tree)
        self.next = 0

    def sign(self, message):
        sig = lms.sign(LMS_TYPE, OTS_TYPE, self.ident, self.seed, self.tree, self.next, message,
                       bytes(32))  # fmt: skip
        self.next += 1
        return sig


def signed_release(key, release, version, files, chunk_size=wire.RELEASE_CHUNK):
    """(manifest, blob) of ``files`` [(path, bytes)], signed with ``key``."""
    unsigned, blob = wire.encode_manifest(release, version, files, chunk_size)
    return wire.sign_manifest(unsigned, key.sign(unsigned)), blob


class ReleaseCollector(PaperCollector):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.manifest = b""
        self.blob = b""
        self.chunk_size = wire.RELEASE_CHUNK
        self.cut_at = -1  # drop the link on this chunk request (counted in chunk_gets), once
        self.chunk_gets = []
        self.manifest_gets = 0
        self.release_reports = []  # (release, state) of each release report
        self.room_reports = []  # (release, need, free) of each "no room" report
        self.on_chunk = None  # called before each chunk answer (a test taps cards there)

    def publish(self, release, manifest, blob, chunk_size=wire.RELEASE_CHUNK):
        self.release = release
        self.manifest = manifest
        self.blob = blob
        self.chunk_size = chunk_size

    async def _post(self, url, body):
        path = url[url.find("/v1/") :]
        if not path.startswith("/v1/release/"):
            return await super()._post(url, body)  # its replies offer ``release``
        self.posts += 1
        if self.down:
            raise OSError(113)
        await asleep_ms(self.delay_ms)  # the round trip, as for a batch
        b = wire.decode_batch(body)
        if b.terminal_id != self.tid or not self._signed(b) or b.count:
            return 401, b""
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
        parts = path.split("/")
        release = int(parts[3])
        if parts[4] == "report":
            self.release_reports.append((release, int(parts[5])))
            if query:  # need=N&free=F
                need, free = [int(kv.split("=")[1]) for kv in query.split("&")]
                self.room_reports.append((release, need, free))
            return 200, b""
        if release != self.release:
            return 404, b""
        if parts[4] == "manifest":
            self.manifest_gets += 1
            return 200, self.manifest
        n = int(parts[5])
        if len(self.chunk_gets) == self.cut_at:
            self.cut_at = -1
            raise OSError(104)  # ECONNRESET: the link dropped
        self.chunk_gets.append(n)
        if self.on_chunk is not None:
            self.on_chunk(n)
        return 200, self.blob[n * self.chunk_size : (n + 1) * self.chunk_size]
