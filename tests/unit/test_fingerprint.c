/* Pins fingerprint parsing/formatting (RFC 8122 §5) and the SRTP profile table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/fingerprint.h"
#include "rtcgate/srtp_profile.h"

static const char sha256_hex[] =
  "19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2";

static void fingerprint_roundtrips_sha256(void **state)
{
  struct rg_fingerprint fp;
  char buf[RG_FINGERPRINT_STRLEN];
  assert_int_equal(rg_fingerprint_parse(&fp, "SHA-256", 7, sha256_hex, strlen(sha256_hex)), RG_OK);
  assert_int_equal(fp.hash, RG_HASH_SHA256);
  assert_int_equal(fp.len, 32);
  assert_int_equal(fp.value[0], 0x19);
  assert_int_equal(fp.value[31], 0xA2);
  assert_int_equal(rg_fingerprint_format(&fp, buf, sizeof buf), 7 + 1 + 95);
  assert_string_equal(buf + 8, sha256_hex);
  assert_memory_equal(buf, "sha-256 ", 8);
}

static void fingerprint_accepts_lower_case_hex(void **state)
{
  struct rg_fingerprint a, b;
  char lower[sizeof sha256_hex];
  for (size_t i = 0; i < sizeof sha256_hex; i++)
    lower[i] = (char)(sha256_hex[i] >= 'A' && sha256_hex[i] <= 'F' ? sha256_hex[i] + 32 : sha256_hex[i]);
  assert_int_equal(rg_fingerprint_parse(&a, "sha-256", 7, sha256_hex, strlen(sha256_hex)), RG_OK);
  assert_int_equal(rg_fingerprint_parse(&b, "sha-256", 7, lower, strlen(lower)), RG_OK);
  assert_true(rg_fingerprint_equal(&a, &b));
  b.value[5] ^= 1;
  assert_false(rg_fingerprint_equal(&a, &b));
}

static void fingerprint_rejects_md5_wrong_length_and_bad_hex(void **state)
{
  struct rg_fingerprint fp;
  fp.hash = 99;
  assert_int_equal(rg_fingerprint_parse(&fp, "md5", 3, "AB", 2), RG_ERR_UNSUPPORTED);
  assert_int_equal(rg_fingerprint_parse(&fp, "sha-1", 5, sha256_hex, strlen(sha256_hex)), RG_ERR_MALFORMED);
  assert_int_equal(rg_fingerprint_parse(&fp, "sha-256", 7, sha256_hex, strlen(sha256_hex) - 1), RG_ERR_MALFORMED);
  char bad[sizeof sha256_hex];
  memcpy(bad, sha256_hex, sizeof bad);
  bad[2] = '-';
  assert_int_equal(rg_fingerprint_parse(&fp, "sha-256", 7, bad, strlen(bad)), RG_ERR_MALFORMED);
  bad[2] = ':';
  bad[4] = 'G';
  assert_int_equal(rg_fingerprint_parse(&fp, "sha-256", 7, bad, strlen(bad)), RG_ERR_MALFORMED);
  assert_int_equal(fp.hash, 99); /* out-parameter untouched on failure */
}

static void fingerprint_format_refuses_small_buffer(void **state)
{
  struct rg_fingerprint fp;
  char buf[20];
  assert_int_equal(rg_fingerprint_parse(&fp, "sha-256", 7, sha256_hex, strlen(sha256_hex)), RG_OK);
  assert_int_equal(rg_fingerprint_format(&fp, buf, sizeof buf), RG_ERR_BUFFER);
}

static void srtp_profile_table_has_rfc_lengths(void **state)
{
  /* RFC 5764 §4.1.2 and RFC 7714 §14.2. */
  const struct rg_srtp_profile_info *p = rg_srtp_profile_info(RG_SRTP_AES128_CM_SHA1_32);
  assert_non_null(p);
  assert_int_equal(p->key_len, 16);
  assert_int_equal(p->salt_len, 14);
  assert_int_equal(p->rtp_tag_len, 4);
  assert_int_equal(p->rtcp_tag_len, 10);
  p = rg_srtp_profile_by_name("SRTP_AEAD_AES_256_GCM");
  assert_non_null(p);
  assert_int_equal(p->id, RG_SRTP_AEAD_AES_256_GCM);
  assert_int_equal(p->key_len, 32);
  assert_string_equal(p->rfc_name, "AEAD_AES_256_GCM");
  assert_string_equal(rg_srtp_profile_info(RG_SRTP_AES128_CM_SHA1_80)->rfc_name, "AES128_CM_HMAC_SHA1_80");
  assert_int_equal(p->salt_len, 12);
  assert_null(rg_srtp_profile_info(3));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fingerprint_roundtrips_sha256),
    cmocka_unit_test(fingerprint_accepts_lower_case_hex),
    cmocka_unit_test(fingerprint_rejects_md5_wrong_length_and_bad_hex),
    cmocka_unit_test(fingerprint_format_refuses_small_buffer),
    cmocka_unit_test(srtp_profile_table_has_rfc_lengths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
