/* rtcgate — STUN messages (RFC 8489) as ICE uses them (RFC 8445, RFC 7675).
 *
 * The parser reads a datagram in place: the parsed message points into the
 * caller's buffer, which must outlive it. It checks the framing (magic cookie,
 * lengths, 4-byte alignment, attribute bounds, FINGERPRINT last), decodes the
 * attributes ICE needs and records which comprehension-required attributes it
 * does not know. Integrity and fingerprint are checked by separate calls so a
 * caller can tell a corrupted datagram from a forged one.
 *
 * The writer builds a message into a caller buffer; MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are appended last, in that order.
 */
#ifndef RTCGATE_STUN_H
#define RTCGATE_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"

#define RG_STUN_HEADER_LEN 20
#define RG_STUN_MAGIC_COOKIE 0x2112A442u
#define RG_STUN_TID_LEN 12
/* A STUN message over UDP should fit a path MTU; nothing ICE sends comes near
 * this, so a larger datagram is refused before any attribute is read. */
#define RG_STUN_MAX_MESSAGE 2048
/* Bounds the parse work per datagram; ICE checks carry fewer than 10. */
#define RG_STUN_MAX_ATTRS 32
/* RFC 8489 §14.3 says fewer than 509 bytes; RFC 8445 allows 256-char ufrags,
 * and "ufrag:ufrag" of two of them is 513 bytes, so 513 is accepted. */
#define RG_STUN_MAX_USERNAME 513
/* RFC 8489 §14.8/§14.14: fewer than 128 characters, at most 763 bytes. */
#define RG_STUN_MAX_REASON 763
#define RG_STUN_MAX_SOFTWARE 763
/* Unknown comprehension-required types remembered (and listed in a 420). */
#define RG_STUN_MAX_UNKNOWN 8
#define RG_STUN_MI_LEN 20                /* HMAC-SHA1 */
#define RG_STUN_MI256_LEN 32             /* HMAC-SHA256, untruncated */
#define RG_STUN_MI256_MIN_LEN 16         /* RFC 8489 §14.6 truncation floor */
#define RG_STUN_FINGERPRINT_XOR 0x5354554Eu
#define RG_STUN_LONG_TERM_KEY_LEN 16     /* MD5(username:realm:password) */

enum rg_stun_class {
  RG_STUN_REQUEST = 0,
  RG_STUN_INDICATION = 1,
  RG_STUN_SUCCESS = 2,
  RG_STUN_ERROR = 3,
};

#define RG_STUN_METHOD_BINDING 0x001

/* Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). */
enum rg_stun_attr_type {
  RG_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  RG_STUN_ATTR_USERNAME = 0x0006,
  RG_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  RG_STUN_ATTR_ERROR_CODE = 0x0009,
  RG_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  RG_STUN_ATTR_REALM = 0x0014,
  RG_STUN_ATTR_NONCE = 0x0015,
  RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  RG_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  RG_STUN_ATTR_PRIORITY = 0x0024,
  RG_STUN_ATTR_USE_CANDIDATE = 0x0025,
  RG_STUN_ATTR_SOFTWARE = 0x8022,
  RG_STUN_ATTR_FINGERPRINT = 0x8028,
  RG_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  RG_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* Error codes used here (RFC 8489 §14.8, RFC 8445 §16.2). */
#define RG_STUN_ERR_BAD_REQUEST 400
#define RG_STUN_ERR_UNAUTHORIZED 401
#define RG_STUN_ERR_UNKNOWN_ATTRIBUTE 420
#define RG_STUN_ERR_ROLE_CONFLICT 487

/* One attribute as found on the wire: value at msg->data + offset. */
struct rg_stun_attr {
  uint16_t type;
  uint16_t len;     /* value length without padding */
  uint16_t offset;  /* of the value, from the start of the message */
};

struct rg_stun_bytes {
  const uint8_t *ptr; /* NULL when absent */
  size_t len;
};

struct rg_stun_msg {
  const uint8_t *data; /* the whole message, header included */
  size_t len;
  uint16_t method;
  uint8_t cls;         /* enum rg_stun_class */
  uint8_t tid[RG_STUN_TID_LEN];

  /* Attributes that count: those after MESSAGE-INTEGRITY (other than
   * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT) are not listed (RFC 8489 §9). */
  size_t nattrs;
  struct rg_stun_attr attrs[RG_STUN_MAX_ATTRS];
  int mi_index;        /* index in attrs or -1 */
  int mi256_index;
  int fingerprint_index;

  /* Unknown comprehension-required types (0x0000-0x7FFF), first ones only. */
  size_t nunknown;
  uint16_t unknown[RG_STUN_MAX_UNKNOWN];

  /* Decoded attributes. */
  struct rg_stun_bytes username;
  struct rg_stun_bytes software;
  struct rg_stun_bytes realm;
  struct rg_stun_bytes nonce;
  bool has_xor_mapped, has_mapped, has_priority, use_candidate;
  bool has_ice_controlling, has_ice_controlled, has_error;
  struct rg_addr xor_mapped;
  struct rg_addr mapped;
  uint32_t priority;
  uint64_t ice_controlling;  /* tie-breaker values */
  uint64_t ice_controlled;
  uint16_t error_code;       /* class * 100 + number, 300..699 */
  struct rg_stun_bytes error_reason;
  size_t nunknown_listed;    /* from an UNKNOWN-ATTRIBUTES attribute */
  uint16_t unknown_listed[RG_STUN_MAX_UNKNOWN];
};

/* True when data could be a STUN message (first two bits zero, length a
 * multiple of 4 that matches, magic cookie): the demultiplexer's test. */
bool rg_stun_looks_like(const uint8_t *data, size_t len);

/* Parses and decodes. Errors: RG_ERR_MALFORMED (framing, cookie, bad lengths,
 * attribute overflow, bad attribute value, anything after FINGERPRINT),
 * RG_ERR_TOO_LARGE (message or attribute count over the bounds). */
int rg_stun_parse(struct rg_stun_msg *msg, const uint8_t *data, size_t len);

/* Finds the first counted attribute of a type; RG_ERR_NOT_FOUND if none. */
int rg_stun_find(const struct rg_stun_msg *msg, uint16_t type, const uint8_t **value, size_t *len);

/* FINGERPRINT check: 0, RG_ERR_NOT_FOUND (absent) or RG_ERR_MALFORMED (wrong
 * CRC: the datagram is not STUN or was corrupted). */
int rg_stun_check_fingerprint(const struct rg_stun_msg *msg);

/* Integrity check with key (short-term: the password; long-term: see below).
 * MESSAGE-INTEGRITY-SHA256 is checked when present, else MESSAGE-INTEGRITY.
 * Tags are compared in constant time. 0, RG_ERR_NOT_FOUND (no integrity
 * attribute), RG_ERR_AUTH (mismatch), RG_ERR_CRYPTO. */
int rg_stun_check_integrity(const struct rg_stun_msg *msg, const uint8_t *key, size_t key_len);

/* Long-term key MD5(username ":" realm ":" password) (RFC 8489 §9.2.2), with
 * inputs already processed by OpaqueString/SASLprep: the caller's job. */
int rg_stun_long_term_key(uint8_t key[RG_STUN_LONG_TERM_KEY_LEN], const uint8_t *user, size_t user_len,
                          const uint8_t *realm, size_t realm_len, const uint8_t *pass, size_t pass_len);

/* CRC-32 (ISO-HDLC) over data, as FINGERPRINT uses before its xor. */
uint32_t rg_stun_crc32(const uint8_t *data, size_t len);

/* ---- writer ---- */

/* A message under construction. Errors are sticky: after the first failing
 * call every later call returns the same error and writes nothing. */
struct rg_stun_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
  uint8_t pad;  /* padding byte (0 by default; RFC 5769's vectors use 0x20) */
};

int rg_stun_writer_init(struct rg_stun_writer *w, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
                        const uint8_t tid[RG_STUN_TID_LEN]);
int rg_stun_write_attr(struct rg_stun_writer *w, uint16_t type, const void *value, size_t len);
int rg_stun_write_u32(struct rg_stun_writer *w, uint16_t type, uint32_t value);
int rg_stun_write_u64(struct rg_stun_writer *w, uint16_t type, uint64_t value);
int rg_stun_write_xor_addr(struct rg_stun_writer *w, uint16_t type, const struct rg_addr *addr);
/* code 300..699; reason is UTF-8 of at most RG_STUN_MAX_REASON bytes. */
int rg_stun_write_error_code(struct rg_stun_writer *w, uint16_t code, const char *reason, size_t reason_len);
int rg_stun_write_unknown_attrs(struct rg_stun_writer *w, const uint16_t *types, size_t n);
int rg_stun_write_integrity(struct rg_stun_writer *w, const uint8_t *key, size_t key_len);
/* tag_len: 16..32, a multiple of 4 (RFC 8489 §14.6). */
int rg_stun_write_integrity_sha256(struct rg_stun_writer *w, const uint8_t *key, size_t key_len, size_t tag_len);
int rg_stun_write_fingerprint(struct rg_stun_writer *w);
/* The finished length, or the first error. */
int rg_stun_writer_finish(const struct rg_stun_writer *w, size_t *len);

#endif
