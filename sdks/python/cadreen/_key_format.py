"""The key format check the server makes before touching its store, made locally (DESIGN §2)."""

from __future__ import annotations

import zlib

DEFAULT_KEY_PREFIX = "sk_cadreen_"
_RANDOM_LENGTH = 30
_CHECKSUM_LENGTH = 6
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_VALUE = {char: value for value, char in enumerate(_BASE62)}


def has_valid_key_format(token: str, prefix: str = DEFAULT_KEY_PREFIX) -> bool:
    """Whether ``token`` is ``prefix`` + 30 base62 characters + 6 base62 characters of CRC-32 over the rest.

    A mistyped or forged string fails here, so it never costs a request to the server."""
    checksum_start = len(prefix) + _RANDOM_LENGTH
    if len(token) != checksum_start + _CHECKSUM_LENGTH or not token.startswith(prefix):
        return False
    values = _BASE62_VALUE
    for char in token[len(prefix) : checksum_start]:
        if char not in values:
            return False
    checksum = 0
    for char in token[checksum_start:]:
        value = values.get(char)
        if value is None:
            return False
        checksum = checksum * 62 + value
    try:
        body = token[:checksum_start].encode("ascii")
    except UnicodeEncodeError:
        return False
    return checksum == zlib.crc32(body)
