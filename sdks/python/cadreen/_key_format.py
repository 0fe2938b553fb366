"""The key format check the server makes before touching its store, made locally (DESIGN §2)."""

from __future__ import annotations

import re
import zlib

DEFAULT_KEY_PREFIX = "sk_cadreen_"
_RANDOM_LENGTH = 30
_CHECKSUM_LENGTH = 6
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_VALUE = {char: value for value, char in enumerate(_BASE62)}
# The body and checksum: explicit ranges, so only ASCII letters and digits match (\w would take any script's).
_BASE62_RUN = re.compile(f"[0-9A-Za-z]{{{_RANDOM_LENGTH + _CHECKSUM_LENGTH}}}")


def has_valid_key_format(token: str, prefix: str = DEFAULT_KEY_PREFIX) -> bool:
    """Whether ``token`` is ``prefix`` + 30 base62 characters + 6 base62 characters of CRC-32 over the rest.

    A mistyped or forged string fails here, so it never costs a request to the server."""
    checksum_start = len(prefix) + _RANDOM_LENGTH
    if len(token) != checksum_start + _CHECKSUM_LENGTH or not token.startswith(prefix):
        return False
    if _BASE62_RUN.fullmatch(token, len(prefix)) is None:
        return False
    checksum = 0
    for char in token[checksum_start:]:
        checksum = checksum * 62 + _BASE62_VALUE[char]
    # ASCII: the prefix is, and the rest was just matched as base62.
    return checksum == zlib.crc32(token[:checksum_start].encode("ascii", "replace"))
