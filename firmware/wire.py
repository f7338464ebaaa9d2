# wire: hadir's record, batch, reply and allow-list formats; one module for terminal and collector.
# SPDX-License-Identifier: MIT
"""The wire format of docs/protocol.md, byte for byte.

Runs unchanged on ESP32 MicroPython, the MicroPython WebAssembly port and CPython: it imports
only ``hashlib``, ``struct`` and ``lib/hmac_sha256.py`` (which imports only ``hashlib``; a
CPython program without ``lib/`` on its path gets it appended here), and guards
``micropython.const``. Functions marked *tap path* write into caller buffers and allocate
nothing; the rest (seals, batches, replies) run off it.
"""

import hashlib
import struct

try:
    from hmac_sha256 import hmac_sha256
except ImportError:  # a CPython program (the collector) without lib/, which sits next to firmware/
    import sys

    sys.path.append(__file__.rsplit("/", 2)[0] + "/lib")
    from hmac_sha256 import hmac_sha256

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython

    def const(value):
        return value


SLOT = const(9)
# Kinds (high nibble of byte 0).
VOID = const(0x0)
TAP = const(0x1)
BOOT = const(0x2)
CLOCK = const(0x3)
READER_FAULT = const(0x4)
STORAGE = const(0x5)
TAMPER = const(0x6)
HEARTBEAT = const(0x7)
DENIED = const(0x8)
SEAL = const(0xE)
# Card flags (low nibble of TAP and DENIED).
CARD_ENROLLED = const(1)
CARD_FINGERPRINT_MISMATCH = const(2)
CARD_MAGIC_SUSPECT = const(4)
CARD_RANDOM_UID = const(8)
# Clock quality (low nibble of CLOCK).
CLOCK_UNSET = const(0)
CLOCK_NTP = const(1)
CLOCK_COLLECTOR = const(2)
CLOCK_RTC = const(3)
# STORAGE flags.
STORAGE_WARNING = const(1)
STORAGE_FULL = const(2)
STORAGE_CORRUPT = const(3)
# The log writes STORAGE/1 once its use reaches this (per mille of capacity), and again only
# after it fell below the re-arm level; the health field ``storage_per_mille`` is the same scale.
STORAGE_WARN_PER_MILLE = const(800)
STORAGE_REARM_PER_MILLE = const(750)
# slot_state results.
EMPTY = const(0)
VALID = const(1)
CORRUPT = const(2)

UPTIME_MASK = const(0xFFFFFF)
MAC_LEN = const(8)
REQUEST_MAC_LEN = const(16)
HEADER_LEN = const(50)
HEALTH_LEN = const(24)
MAX_BATCH_SLOTS = const(4096)
# More slots than any terminal's log holds unacknowledged (docs/log.md: 201,592 in the 1.75 MiB
# partition): the collector refuses a batch that starts further ahead of what it has stored.
LOG_MAX_SLOTS = const(262144)
# The largest terminal id: a MicroPython small int on the ESP32 (31-bit signed), so config.json's
# id and every comparison with it stay allocation-free; the collector registers no larger one.
TERMINAL_ID_MAX = const(0x3FFFFFFF)
REPLY_LEN = const(37)
REPLY2_LEN = const(46)  # HDA2: HDA1 + release u32 + command_id u32 + command u8
ALLOW_HEADER = const(16)
ALLOW_ENTRY = const(6)
# Seconds from 1970-01-01 (Unix) to 2000-01-01, the epoch wire time counts from.
HOST_EPOCH_OFFSET = const(946684800)
# Local time of the deployment: Asia/Jakarta, UTC+7 all year (no daylight saving time). The
# terminal's default and the collector's local days (reports, dashboard) both come from here.
UTC_OFFSET_MIN = const(420)
# The settings the collector may change with a signed config blob (docs/protocol.md, Config), with
# the terminal's defaults and the integer ranges firmware/config.py enforces on them.
COLLECTOR_MAY_SET = ("debounce_s", "language", "sync_interval_s", "utc_offset_min",
                     "trial_s", "reader", "wifi_ssid", "collector_url", "ca_pin")  # fmt: skip
# Settings that decide whether the terminal reaches the collector at all: a change to one of
# them (or to the Wi-Fi password, which travels sealed) is applied on trial: a terminal that has
# not synced ``trial_s`` seconds later goes back to its previous settings (docs/protocol.md).
NETWORK_SETTINGS = ("wifi_ssid", "collector_url", "ca_pin", "wifi_password")
# The Wi-Fi password in a config blob: sealed (``seal_secret``), as hex, under this key.
SEALED_PASSWORD = "wifi_password"
CONFIG_DEFAULTS = {"debounce_s": 30, "language": "id", "sync_interval_s": 300,
                   "utc_offset_min": UTC_OFFSET_MIN, "trial_s": 600}  # fmt: skip
# Lists, not tuples: a constant tuple frozen into firmware keeps ints beyond 14 bits as long
# ints (mpy-tool), a list is built at run time from small ints (tests/gates: frozen ints).
CONFIG_INT_LIMITS = [["debounce_s", 0, 3600], ["utc_offset_min", -720, 840],
                     ["sync_interval_s", 10, 86400], ["trial_s", 60, 86400]]  # fmt: skip
LANGUAGES = ("id", "en")
READERS = ("uart", "i2c")
PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
SSID_MAX = const(32)  # IEEE 802.11: an SSID is 0..32 bytes
PASSWORD_MAX = const(63)  # WPA2-PSK passphrase: 8..63 characters ("" = an open network)
# The largest settings JSON a config blob carries: the collector refuses to set more, the terminal
# to parse more (its heap is small). Room for a pinned CA certificate (an RSA-2048 CA in PEM is
# about 1.3 KB) beside the other settings.
CONFIG_MAX_BYTES = const(3072)
# Two clock readings that disagree by more than this many seconds are a clock jump.
CLOCK_JUMP_S = const(2)

REPLY_OK = const(0)
REPLY_GAP = const(1)
REPLY_TAMPER = const(2)
REPLY_DAMAGED = const(3)

_HEALTH_FMT = ">HHHHIIHBbI"
HEALTH_FIELDS = (
    "firmware_version",
    "taps_today",
    "read_errors",
    "reader_recoveries",
    "backlog_slots",
    "oldest_unsynced_s",
    "storage_per_mille",
    "clock_quality",
    "wifi_rssi",
    "boot_counter",
)


class WireError(ValueError):
    """Bytes that do not follow docs/protocol.md; the message says why (for a 400 reply)."""


def _crc8_table():
    table = bytearray(256)
    for i in range(256):
        c = i
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
        table[i] = c
    return bytes(table)


_CRC8 = _crc8_table()


def crc8(buf, start, end):
    """CRC-8, poly 0x07, init 0 over buf[start:end]. Tap path."""
    c = 0
    table = _CRC8
    for i in range(start, end):
        c = table[c ^ buf[i]]
    return c


def pack_slot(buf, off, kind, flags, payload, uptime_ms):
    """Write one 9-byte slot at buf[off]. Tap path.

    ``payload`` is an int, or a 4-byte buffer (a card token) so that tokens of 2**30 and above
    never become heap-allocated long ints on a 32-bit MicroPython.
    """
    buf[off] = (kind << 4) | (flags & 0x0F)
    if isinstance(payload, int):
        buf[off + 1] = (payload >> 24) & 0xFF
        buf[off + 2] = (payload >> 16) & 0xFF
        buf[off + 3] = (payload >> 8) & 0xFF
        buf[off + 4] = payload & 0xFF
    else:
        buf[off + 1] = payload[0]
        buf[off + 2] = payload[1]
        buf[off + 3] = payload[2]
        buf[off + 4] = payload[3]
    buf[off + 5] = (uptime_ms >> 16) & 0xFF
    buf[off + 6] = (uptime_ms >> 8) & 0xFF
    buf[off + 7] = uptime_ms & 0xFF
    buf[off + 8] = crc8(buf, off, off + 8)


def pack_seal(buf, off, mac):
    """Write a SEAL slot carrying the 8-byte ``mac`` at buf[off]."""
    buf[off] = SEAL << 4
    for i in range(MAC_LEN):
        buf[off + 1 + i] = mac[i]


def slot_kind(buf, off):
    return buf[off] >> 4


def slot_state(buf, off):
    """EMPTY (erased, all 0xFF), VALID, or CORRUPT (CRC fails). Tap path.

    A SEAL slot has no CRC: it is VALID unless erased; its MAC is what proves it.
    """
    erased = True
    for i in range(off, off + SLOT):
        if buf[i] != 0xFF:
            erased = False
            break
    if erased:
        return EMPTY
    if buf[off] >> 4 == SEAL:
        return VALID
    return VALID if crc8(buf, off, off + 8) == buf[off + 8] else CORRUPT


def unpack_slot(buf, off):
    """(kind, flags, payload, uptime_ms mod 2**24) of the slot at buf[off]. Off the tap path."""
    b0 = buf[off]
    payload = (buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]
    uptime = (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]
    return b0 >> 4, b0 & 0x0F, payload, uptime


def seal_mac_of(buf, off):
    """The 8 MAC bytes of the SEAL slot at buf[off]."""
    return bytes(buf[off + 1 : off + 1 + MAC_LEN])


# --- cards -------------------------------------------------------------------------------------


def card_token(cipher, identity16, out16):
    """token = AES-128-ECB(card_key, identity16)[0:4] written to out16[0:4]. Tap path.

    ``cipher`` is ``cryptolib.aes(card_key, 1)`` (or ``aes128.aes``), created once.
    """
    cipher.encrypt(identity16, out16)


def identity16(uid):
    """The 16-byte token input for a UID: length, UID zero-padded to 10, five zero bytes."""
    if not 4 <= len(uid) <= 10:
        raise WireError("UID must be 4 to 10 bytes")
    out = bytearray(16)
    out[0] = len(uid)
    out[1 : 1 + len(uid)] = uid
    return bytes(out)


def token_int(buf):
    return (buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]


def fingerprint16(buf, n):
    """CRC-16/CCITT-FALSE over buf[0:n] (uid | atqa | sak | ats). Tap path."""
    c = 0xFFFF
    for i in range(n):
        c ^= buf[i] << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def is_random_uid(uid_len, first_byte):
    """ISO 14443-3 random ID: a 4-byte UID whose first byte is 0x08 (a new UID each selection)."""
    return uid_len == 4 and first_byte == 0x08


# --- keys and MACs -----------------------------------------------------------------------------


def evolve_key(key):
    """K(e+1) = SHA256(b"hadir-evolve" | K(e)): one-way, so a stolen K(e+1) cannot give K(e)."""
    h = hashlib.sha256(b"hadir-evolve")
    h.update(key)
    return h.digest()


def epoch_key(k0, epoch):
    """K(epoch) from K0 (collector side; the terminal only ever holds its current key)."""
    key = k0
    for _ in range(epoch):
        key = evolve_key(key)
    return key


def config_key(k0):
    """Kc: authenticates what the collector sends the terminal. It cannot sign records."""
    return hmac_sha256(k0, b"hadir-config")


def seal_mac(key, terminal_id, epoch, first_seq, count, prev_mac, slots):
    """The 64-bit MAC of a block of ``count`` slots (``slots`` holds count * 9 bytes)."""
    head = struct.pack(">4sIIIH", b"HDS1", terminal_id, epoch, first_seq, count)
    h = hmac_sha256(key, head + bytes(prev_mac) + bytes(slots[: count * SLOT]))
    return h[:MAC_LEN]


def request_mac(key, signed):
    return hmac_sha256(key, b"HDR1" + bytes(signed))[:REQUEST_MAC_LEN]


def _kc_mac(kc, data):
    """The 16-byte MAC of what the collector sends a terminal (reply, allow-list, config)."""
    return hmac_sha256(kc, data)[:REQUEST_MAC_LEN]


# --- batches -----------------------------------------------------------------------------------


def pack_health(values):
    """24 bytes of health counters, from a dict keyed by HEALTH_FIELDS (missing fields are 0)."""
    return struct.pack(_HEALTH_FMT, *[values.get(name, 0) for name in HEALTH_FIELDS])


def unpack_health(buf):
    return dict(zip(HEALTH_FIELDS, struct.unpack(_HEALTH_FMT, bytes(buf))))


def encode_batch(terminal_id, first_seq, epoch, prev_mac, health, slots, key):
    """A batch of whole slots (count = len(slots) // 9), signed with the terminal's current key.

    ``key`` is the key the terminal holds now: K(epoch + number of seals in ``slots``).
    """
    if len(slots) % SLOT:
        raise WireError("slots must be whole 9-byte slots")
    count = len(slots) // SLOT
    if count > MAX_BATCH_SLOTS:
        raise WireError("too many slots for one batch")
    if len(prev_mac) != MAC_LEN or len(health) != HEALTH_LEN:
        raise WireError("prev_mac is 8 bytes and health 24")
    head = struct.pack(">4sIIHI", b"HDB1", terminal_id, first_seq, count, epoch)
    signed = head + bytes(prev_mac) + bytes(health) + bytes(slots)
    return signed + request_mac(key, signed)


class Batch:
    """A decoded batch: header fields, the raw slots and what the request MAC covers."""

    def __init__(self, body):
        if len(body) < HEADER_LEN + REQUEST_MAC_LEN:
            raise WireError("batch shorter than its header")
        magic, tid, first, count, epoch = struct.unpack_from(">4sIIHI", body, 0)
        if magic != b"HDB1":
            raise WireError("not a hadir batch (bad magic)")
        if count > MAX_BATCH_SLOTS:
            raise WireError("too many slots for one batch")
        if len(body) != HEADER_LEN + count * SLOT + REQUEST_MAC_LEN:
            raise WireError("length does not match the slot count")
        self.terminal_id = tid
        self.first_seq = first
        self.count = count
        self.epoch = epoch
        self.prev_mac = bytes(body[18:26])
        self.health = unpack_health(body[26:HEADER_LEN])
        end = HEADER_LEN + count * SLOT
        self.slots = bytes(body[HEADER_LEN:end])
        self.signed = bytes(body[:end])
        self.request_mac = bytes(body[end:])
        if count and slot_kind(self.slots, (count - 1) * SLOT) != SEAL:
            raise WireError("a batch with records must end with a seal")
        self.seals = sum(1 for i in range(count) if slot_kind(self.slots, i * SLOT) == SEAL)

    def blocks(self):
        """(first_seq, count, seal_offset) for each sealed block, in order."""
        start = 0
        out = []
        for i in range(self.count):
            if slot_kind(self.slots, i * SLOT) == SEAL:
                out.append((self.first_seq + start, i - start, i * SLOT))
                start = i + 1
        return out

    def request_mac_ok(self, key):
        """``key`` must be K(epoch + seals): the key the terminal held when it sent the batch."""
        return _equal(request_mac(key, self.signed), self.request_mac)


def decode_batch(body):
    return Batch(body)


def _equal(a, b):
    """Constant-time comparison of two MACs."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


# --- replies -----------------------------------------------------------------------------------


def encode_reply(kc, req_mac, status, acked, server_time, config_version, allowlist_version,
                 offer=None):  # fmt: skip
    """A signed reply: ``HDA1`` when ``offer`` is None, else ``HDA2`` carrying ``offer`` =
    (release, command_id, command) (docs/protocol.md, "Reply")."""
    magic = b"HDA1" if offer is None else b"HDA2"
    body = struct.pack(
        ">4sBIIII", magic, status, acked, server_time, config_version, allowlist_version
    )
    if offer is not None:
        body += struct.pack(">IIB", offer[0], offer[1], offer[2])
    return body + _kc_mac(kc, magic + bytes(req_mac) + body)


def reply_fields(data):
    """(status, acked, server_time, config_version, allowlist_version) of a well-formed reply,
    ``HDA1`` or ``HDA2``, its MAC NOT checked: for who cannot (the technician's upload has no
    Kc); the terminal uses ``decode_reply``."""
    n = len(data)
    magic = bytes(data[:4])
    if not ((n == REPLY_LEN and magic == b"HDA1") or (n == REPLY2_LEN and magic == b"HDA2")):
        raise WireError("not a hadir reply")
    return struct.unpack_from(">BIIII", data, 4)


def decode_reply(kc, req_mac, data):
    """(status, acked, server_time, config_version, allowlist_version) of an authentic reply,
    ``HDA1`` or ``HDA2`` (then ``reply_offer`` reads the rest)."""
    fields = reply_fields(data)
    n = len(data)
    body = bytes(data[: n - REQUEST_MAC_LEN])
    if not _equal(
        _kc_mac(kc, bytes(data[:4]) + bytes(req_mac) + body), data[n - REQUEST_MAC_LEN :]
    ):
        raise WireError("reply MAC does not verify")
    return fields


def reply_offer(data):
    """(release, command_id, command) of a reply ``decode_reply`` accepted; zeros for HDA1."""
    if len(data) != REPLY2_LEN:
        return 0, 0, 0
    return struct.unpack_from(">IIB", data, 21)


# --- remote commands and reports (terminal -> collector) ---------------------------------------

# Command codes of a reply's ``command`` (docs/protocol.md, "Remote commands").
CMD_REBOOT = const(1)
CMD_SELFTEST = const(2)
CMD_STATUS = const(3)
CMD_CLEAR_FAULT = const(4)
CMD_WEAR = const(5)
COMMANDS = ("", "reboot", "selftest", "status", "clear_fault", "wear")
# Results of a report.
RESULT_OK = const(0)
RESULT_FAILED = const(1)
RESULT_UNKNOWN = const(2)  # a command code this firmware does not know
REPORT_HEADER = const(11)
REPORT_MAX = const(2048)  # the report's JSON; the collector refuses a longer one


def report_part(command_id, result, text):
    """``HDP1`` | command_id u32 | result u8 | length u16 | UTF-8 JSON: what a report adds to a
    status request, covered by its request MAC (``encode_report``)."""
    body = bytes(text, "utf-8") if isinstance(text, str) else bytes(text)
    if len(body) > REPORT_MAX:
        raise WireError("report too long")
    return struct.pack(">4sIBH", b"HDP1", command_id, result, len(body)) + body


def encode_report(status_signed, report, key):
    """A report: the status request's signed bytes, its request MAC over them *and* ``report``
    (``report_part``), then the report. ``key`` is the terminal's current key."""
    return bytes(status_signed) + request_mac(key, bytes(status_signed) + report) + report


def decode_report(body):
    """(Batch, (command_id, result, json text)) of a report, the Batch's ``signed`` extended by
    the report so that ``request_mac_ok`` checks both. Raises WireError."""
    n = HEADER_LEN + REQUEST_MAC_LEN
    if len(body) < n + REPORT_HEADER:
        raise WireError("report shorter than its header")
    batch = Batch(body[:n])
    if batch.count:
        raise WireError("a report rides on a status request (count 0)")
    part = bytes(body[n:])
    magic, cid, result, length = struct.unpack_from(">4sIBH", part, 0)
    if magic != b"HDP1" or len(part) != REPORT_HEADER + length or length > REPORT_MAX:
        raise WireError("not a hadir report")
    batch.signed = batch.signed + part
    return batch, (cid, result, str(part[REPORT_HEADER:], "utf-8"))


# --- allow-list --------------------------------------------------------------------------------


def encode_allowlist(entries, version, terminal_id, kc):
    """Signed allow-list from (token u32, fingerprint u16) pairs; entries are sorted by token."""
    items = sorted(entries)
    out = bytearray(struct.pack(">4sIII", b"HDL1", version, terminal_id, len(items)))
    for token, fp in items:
        out += struct.pack(">IH", token, fp)
    return bytes(out) + _kc_mac(kc, out)


def allowlist_head(head):
    """(version, terminal_id, count, end) from the first 16 bytes of an allow-list; its MAC
    starts at ``end``. The terminal reads them from the file, the rest stays on flash."""
    if len(head) < ALLOW_HEADER or head[:4] != b"HDL1":
        raise WireError("not a hadir allow-list")
    version, tid, count = struct.unpack_from(">III", head, 4)
    return version, tid, count, ALLOW_HEADER + count * ALLOW_ENTRY


def allowlist_header(kc, data):
    """(version, terminal_id, count) of an authentic allow-list held in memory."""
    if len(data) < ALLOW_HEADER + REQUEST_MAC_LEN:
        raise WireError("not a hadir allow-list")
    version, tid, count, end = allowlist_head(data)
    if len(data) != end + REQUEST_MAC_LEN:
        raise WireError("allow-list length does not match its count")
    if not _equal(_kc_mac(kc, data[:end]), data[end:]):
        raise WireError("allow-list MAC does not verify")
    return version, tid, count


def allowlist_find(f, count, token, entry):
    """Binary search of an allow-list file for a 4-byte ``token``, reading 6 bytes at a time.

    ``f`` has ``seek`` and ``readinto``; ``entry`` is a 6-byte scratch buffer. Returns the
    enrolled fingerprint (0..65535), or -1 if the token is absent. Tap path: no allocation.
    """
    lo = 0
    hi = count
    while lo < hi:
        mid = (lo + hi) >> 1
        f.seek(ALLOW_HEADER + mid * ALLOW_ENTRY)
        if f.readinto(entry) != ALLOW_ENTRY:
            return -1
        order = 0
        for i in range(4):
            if entry[i] != token[i]:
                order = -1 if entry[i] < token[i] else 1
                break
        if order == 0:
            return (entry[4] << 8) | entry[5]
        if order < 0:
            lo = mid + 1
        else:
            hi = mid
    return -1


# --- terminal config (collector → terminal) ----------------------------------------------------

CONFIG_HEADER = const(14)


def setting_error(name, value):
    """None when ``value`` is a valid setting ``name`` the collector may send, else why not as
    (Bahasa Indonesia, English). The one rule for both: ``firmware.config`` checks a terminal's
    settings with it, the collector a config an admin sets."""
    if name not in COLLECTOR_MAY_SET:
        return ("tidak dapat diatur dari kolektor", "not a setting the collector may change")
    if name == "language":
        if isinstance(value, str) and value in LANGUAGES:
            return None
        return ("harus id atau en", "must be id or en")
    if name == "reader":
        if isinstance(value, str) and value in READERS:
            return None
        return ("harus uart atau i2c", "must be uart or i2c")
    if name == "wifi_ssid":  # "": a terminal without network (its records leave over USB)
        if isinstance(value, str) and len(value.encode()) <= SSID_MAX:
            return None
        return ("harus teks, paling banyak 32 byte", "must be a string of at most 32 bytes")
    if name == "collector_url":
        if isinstance(value, str) and (value[:7] == "http://" or value[:8] == "https://"):
            return None
        return ("harus http:// atau https://", "must start with http:// or https://")
    if name == "ca_pin":
        if (
            value is None
            or isinstance(value, str)
            and (value[:27] == PEM_BEGIN or value[:1] == "/")
        ):
            return None
        return ("sertifikat PEM atau /berkas", "a PEM certificate or a /file")
    for setting, lo, hi in CONFIG_INT_LIMITS:
        if setting == name:
            if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
                return None
            rng = "%d..%d" % (lo, hi)
            return ("harus bilangan bulat " + rng, "must be an integer " + rng)
    return None


def settings_error(settings):
    """(name, why) of the first setting of a complete set that breaks a rule spanning two of
    them, or None: an https collector needs a pinned CA."""
    url = settings.get("collector_url")
    if isinstance(url, str) and url[:8] == "https://" and settings.get("ca_pin") is None:
        return "ca_pin", ("wajib untuk https (sertifikat CA)", "required for https (the CA)")
    return None


def password_error(value):
    """None when ``value`` can be a Wi-Fi password (WPA2-PSK: 8..63 characters; "" for an open
    network), else why not (Bahasa Indonesia, English)."""
    if isinstance(value, str) and (value == "" or 8 <= len(value) <= PASSWORD_MAX):
        return None
    return ("harus 8..63 karakter (atau kosong)", "must be 8..63 characters (or empty)")


def _keystream(kc, version, terminal_id, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hmac_sha256(kc, struct.pack(">4sIIB", b"HDW1", version, terminal_id, i))
        i += 1
    return out


def seal_secret(kc, version, terminal_id, text):
    """A secret setting (the Wi-Fi password) as hex for a config blob: XOR with a keystream
    HMAC(Kc, "HDW1" | version | terminal_id | counter) -- each config version is sealed once, so
    no keystream is used twice for different texts; the blob's MAC authenticates it."""
    raw = bytes(text, "utf-8")
    ks = _keystream(kc, version, terminal_id, len(raw))
    return "".join("%02x" % (raw[i] ^ ks[i]) for i in range(len(raw)))


def open_secret(kc, version, terminal_id, sealed):
    """The text ``seal_secret`` sealed. Raises WireError on bad hex."""
    if not isinstance(sealed, str) or len(sealed) % 2 or len(sealed) > 2 * PASSWORD_MAX:
        raise WireError("sealed setting is not hex of the right length")
    try:
        raw = bytes(int(sealed[i : i + 2], 16) for i in range(0, len(sealed), 2))
    except ValueError:
        raise WireError("sealed setting is not hex") from None
    ks = _keystream(kc, version, terminal_id, len(raw))
    try:
        return str(bytes(raw[i] ^ ks[i] for i in range(len(raw))), "utf-8")
    except UnicodeError:
        raise WireError("sealed setting does not open") from None


def encode_config(kc, version, terminal_id, text):
    """Signed config: ``HDC1`` | version u32 | terminal_id u32 | length u16 | UTF-8 JSON | MAC."""
    body = bytes(text, "utf-8") if isinstance(text, str) else bytes(text)
    if len(body) > 0xFFFF:
        raise WireError("config too long")
    out = struct.pack(">4sIIH", b"HDC1", version, terminal_id, len(body)) + body
    return out + _kc_mac(kc, out)


def decode_config(kc, data):
    """(version, terminal_id, json text) of an authentic config blob."""
    if len(data) < CONFIG_HEADER + REQUEST_MAC_LEN or data[:4] != b"HDC1":
        raise WireError("not a hadir config")
    version, tid, n = struct.unpack_from(">IIH", data, 4)
    end = CONFIG_HEADER + n
    if len(data) != end + REQUEST_MAC_LEN:
        raise WireError("config length does not match its header")
    if n > CONFIG_MAX_BYTES:
        raise WireError("config longer than CONFIG_MAX_BYTES")
    if not _equal(_kc_mac(kc, data[:end]), data[end:]):
        raise WireError("config MAC does not verify")
    return version, tid, str(data[CONFIG_HEADER:end], "utf-8")


# --- code releases (collector -> terminal) -----------------------------------------------------

RELEASE_CHUNK = const(4096)
MANIFEST_HEAD = const(30)
MANIFEST_MAX = const(16384)  # the longest manifest a terminal reads (40 files: about 5 KB)
# What a terminal reports about a release (``POST /v1/release/<id>/report/<state>``).
OTA_REFUSED = const(1)  # a hash or the signature did not verify: nothing staged
OTA_INSTALLED = const(2)  # swapped in and healthy after the reboot
OTA_ROLLED_BACK = const(3)  # the new code failed its health check: the old code is back
# Too few free blocks on the terminal's file system: nothing fetched (or the partial download
# removed), the old code runs; the report carries ``?need=N&free=F`` (littlefs blocks).
OTA_NO_ROOM = const(4)
OTA_STATES = ("", "refused", "installed", "rolled_back", "no_room")


def encode_manifest(release_id, version, files, chunk_size=RELEASE_CHUNK):
    """(unsigned manifest, blob) of a release: ``files`` is a list of (path, bytes); the blob is
    the files' bytes one after the other, fetched in ``chunk_size`` chunks.

    ``HDM1`` | release_id u32 | chunk_size u16 | file count u16 | total u32 | version 14 ASCII,
    then per file: path length u8 | path | size u32 | SHA-256, then the SHA-256 of each chunk.
    ``sign_manifest`` appends the signature."""
    v = bytes(version, "ascii")[:14]
    blob = b"".join(data for _, data in files)
    out = [struct.pack(">4sIHHI", b"HDM1", release_id, chunk_size, len(files), len(blob)),
           v + bytes(14 - len(v))]  # fmt: skip
    for path, data in files:
        p = bytes(path, "utf-8")
        out.append(struct.pack(">B", len(p)) + p + struct.pack(">I", len(data)))
        out.append(hashlib.sha256(data).digest())
    for at in range(0, len(blob), chunk_size):
        out.append(hashlib.sha256(blob[at : at + chunk_size]).digest())
    return b"".join(out), blob


def sign_manifest(unsigned, signature):
    """The manifest as published: unsigned part | signature length u16 | LMS signature."""
    return b"".join((unsigned, struct.pack(">H", len(signature)), signature))


class Manifest:
    """A parsed manifest (not yet verified: ``lms.check(key, m.signed, m.signature)``)."""

    def __init__(self, data):
        n = len(data)
        if n < MANIFEST_HEAD + 2 or n > MANIFEST_MAX or data[:4] != b"HDM1":
            raise WireError("not a hadir release manifest")
        self.release, self.chunk_size, count, self.total = struct.unpack_from(">IHHI", data, 4)
        self.version = str(bytes(data[16:30]).rstrip(b"\x00"), "ascii")
        if not self.chunk_size:
            raise WireError("manifest chunk size is 0")
        files = []
        at = MANIFEST_HEAD
        size_sum = 0
        for _ in range(count):
            if at >= n:
                raise WireError("manifest shorter than its file list")
            plen = data[at]
            path = str(bytes(data[at + 1 : at + 1 + plen]), "utf-8")
            at += 1 + plen
            if at + 36 > n:
                raise WireError("manifest shorter than its file list")
            size = struct.unpack_from(">I", data, at)[0]
            files.append((path, size, at + 4))  # the file's SHA-256 is data[at+4 : at+36]
            size_sum += size
            at += 36
        if size_sum != self.total:
            raise WireError("manifest sizes do not add up")
        self.files = files
        self.chunks = (self.total + self.chunk_size - 1) // self.chunk_size
        self._chunk_at = at
        end = at + 32 * self.chunks
        if end + 2 > n:
            raise WireError("manifest shorter than its chunk list")
        sig_len = struct.unpack_from(">H", data, end)[0]
        if end + 2 + sig_len != n:
            raise WireError("manifest length does not match its signature")
        self.data = data
        self.signed_len = end

    @property
    def signed(self):
        return memoryview(self.data)[: self.signed_len]

    @property
    def signature(self):
        return memoryview(self.data)[self.signed_len + 2 :]

    def file_hash(self, i):
        at = self.files[i][2]
        return self.data[at : at + 32]

    def chunk_hash(self, n):
        at = self._chunk_at + 32 * n
        return self.data[at : at + 32]

    def chunk_len(self, n):
        return min(self.chunk_size, self.total - n * self.chunk_size)


def _lms():
    import lms  # lib/lms.py: loaded only when a release is checked or signed

    return lms


def manifest_ok(public_key, manifest):
    """True when ``manifest`` (a ``Manifest``) carries a valid LMS signature of ``public_key``."""
    return _lms().verify(public_key, manifest.signed, manifest.signature)


def release_key(lms_type, ots_type, ident, seed):
    """(public key, Merkle tree) of a release key (``lib/lms.py``)."""
    m = _lms()
    tree = m.tree(lms_type, ots_type, ident, seed)
    return m.public_key(lms_type, ots_type, ident, tree), tree


def release_signature(lms_type, ots_type, ident, seed, tree, leaf, message, randomizer):
    return _lms().sign(lms_type, ots_type, ident, seed, tree, leaf, message, randomizer)
