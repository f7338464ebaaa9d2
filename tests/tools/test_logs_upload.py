# upload of a pulled log: every reply the collector can send is read; a malformed one refused.
# SPDX-License-Identifier: MIT
import json

import httpx
import pytest

from firmware import wire
from sync.service import remote
from sync.service.scope import OPERATOR
from tests.kit.collector_calls import register
from tests.kit.liveserver import Collector, serve
from tests.kit.technician import cli
from tests.kit.wirekit import PaperTerminal


def _pull_file(tmp_path, term, url, firmware_version):
    """What ``pull`` writes: a day's batch of ``term``, its health saying ``firmware_version``."""
    term.boot()
    term.clock(1_797_000_000 - wire.HOST_EPOCH_OFFSET)
    for n in range(3):
        term.event(wire.TAMPER if n == 0 else wire.READER_FAULT, 1, n)
    body = term.batch({"firmware_version": firmware_version, "clock_quality": 1})
    out = tmp_path / "t.hadir"
    out.write_text(json.dumps({"format": "hadir-pull-1", "terminal_id": term.terminal_id,
                               "collector_url": url, "batches": [body.hex()]}))  # fmt: skip
    return out, body


@pytest.mark.parametrize(("firmware_version", "magic"), [(1, b"HDA1"), (2, b"HDA2")])
def test_every_reply_the_collector_sends_is_read(tmp_path, firmware_version, magic):
    with Collector(tmp_path) as c:
        term = register(c.collector)
        # firmware 2 gets HDA2, here with a command waiting in it (docs/protocol.md, "Reply")
        remote.queue_command(c.collector, "status", terminal=term.terminal_id, scope=OPERATOR)
        out, body = _pull_file(tmp_path, term, c.url, firmware_version)
        r = cli(None, "upload", str(out))
        assert r.exit_code == 0, r.output + r.stderr
        assert "5 catatan baru tersimpan / new records stored" in r.output
        assert " ok " in r.output
        # The same batch again gets the same kind of reply: the one the upload read was this.
        reply = httpx.post(c.url + "/v1/batches", content=body,
                           headers={"content-type": "application/octet-stream"})  # fmt: skip
        assert reply.content[:4] == magic
        assert len(reply.content) == (wire.REPLY2_LEN if magic == b"HDA2" else wire.REPLY_LEN)
        if magic == b"HDA2":
            assert wire.reply_offer(reply.content)[2] == wire.CMD_STATUS


def _answering(data):
    """An ASGI app that answers every request 200 with ``data`` (not a hadir collector)."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")]})  # fmt: skip
        await send({"type": "http.response.body", "body": data})

    return app


@pytest.mark.parametrize(
    "data",
    [
        b"XXXX" + bytes(wire.REPLY_LEN - 4),  # the right length, not a reply
        b"HDA2" + bytes(wire.REPLY_LEN - 4),  # HDA2 is 46 bytes
        b"HDA1" + bytes(wire.REPLY2_LEN - 4),  # HDA1 is 37
        b"<html>ok</html>",
        b"",
    ],
    ids=["wrong-magic", "hda2-too-short", "hda1-too-long", "html", "empty"],
)
def test_a_malformed_reply_is_refused_in_one_line(tmp_path, data):
    term = PaperTerminal(7, b"k" * 32)  # any well-formed batch: the answer is the point
    with serve(_answering(data)) as url:
        out, _ = _pull_file(tmp_path, term, url, 2)
        r = cli(None, "upload", str(out))
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith(
        "hadir: balasan collector tidak sah (the collector's reply is malformed): batch 1:"
    ), r.stderr
    assert r.stderr.count("\n") == 1
