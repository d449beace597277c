/* rtcgate — certificate fingerprints as SDP carries them (RFC 8122 §5).
 *
 * Shared by the SDP core (which parses a=fingerprint) and the DTLS core (which
 * hashes the peer's certificate and compares). The value is binary; the text
 * form is "sha-256 AB:CD:...".
 */
#ifndef RTCGATE_FINGERPRINT_H
#define RTCGATE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hash functions accepted in a=fingerprint. md5/md2 are refused (RFC 8122 §5:
 * they must not be used); sha-1 is accepted only for old clients. */
enum rg_hash {
  RG_HASH_NONE = 0,
  RG_HASH_SHA1,
  RG_HASH_SHA224,
  RG_HASH_SHA256,
  RG_HASH_SHA384,
  RG_HASH_SHA512,
};

#define RG_FINGERPRINT_MAX 64 /* SHA-512 */
/* "sha-512 " + 64 * "XX:" */
#define RG_FINGERPRINT_STRLEN (8 + RG_FINGERPRINT_MAX * 3 + 1)

struct rg_fingerprint {
  uint8_t hash; /* enum rg_hash */
  uint8_t len;  /* digest length in bytes, fixed by hash */
  uint8_t value[RG_FINGERPRINT_MAX];
};

/* "sha-256" etc., or NULL for RG_HASH_NONE / unknown. */
const char *rg_hash_name(int hash);
/* Case-insensitive name to enum rg_hash; RG_HASH_NONE when unknown. */
int rg_hash_from_name(const char *name, size_t len);
/* Digest length in bytes of a hash, 0 when unknown. */
size_t rg_hash_len(int hash);

/* Parses the hash name and the colon-separated hex ("AB:cd:...", either case).
 * The number of bytes must equal the hash's digest length. */
int rg_fingerprint_parse(struct rg_fingerprint *fp, const char *name, size_t name_len,
                         const char *hex, size_t hex_len);
/* Writes "sha-256 AB:CD:..." (upper-case hex, NUL-terminated); returns the
 * length without the NUL, or a negative rg_err when cap is too small. */
int rg_fingerprint_format(const struct rg_fingerprint *fp, char *buf, size_t cap);
/* Same hash and same bytes; compared in constant time over the value. */
bool rg_fingerprint_equal(const struct rg_fingerprint *a, const struct rg_fingerprint *b);

#endif
