# uplink: the terminal's side of the collector protocol: batches, acks, time, config, allow-list.
# SPDX-License-Identifier: MIT
"""``Uplink(terminal, kc)``: the link to the collector. ``await step()`` runs one sync round and
returns one of the results below.

A round never waits for Wi-Fi: when the link is down it asks the radio to connect (with an
exponential backoff between attempts) and returns; the next round finds it up. A terminal whose
``wifi_ssid`` is "" has no network (its records leave over USB): every round is ``NO_WIFI``, an
hour apart, and the radio is never asked. When up:

1. ``log.outgoing(health)`` → ``POST /v1/batches`` (the body read from flash while it is sent)
   → ``wire.decode_reply`` (Kc, bound to the request MAC) → ``log.ack(acked)`` (the log
   reclaims below it); repeated while a backlog is left and the watermark moves, at most
   ``_ROUNDS`` batches a round;
2. the reply's server time goes to the clock (collector quality);
3. newer config / allow-list versions are fetched (``POST /v1/config``, ``/v1/allowlist``, body
   a signed status request), verified with Kc and written atomically; each on its own: a config
   this terminal refuses (``config_refused``; that version is not fetched again) or fails to
   fetch does not keep a new allow-list out; the config's settings go through
   ``firmware.remote`` (validated whole, network changes on trial);
4. a remote command in the reply (``HDA2``) is run once (``firmware.remote``), and the reports
   waiting (command results, settings kept or gone back, flash wear) go out, each a signed
   ``POST /v1/report``; one the collector does not take waits for the next round;
5. a release in the reply goes to ``firmware.ota`` (fetched, checked, staged, swapped).

Every network call is awaited with a timeout, so the reader task keeps running meanwhile. Any
failure (OSError, a non-200 answer, a reply that does not verify) leaves the log untouched.
``delay_ms`` says when the uplink task should call ``step()`` again.
"""

import json

from compat import const, ticks_add, ticks_diff
from firmware import wire

OK = const(0)
NO_WIFI = const(1)  # down, waiting out the backoff
CONNECTING = const(2)  # asked the radio to connect
FAILED = const(3)  # network or collector error: nothing stored, retry with backoff
REJECTED = const(4)  # the collector answered tamper / damaged

_ROUNDS = const(8)
_BATCH_SLOTS = const(256)  # 2.3 KB a batch unless one block is longer (it goes whole)
_TIMEOUT_MS = const(15000)
_WIFI_MIN_MS = const(5000)
_WIFI_MAX_MS = const(600000)
_RETRY_MIN_MS = const(10000)
_RETRY_MAX_MS = const(1800000)
_CONNECT_POLL_MS = const(1000)
_OFFLINE_MS = const(3600000)


class Uplink:
    def __init__(self, terminal, kc):
        self.t = terminal
        self._kc = kc
        self.url = terminal.config["collector_url"].rstrip("/")
        self._wifi_backoff = _WIFI_MIN_MS
        self._wifi_next = terminal.hw.clock.ticks_ms()
        self._retry = _RETRY_MIN_MS
        self.delay_ms = 0
        self.rounds = 0
        self.failures = 0
        self.wifi_errors = 0  # connect() calls the radio refused
        self.rejected = 0
        self.last_ok = None  # ticks of the last successful exchange
        self.last_error = None  # what made the last failed round fail
        self.server_versions = (0, 0)
        self.config_refused = 0  # config versions refused (a value this terminal cannot take)
        self._refused_config = -1
        self.offer = (0, 0, 0)  # (release, command_id, command) of the last reply

    async def step(self):
        t = self.t
        hw = t.hw
        now = hw.clock.ticks_ms()
        if not t.config["wifi_ssid"]:  # offline terminal: records leave over USB (tools pull)
            self.delay_ms = _OFFLINE_MS
            return NO_WIFI
        if not hw.wifi.isconnected():
            if ticks_diff(now, self._wifi_next) < 0:
                self.delay_ms = ticks_diff(self._wifi_next, now)
                return NO_WIFI
            try:
                hw.wifi.connect(t.config["wifi_ssid"], t.wifi_password)
            except OSError as e:  # the radio refused even after a restart: next time
                self.wifi_errors += 1
                self.last_error = e
            self._wifi_next = ticks_add(now, self._wifi_backoff)
            self._wifi_backoff = min(self._wifi_backoff * 2, _WIFI_MAX_MS)
            self.delay_ms = _CONNECT_POLL_MS
            return CONNECTING
        self._wifi_backoff = _WIFI_MIN_MS
        self.rounds += 1
        try:
            result = await self._exchange()
        except (OSError, wire.WireError, ValueError, EOFError) as e:
            self.last_error = e
            self.failures += 1
            self.delay_ms = self._retry
            self._retry = min(self._retry * 2, _RETRY_MAX_MS)
            return FAILED
        self._retry = _RETRY_MIN_MS
        self.delay_ms = t.config["sync_interval_s"] * 1000
        return result

    async def _post(self, path, body):
        status, data = await self.t.hw.http.post(self.url + path, body, _TIMEOUT_MS)
        if status != 200:
            raise OSError(status)
        return data

    async def _exchange(self):
        t = self.t
        log = t.log
        result = OK
        versions = (0, 0)
        offer = (0, 0, 0)
        for _ in range(_ROUNDS):
            # Sent piece by piece, never held whole: a block longer than the batch goes whole
            # (9-37 KB), more than a heap without PSRAM may have in one piece.
            body = log.outgoing(t.health24(), _BATCH_SLOTS)
            reply = await self._post("/v1/batches", body)
            status, acked, server_time, cfg_v, allow_v = wire.decode_reply(
                self._kc, body.mac, reply
            )
            self.last_ok = t.hw.clock.ticks_ms()
            versions = (cfg_v, allow_v)
            offer = wire.reply_offer(reply)
            t.learn_time(server_time, wire.CLOCK_COLLECTOR)
            before = log.acked
            log.ack(acked)
            t.acked()
            if status in (wire.REPLY_TAMPER, wire.REPLY_DAMAGED):
                self.rejected += 1
                result = REJECTED
                break
            if log.backlog == 0 or log.acked <= before:
                break
            body = reply = None  # let the next batch reuse this one's memory
        self.server_versions = versions
        t.remote.synced()
        cfg_v, allow_v = versions
        failure = None  # the config's fetch failed: the allow-list is fetched all the same
        if cfg_v > t.config["config_version"] and cfg_v != self._refused_config:
            try:
                await self._fetch_config()
            except OSError as e:  # the network or the collector: tried again next round
                failure = e
            except ValueError as e:  # a config this terminal refuses (wire.WireError too)
                self._refused_config = cfg_v  # not fetched again until a newer version
                self.config_refused += 1
                self.last_error = e
        if allow_v > t.allow.version or (allow_v and not t.allow.present):
            data = await self._post("/v1/allowlist", log.status_request(t.health24()))
            t.allow.install(data)
        if offer[1]:  # a remote command: run once, its report goes out below
            t.remote.command(offer[1], offer[2])
        self.offer = offer
        await self._send_reports()
        if failure is not None:
            raise failure
        await t.ota.round(self._post, self._status, offer[0])  # a release: firmware/ota.py
        return result

    def _status(self):
        return self.t.log.status_request(self.t.health24())

    async def _send_reports(self):
        """The reports waiting (``firmware.remote``), oldest first, each in its own signed
        request; what the collector answered 200 to is dropped, the rest waits for next time."""
        t = self.t
        remote = t.remote
        sent = 0
        try:
            for cid, result, text in remote.reports:
                part = wire.report_part(cid, result, text)
                await self._post("/v1/report", t.log.signed_report(t.health24(), part))
                sent += 1
        except OSError as e:  # kept for the next round; the batches of this one went through
            self.last_error = e
        if sent:
            remote.sent(sent)

    async def _fetch_config(self):
        t = self.t
        data = await self._post("/v1/config", t.log.status_request(t.health24()))
        version, tid, text = wire.decode_config(self._kc, data)
        if tid != t.config["terminal_id"]:
            raise wire.WireError("config for another terminal")
        changes = json.loads(text)
        if not isinstance(changes, dict):
            raise wire.WireError("config is not a JSON object")
        t.remote.apply(version, changes, self._kc)  # validated whole; network changes on trial
