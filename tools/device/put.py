# put: device-side snippet; write a file from base64 chunks (1.33 bytes on the wire per byte,
# where a repr of binary .mpy data costs about 3.7).
# SPDX-License-Identifier: MIT
import binascii

_open = {}


def begin(path):
    _open["f"] = open(path, "wb")


def chunk(data):
    _open["f"].write(binascii.a2b_base64(data))


def end():
    _open.pop("f").close()
