package cadreen

import "hash/crc32"

// DefaultKeyPrefix is the prefix of every key unless the deployment sets CADREEN_KEY_PREFIX.
const DefaultKeyPrefix = "sk_cadreen_"

const (
	keyRandomLength   = 30
	keyChecksumLength = 6
)

// base62Value is the value of a base62 character (0-9, A-Z, a-z), or -1.
func base62Value(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

// HasValidKeyFormat reports whether key is well-formed for prefix: the prefix, 30 base62 characters and
// 6 base62 characters of the CRC-32 over prefix and body, as the server checks it. A mistyped or forged
// string is refused before any hashing or network call.
func HasValidKeyFormat(key, prefix string) bool {
	checksumStart := len(prefix) + keyRandomLength
	if len(key) != checksumStart+keyChecksumLength || key[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < checksumStart; i++ {
		if base62Value(key[i]) < 0 {
			return false
		}
	}
	var checksum uint64
	for i := checksumStart; i < len(key); i++ {
		digit := base62Value(key[i])
		if digit < 0 {
			return false
		}
		checksum = checksum*62 + uint64(digit)
	}
	return checksum == uint64(crc32.ChecksumIEEE([]byte(key[:checksumStart])))
}
