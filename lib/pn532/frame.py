# pn532.frame: host -> PN532 information frames and the fixed control frames (UM0701-02 §6.2.1).
# SPDX-License-Identifier: MIT
from compat import const

_TFI_HOST = const(0xD4)  # host -> PN532 (§6.2.1.1)

ACK_FRAME = b"\x00\x00\xff\x00\xff\x00"  # §6.2.1.3, also aborts the command in progress
NACK_FRAME = b"\x00\x00\xff\xff\x00\x00"  # §6.2.1.4: "send the last response again"


def build_frame(buf, cmd, params, n):
    """Write a normal information frame (§6.2.1.1) for ``cmd`` + ``params[:n]`` into ``buf``.

    Returns the frame length. ``params`` None: the parameters are already in ``buf[7:]``.
    """
    ln = n + 2  # TFI + command code + parameters
    buf[0] = 0x00
    buf[1] = 0x00
    buf[2] = 0xFF
    buf[3] = ln
    buf[4] = (-ln) & 0xFF
    buf[5] = _TFI_HOST
    buf[6] = cmd
    total = _TFI_HOST + cmd
    for i in range(n):
        b = buf[7 + i] if params is None else params[i]
        buf[7 + i] = b
        total += b
    buf[7 + n] = (-total) & 0xFF
    buf[8 + n] = 0x00
    return n + 9
