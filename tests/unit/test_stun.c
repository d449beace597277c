/* Pins the STUN codec (RFC 8489) on the RFC 5769 test vectors and on one
 * corruption at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/stun.h"

/* ---- RFC 5769 §2 test vectors, verbatim (hex dumps as printed there). ---- */

/* RFC 5769 §2.1 Sample Request. Password "VOkJxbRl1RmTxUk/WvJxBt"; the
 * USERNAME padding is three spaces (0x20), which the HMAC covers. */
static const char rfc5769_2_1[] =
  "00 01 00 58"  /* Request type and message length */
  "21 12 a4 42"  /* Magic cookie */
  "b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"  /* Transaction ID */
  "80 22 00 10"  /* SOFTWARE attribute header */
  "53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
  "00 24 00 04"  /* PRIORITY attribute header */
  "6e 00 01 ff"
  "80 29 00 08"  /* ICE-CONTROLLED attribute header */
  "93 2f f9 b1 51 26 3b 36"
  "00 06 00 09"  /* USERNAME attribute header */
  "65 76 74 6a 3a 68 36 76 59 20 20 20"
  "00 08 00 14"  /* MESSAGE-INTEGRITY attribute header */
  "9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
  "80 28 00 04"  /* FINGERPRINT attribute header */
  "e5 7a 3b cf";

/* RFC 5769 §2.2 Sample IPv4 Response: 192.0.2.1 port 32853, same password. */
static const char rfc5769_2_2[] =
  "01 01 00 3c"  /* Response type and message length */
  "21 12 a4 42"
  "b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
  "80 22 00 0b"  /* SOFTWARE attribute header */
  "74 65 73 74 20 76 65 63 74 6f 72 20"
  "00 20 00 08"  /* XOR-MAPPED-ADDRESS attribute header */
  "00 01 a1 47 e1 12 a6 43"
  "00 08 00 14"  /* MESSAGE-INTEGRITY attribute header */
  "2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
  "80 28 00 04"  /* FINGERPRINT attribute header */
  "c0 7d 4c 96";

/* RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677
 * port 32853, same password. */
static const char rfc5769_2_3[] =
  "01 01 00 48"
  "21 12 a4 42"
  "b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
  "80 22 00 0b"  /* SOFTWARE attribute header */
  "74 65 73 74 20 76 65 63 74 6f 72 20"
  "00 20 00 14"  /* XOR-MAPPED-ADDRESS attribute header */
  "00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
  "00 08 00 14"  /* MESSAGE-INTEGRITY attribute header */
  "a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
  "80 28 00 04"  /* FINGERPRINT attribute header */
  "c8 fb 0b 4c";

/* RFC 5769 §2.4 Sample Request with Long-Term Authentication. Username
 * U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9, password "TheMatrIX" (after
 * SASLprep), nonce "f//499k954d6OL34oL9FSTvy64sA", realm "example.org". */
static const char rfc5769_2_4[] =
  "00 01 00 60"
  "21 12 a4 42"
  "78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
  "00 06 00 12"  /* USERNAME attribute header */
  "e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
  "00 15 00 1c"  /* NONCE attribute header */
  "66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41"
  "00 14 00 0b"  /* REALM attribute header */
  "65 78 61 6d 70 6c 65 2e 6f 72 67 00"
  "00 08 00 14"  /* MESSAGE-INTEGRITY attribute header */
  "f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

static const char short_term_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t lt_user[] = {0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa,
                                  0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9};

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
  size_t n = 0;
  int hi = -1;
  for (; *s; s++) {
    int v;
    if (*s >= '0' && *s <= '9')
      v = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      v = *s - 'a' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      assert_true(n < cap);
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  return n;
}

static const uint8_t *pwd(void) { return (const uint8_t *)short_term_pwd; }
static size_t pwd_len(void) { return strlen(short_term_pwd); }

/* ---- vectors parse and verify ---- */

static void rfc5769_sample_request_parses_and_verifies(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_1);
  struct rg_stun_msg m;
  assert_int_equal(n, 108);
  assert_true(rg_stun_looks_like(b, n));
  assert_int_equal(rg_stun_parse(&m, b, n), RG_OK);
  assert_int_equal(m.method, RG_STUN_METHOD_BINDING);
  assert_int_equal(m.cls, RG_STUN_REQUEST);
  assert_memory_equal(m.tid, b + 8, 12);
  assert_int_equal(m.software.len, 16);
  assert_memory_equal(m.software.ptr, "STUN test client", 16);
  assert_true(m.has_priority);
  assert_int_equal(m.priority, 0x6e0001ff);
  assert_true(m.has_ice_controlled);
  assert_false(m.has_ice_controlling);
  assert_true(m.ice_controlled == 0x932ff9b151263b36ull);
  assert_int_equal(m.username.len, 9);
  assert_memory_equal(m.username.ptr, "evtj:h6vY", 9);
  assert_int_equal(m.nunknown, 0);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
}

static void rfc5769_ipv4_response_parses_and_verifies(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_2);
  struct rg_stun_msg m;
  assert_int_equal(rg_stun_parse(&m, b, n), RG_OK);
  assert_int_equal(m.cls, RG_STUN_SUCCESS);
  assert_int_equal(m.method, RG_STUN_METHOD_BINDING);
  assert_memory_equal(m.software.ptr, "test vector", 11);
  assert_int_equal(m.software.len, 11);
  assert_true(m.has_xor_mapped);
  assert_int_equal(m.xor_mapped.family, RG_AF_INET4);
  assert_int_equal(m.xor_mapped.port, 32853);
  static const uint8_t ip[4] = {192, 0, 2, 1};
  assert_memory_equal(m.xor_mapped.ip, ip, 4);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
}

static void rfc5769_ipv6_response_parses_and_verifies(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_3);
  struct rg_stun_msg m;
  assert_int_equal(rg_stun_parse(&m, b, n), RG_OK);
  assert_true(m.has_xor_mapped);
  assert_int_equal(m.xor_mapped.family, RG_AF_INET6);
  assert_int_equal(m.xor_mapped.port, 32853);
  static const uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  assert_memory_equal(m.xor_mapped.ip, ip, 16);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
}

static void rfc5769_long_term_request_verifies_with_md5_key(void **state)
{
  uint8_t b[256], key[RG_STUN_LONG_TERM_KEY_LEN];
  size_t n = unhex(b, sizeof b, rfc5769_2_4);
  struct rg_stun_msg m;
  assert_int_equal(rg_stun_parse(&m, b, n), RG_OK);
  assert_int_equal(m.username.len, sizeof lt_user);
  assert_memory_equal(m.username.ptr, lt_user, sizeof lt_user);
  assert_int_equal(m.realm.len, 11);
  assert_memory_equal(m.realm.ptr, "example.org", 11);
  assert_int_equal(m.nonce.len, 28);
  assert_memory_equal(m.nonce.ptr, "f//499k954d6OL34oL9FSTvy64sA", 28);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_ERR_NOT_FOUND);
  assert_int_equal(rg_stun_long_term_key(key, lt_user, sizeof lt_user, (const uint8_t *)"example.org", 11,
                                         (const uint8_t *)"TheMatrIX", 9),
                   RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, key, sizeof key), RG_OK);
  /* The password alone (short-term use of the key) must not verify. */
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)"TheMatrIX", 9), RG_ERR_AUTH);
}

/* ---- vectors rebuilt byte for byte ---- */

static void rfc5769_sample_request_rebuilds_byte_exact(void **state)
{
  uint8_t want[256], out[256];
  size_t n = unhex(want, sizeof want, rfc5769_2_1), len = 0;
  struct rg_stun_writer w;
  assert_int_equal(rg_stun_writer_init(&w, out, sizeof out, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, want + 8),
                   RG_OK);
  w.pad = 0x20; /* the vector pads with spaces */
  rg_stun_write_attr(&w, RG_STUN_ATTR_SOFTWARE, "STUN test client", 16);
  rg_stun_write_u32(&w, RG_STUN_ATTR_PRIORITY, 0x6e0001ff);
  rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, "evtj:h6vY", 9);
  rg_stun_write_integrity(&w, pwd(), pwd_len());
  rg_stun_write_fingerprint(&w);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
}

static void rebuild_response(const char *vector, const struct rg_addr *mapped)
{
  uint8_t want[256], out[256];
  size_t n = unhex(want, sizeof want, vector), len = 0;
  struct rg_stun_writer w;
  rg_stun_writer_init(&w, out, sizeof out, RG_STUN_METHOD_BINDING, RG_STUN_SUCCESS, want + 8);
  w.pad = 0x20;
  rg_stun_write_attr(&w, RG_STUN_ATTR_SOFTWARE, "test vector", 11);
  rg_stun_write_xor_addr(&w, RG_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  rg_stun_write_integrity(&w, pwd(), pwd_len());
  rg_stun_write_fingerprint(&w);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
}

static void rfc5769_responses_rebuild_byte_exact(void **state)
{
  struct rg_addr a4 = {.family = RG_AF_INET4, .port = 32853, .ip = {192, 0, 2, 1}};
  struct rg_addr a6 = {.family = RG_AF_INET6,
                       .port = 32853,
                       .ip = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                              0x66, 0x77}};
  rebuild_response(rfc5769_2_2, &a4);
  rebuild_response(rfc5769_2_3, &a6);
}

static void rfc5769_long_term_request_rebuilds_byte_exact(void **state)
{
  uint8_t want[256], out[256], key[RG_STUN_LONG_TERM_KEY_LEN];
  size_t n = unhex(want, sizeof want, rfc5769_2_4), len = 0;
  struct rg_stun_writer w;
  rg_stun_long_term_key(key, lt_user, sizeof lt_user, (const uint8_t *)"example.org", 11,
                        (const uint8_t *)"TheMatrIX", 9);
  rg_stun_writer_init(&w, out, sizeof out, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, want + 8);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, lt_user, sizeof lt_user);
  rg_stun_write_attr(&w, RG_STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA", 28);
  rg_stun_write_attr(&w, RG_STUN_ATTR_REALM, "example.org", 11);
  rg_stun_write_integrity(&w, key, sizeof key);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
}

/* ---- one corruption at a time ---- */

static int parse_hex_with(const char *vector, size_t at, uint8_t xor_mask, size_t cut, struct rg_stun_msg *m,
                          uint8_t *b)
{
  size_t n = unhex(b, 256, vector);
  if (at < n)
    b[at] ^= xor_mask;
  return rg_stun_parse(m, b, n - cut);
}

static void parse_rejects_framing_errors(void **state)
{
  uint8_t b[256];
  struct rg_stun_msg m;
  m.len = 12345;
  assert_int_equal(parse_hex_with(rfc5769_2_1, 0, 0, 1, &m, b), RG_ERR_MALFORMED);  /* short by one */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 0, 0, 4, &m, b), RG_ERR_MALFORMED);  /* length field lies */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 4, 0x01, 0, &m, b), RG_ERR_MALFORMED); /* magic cookie */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 0, 0x80, 0, &m, b), RG_ERR_MALFORMED); /* first bits */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 3, 0x02, 0, &m, b), RG_ERR_MALFORMED); /* length % 4 */
  assert_int_equal(rg_stun_parse(&m, b, 19), RG_ERR_MALFORMED);
  assert_int_equal(m.len, 12345); /* untouched on failure */
}

static void parse_rejects_attribute_overflowing_message(void **state)
{
  uint8_t b[256];
  struct rg_stun_msg m;
  /* USERNAME header is at offset 60; its length 9 -> 0x49 runs past the end. */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 63, 0x40, 0, &m, b), RG_ERR_MALFORMED);
}

static void parse_rejects_attribute_after_fingerprint(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_1);
  /* Append SOFTWARE (empty) after FINGERPRINT and fix the length. */
  b[n] = 0x80, b[n + 1] = 0x22, b[n + 2] = 0, b[n + 3] = 0;
  n += 4;
  b[3] = (uint8_t)(n - 20);
  struct rg_stun_msg m;
  assert_int_equal(rg_stun_parse(&m, b, n), RG_ERR_MALFORMED);
}

static void parse_bounds_attribute_count_and_size(void **state)
{
  uint8_t b[RG_STUN_MAX_MESSAGE + 4];
  uint8_t tid[12] = {1};
  struct rg_stun_writer w;
  struct rg_stun_msg m;
  size_t len = 0;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_INDICATION, tid);
  for (int i = 0; i < RG_STUN_MAX_ATTRS + 1; i++)
    rg_stun_write_attr(&w, 0x8030, NULL, 0);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(rg_stun_parse(&m, b, len), RG_ERR_TOO_LARGE);
  assert_int_equal(rg_stun_parse(&m, b, len - 4 * 2), RG_ERR_MALFORMED); /* length field disagrees */
  memset(b, 0, sizeof b);
  assert_int_equal(rg_stun_parse(&m, b, RG_STUN_MAX_MESSAGE + 4), RG_ERR_TOO_LARGE);
}

static void fingerprint_corruption_is_detected(void **state)
{
  uint8_t b[256];
  struct rg_stun_msg m;
  assert_int_equal(parse_hex_with(rfc5769_2_1, 107, 0x01, 0, &m, b), RG_OK);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_ERR_MALFORMED);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK); /* MI does not cover FP */
}

static void integrity_rejects_changed_body_tag_or_password(void **state)
{
  uint8_t b[256];
  struct rg_stun_msg m;
  /* A byte of SOFTWARE changed: both checks fail. */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 25, 0x01, 0, &m, b), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_ERR_AUTH);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_ERR_MALFORMED);
  /* The last tag byte changed. */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 99, 0x80, 0, &m, b), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_ERR_AUTH);
  /* Wrong password. */
  assert_int_equal(parse_hex_with(rfc5769_2_1, 0, 0, 0, &m, b), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", 22), RG_ERR_AUTH);
  /* No integrity attribute at all. */
  struct rg_stun_writer w;
  size_t len;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, m.tid);
  rg_stun_write_fingerprint(&w);
  rg_stun_writer_finish(&w, &len);
  assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_ERR_NOT_FOUND);
}

static void attributes_after_integrity_are_ignored(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_1) - 8; /* drop FINGERPRINT */
  /* Append an unknown comprehension-required attribute and a PRIORITY. */
  static const uint8_t extra[] = {0x00, 0x33, 0x00, 0x04, 1, 2, 3, 4, 0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1};
  memcpy(b + n, extra, sizeof extra);
  n += sizeof extra;
  b[3] = (uint8_t)(n - 20);
  struct rg_stun_msg m;
  assert_int_equal(rg_stun_parse(&m, b, n), RG_OK);
  assert_int_equal(m.nunknown, 0);
  assert_int_equal(m.priority, 0x6e0001ff);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
}

static void unknown_comprehension_required_attributes_are_listed(void **state)
{
  uint8_t b[256], tid[12] = {9};
  struct rg_stun_writer w;
  struct rg_stun_msg m;
  size_t len;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  rg_stun_write_u32(&w, 0x7FF0, 1);
  rg_stun_write_u32(&w, 0xC001, 2); /* comprehension-optional: ignored */
  rg_stun_write_u32(&w, 0x0000, 3);
  rg_stun_write_fingerprint(&w);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
  assert_int_equal(m.nunknown, 2);
  assert_int_equal(m.unknown[0], 0x7FF0);
  assert_int_equal(m.unknown[1], 0x0000);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
}

static int parse_one_attr(uint16_t type, const uint8_t *v, size_t vlen, struct rg_stun_msg *m)
{
  static uint8_t b[1024];
  uint8_t tid[12] = {7};
  struct rg_stun_writer w;
  size_t len = 0;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_SUCCESS, tid);
  rg_stun_write_attr(&w, type, v, vlen);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  return rg_stun_parse(m, b, len);
}

static void parse_rejects_badly_shaped_known_attributes(void **state)
{
  struct rg_stun_msg m;
  uint8_t v[600];
  memset(v, 'a', sizeof v);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_PRIORITY, v, 3, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_USE_CANDIDATE, v, 4, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_ICE_CONTROLLING, v, 4, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_MESSAGE_INTEGRITY, v, 19, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, v, 12, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, v, 18, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_FINGERPRINT, v, 8, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_USERNAME, v, RG_STUN_MAX_USERNAME + 1, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_USERNAME, v, RG_STUN_MAX_USERNAME, &m), RG_OK);
  assert_int_equal(m.username.len, RG_STUN_MAX_USERNAME);
  static const uint8_t bad_family[8] = {0, 3, 0, 1, 1, 2, 3, 4};
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_XOR_MAPPED_ADDRESS, bad_family, 8, &m), RG_ERR_MALFORMED);
  static const uint8_t short_v6[8] = {0, 2, 0, 1, 1, 2, 3, 4};
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_MAPPED_ADDRESS, short_v6, 8, &m), RG_ERR_MALFORMED);
  static const uint8_t bad_class[4] = {0, 0, 7, 1};
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_ERROR_CODE, bad_class, 4, &m), RG_ERR_MALFORMED);
  static const uint8_t bad_number[4] = {0, 0, 4, 100};
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_ERROR_CODE, bad_number, 4, &m), RG_ERR_MALFORMED);
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_UNKNOWN_ATTRIBUTES, v, 3, &m), RG_ERR_MALFORMED);
}

static void mapped_address_parses_plain(void **state)
{
  struct rg_stun_msg m;
  static const uint8_t v4[8] = {0, 1, 0x13, 0x88, 10, 1, 2, 3};
  assert_int_equal(parse_one_attr(RG_STUN_ATTR_MAPPED_ADDRESS, v4, 8, &m), RG_OK);
  assert_true(m.has_mapped);
  assert_false(m.has_xor_mapped);
  assert_int_equal(m.mapped.port, 5000);
  assert_int_equal(m.mapped.ip[0], 10);
  assert_int_equal(m.mapped.ip[3], 3);
}

static void error_response_roundtrips_code_reason_and_unknowns(void **state)
{
  uint8_t b[256], tid[12] = {3, 4};
  uint16_t types[2] = {0x7FF0, 0x0031};
  struct rg_stun_writer w;
  struct rg_stun_msg m;
  size_t len;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_ERROR, tid);
  rg_stun_write_error_code(&w, 420, "Unknown Attribute", 17);
  rg_stun_write_unknown_attrs(&w, types, 2);
  rg_stun_write_fingerprint(&w);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(b[0], 0x01);
  assert_int_equal(b[1], 0x11); /* binding error response type 0x0111 */
  assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
  assert_int_equal(m.cls, RG_STUN_ERROR);
  assert_true(m.has_error);
  assert_int_equal(m.error_code, 420);
  assert_int_equal(m.error_reason.len, 17);
  assert_memory_equal(m.error_reason.ptr, "Unknown Attribute", 17);
  assert_int_equal(m.nunknown_listed, 2);
  assert_int_equal(m.unknown_listed[0], 0x7FF0);
  assert_int_equal(m.unknown_listed[1], 0x0031);
  assert_int_equal(m.nunknown, 0);
  assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
}

static void integrity_sha256_full_and_truncated_verify(void **state)
{
  uint8_t b[256], tid[12] = {5};
  struct rg_stun_writer w;
  struct rg_stun_msg m;
  size_t len;
  for (size_t tag = 16; tag <= 32; tag += 16) {
    rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
    rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, "a:b", 3);
    rg_stun_write_integrity_sha256(&w, pwd(), pwd_len(), tag);
    rg_stun_write_fingerprint(&w);
    assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
    assert_int_equal(len, 20 + 8 + 4 + tag + 8);
    assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
    assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
    b[20 + 8 + 4 + tag - 1] ^= 1; /* last tag byte */
    assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
    assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_ERR_AUTH);
  }
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  assert_int_equal(rg_stun_write_integrity_sha256(&w, pwd(), pwd_len(), 18), RG_ERR_INVAL);
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  assert_int_equal(rg_stun_write_integrity_sha256(&w, pwd(), pwd_len(), 12), RG_ERR_INVAL);
}

static void integrity_sha256_is_preferred_over_sha1(void **state)
{
  uint8_t b[256], tid[12] = {6};
  struct rg_stun_writer w;
  struct rg_stun_msg m;
  size_t len;
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  rg_stun_write_integrity(&w, (const uint8_t *)"other", 5);
  rg_stun_write_integrity_sha256(&w, pwd(), pwd_len(), 32);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  assert_int_equal(rg_stun_parse(&m, b, len), RG_OK);
  assert_true(m.mi_index >= 0 && m.mi256_index > m.mi_index);
  assert_int_equal(rg_stun_check_integrity(&m, pwd(), pwd_len()), RG_OK);
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)"other", 5), RG_ERR_AUTH);
}

static void writer_errors_are_sticky_and_bounded(void **state)
{
  uint8_t b[32], tid[12] = {0};
  struct rg_stun_writer w;
  size_t len = 99;
  assert_int_equal(rg_stun_writer_init(&w, b, 10, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid), RG_ERR_BUFFER);
  assert_int_equal(rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid), RG_OK);
  assert_int_equal(rg_stun_write_attr(&w, RG_STUN_ATTR_SOFTWARE, "12345678", 8), RG_OK);
  assert_int_equal(rg_stun_write_fingerprint(&w), RG_ERR_BUFFER); /* 20 + 12 = 32: full */
  assert_int_equal(rg_stun_write_u32(&w, RG_STUN_ATTR_PRIORITY, 1), RG_ERR_BUFFER);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_ERR_BUFFER);
  assert_int_equal(len, 99);
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  assert_int_equal(rg_stun_write_error_code(&w, 200, "x", 1), RG_ERR_INVAL);
  struct rg_addr none = {0};
  rg_stun_writer_init(&w, b, sizeof b, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  assert_int_equal(rg_stun_write_xor_addr(&w, RG_STUN_ATTR_XOR_MAPPED_ADDRESS, &none), RG_ERR_INVAL);
}

static void looks_like_separates_stun_from_media(void **state)
{
  uint8_t b[256];
  size_t n = unhex(b, sizeof b, rfc5769_2_2);
  assert_true(rg_stun_looks_like(b, n));
  assert_false(rg_stun_looks_like(b, n - 4));
  b[0] = 0x80; /* RTP */
  assert_false(rg_stun_looks_like(b, n));
  b[0] = 0x16; /* DTLS handshake: cookie test fails */
  b[4] = 0;
  assert_false(rg_stun_looks_like(b, n));
}

static void crc32_matches_the_check_value(void **state)
{
  /* The standard CRC-32 check value for "123456789". */
  assert_int_equal(rg_stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rfc5769_sample_request_parses_and_verifies),
    cmocka_unit_test(rfc5769_ipv4_response_parses_and_verifies),
    cmocka_unit_test(rfc5769_ipv6_response_parses_and_verifies),
    cmocka_unit_test(rfc5769_long_term_request_verifies_with_md5_key),
    cmocka_unit_test(rfc5769_sample_request_rebuilds_byte_exact),
    cmocka_unit_test(rfc5769_responses_rebuild_byte_exact),
    cmocka_unit_test(rfc5769_long_term_request_rebuilds_byte_exact),
    cmocka_unit_test(parse_rejects_framing_errors),
    cmocka_unit_test(parse_rejects_attribute_overflowing_message),
    cmocka_unit_test(parse_rejects_attribute_after_fingerprint),
    cmocka_unit_test(parse_bounds_attribute_count_and_size),
    cmocka_unit_test(fingerprint_corruption_is_detected),
    cmocka_unit_test(integrity_rejects_changed_body_tag_or_password),
    cmocka_unit_test(attributes_after_integrity_are_ignored),
    cmocka_unit_test(unknown_comprehension_required_attributes_are_listed),
    cmocka_unit_test(parse_rejects_badly_shaped_known_attributes),
    cmocka_unit_test(mapped_address_parses_plain),
    cmocka_unit_test(error_response_roundtrips_code_reason_and_unknowns),
    cmocka_unit_test(integrity_sha256_full_and_truncated_verify),
    cmocka_unit_test(integrity_sha256_is_preferred_over_sha1),
    cmocka_unit_test(writer_errors_are_sticky_and_bounded),
    cmocka_unit_test(looks_like_separates_stun_from_media),
    cmocka_unit_test(crc32_matches_the_check_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
