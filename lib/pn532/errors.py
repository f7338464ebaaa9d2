# pn532.errors: the one exception family every PN532 failure ends in.
# SPDX-License-Identifier: MIT
"""``PN532Error`` and its three subclasses; nothing else escapes the driver.

- ``PN532Timeout``: no ACK or no response before the deadline (the command was aborted).
- ``PN532FrameError``: bytes that are not a valid frame for this command (bad DCS after the allowed
  NACK retransmissions, wrong TFI, response code not command + 1, truncated payload).
- ``PN532ChipError``: the chip answered with an error; ``code`` is the status byte (UM0701-02 §7.1
  error table, e.g. 0x01 card timeout, 0x14 MIFARE authentication error) or 0x7F for the
  application-level error frame (§6.2.1.5).
"""


class PN532Error(Exception):
    pass


class PN532Timeout(PN532Error):
    pass


class PN532FrameError(PN532Error):
    pass


class PN532ChipError(PN532Error):
    def __init__(self, code):
        super().__init__(code)
        self.code = code
