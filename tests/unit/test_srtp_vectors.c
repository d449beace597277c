/* Published test vectors: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3
 * (key derivation); RFC 7714 §16 (SRTP AEAD_AES_128/256_GCM) and §17 (SRTCP).
 * The RFC 7714 examples state session keys and salts directly (no KDF), so
 * they go through rg_srtp_new_with_keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "srtp_internal.h"
#include "test_srtp_util.h"

/* RFC 3711 Appendix B.3: key derivation test vectors. */
static void kdf_matches_rfc3711_appendix_b3(void **state)
{
  uint8_t mk[16], ms[14], want[20];
  t_hex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, sizeof mk);
  t_hex("0EC675AD498AFEEBB6960B3AABE6", ms, sizeof ms);
  struct rg_srtp_session_keys k;
  assert_int_equal(rg_srtp_derive_keys(rg_srtp_profile_info(RG_SRTP_AES128_CM_SHA1_80), mk, ms, &k),
                   RG_OK);
  t_hex("C61E7A93744F39EE10734AFE3FF7A087", want, sizeof want); /* cipher key */
  assert_memory_equal(k.rtp_enc, want, 16);
  t_hex("30CBBC08863D8C85D49DB34A9AE1", want, sizeof want); /* cipher salt */
  assert_memory_equal(k.rtp_salt, want, 14);
  /* auth key: the first 160 bits of the 94-octet stream in B.3 */
  t_hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, sizeof want);
  assert_memory_equal(k.rtp_auth, want, 20);
  /* RTCP keys use other labels, so they must differ. */
  assert_memory_not_equal(k.rtcp_enc, k.rtp_enc, 16);
}

/* RFC 3711 Appendix B.2: AES-CM keystream segments. */
static void aes_cm_keystream_matches_rfc3711_appendix_b2(void **state)
{
  uint8_t key[16], iv[16], want[48], buf[48];
  t_hex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof key);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_aes_128_ctr(), key, NULL, NULL), 1);

  t_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof iv);
  memset(buf, 0, sizeof buf);
  assert_int_equal(rg_srtp_aes_cm(ctx, iv, buf, sizeof buf), RG_OK);
  t_hex("E03EAD0935C95E80E166B16DD92B4EB4"
        "D23513162B02D0F72A43A2FE4A5F97AB"
        "41E95B3BB0A2E8DD477901E4FCA894C0", want, sizeof want);
  assert_memory_equal(buf, want, 48);

  t_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", iv, sizeof iv);
  memset(buf, 0, sizeof buf);
  assert_int_equal(rg_srtp_aes_cm(ctx, iv, buf, sizeof buf), RG_OK);
  t_hex("EC8CDF7398607CB0F2D21675EA9EA1E4"
        "362B7C3C6773516318A077D7FC5073AE"
        "6A2CC3787889374FBEB4C81B17BA6C44", want, sizeof want);
  assert_memory_equal(buf, want, 48);
  EVP_CIPHER_CTX_free(ctx);
}

/* RFC 3711 Appendix B.2 through the packet path: SSRC 0, ROC 0, SEQ 0, so
 * the IV is the salt and a zero payload encrypts to the keystream itself. */
static void protect_rtp_keystream_matches_rfc3711_appendix_b2(void **state)
{
  struct rg_srtp_session_keys k;
  memset(&k, 0, sizeof k);
  t_hex("2B7E151628AED2A6ABF7158809CF4F3C", k.rtp_enc, 16);
  t_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", k.rtp_salt, 14);
  struct rg_srtp_config cfg = {.profile = RG_SRTP_AES128_CM_SHA1_80,
                               .direction = RG_SRTP_PROTECT, .max_streams = 1};
  struct rg_srtp *s = NULL;
  assert_int_equal(rg_srtp_new_with_keys(&cfg, &k, &s), RG_OK);
  uint8_t pkt[128] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, want[48];
  assert_int_equal(rg_srtp_protect_rtp(s, pkt, 12 + 48, sizeof pkt), 12 + 48 + 10);
  t_hex("E03EAD0935C95E80E166B16DD92B4EB4"
        "D23513162B02D0F72A43A2FE4A5F97AB"
        "41E95B3BB0A2E8DD477901E4FCA894C0", want, sizeof want);
  assert_memory_equal(pkt + 12, want, 48);
  rg_srtp_free(s);
}

/* RFC 7714 §16-§17 share one salt ("Quid pro quo") and these keys. */
#define RFC7714_SALT "517569642070726f2071756f"
#define RFC7714_KEY128 "000102030405060708090a0b0c0d0e0f"
#define RFC7714_KEY256 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
/* RFC 7714 §16: the RTP packet (SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0). */
#define RFC7714_RTP "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973" \
                    "20646976 69736120 696e2070 61727465 73207472 6573"
/* RFC 7714 §17: the RTCP packet (sender SSRC "Mars", SRTCP index 0x5d4). */
#define RFC7714_RTCP "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930" \
                     "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef"

static struct rg_srtp *rfc7714_ctx(int profile, int direction)
{
  struct rg_srtp_session_keys k;
  memset(&k, 0, sizeof k);
  const char *key = profile == RG_SRTP_AEAD_AES_256_GCM ? RFC7714_KEY256 : RFC7714_KEY128;
  t_hex(key, k.rtp_enc, sizeof k.rtp_enc);
  t_hex(key, k.rtcp_enc, sizeof k.rtcp_enc);
  t_hex(RFC7714_SALT, k.rtp_salt, sizeof k.rtp_salt);
  t_hex(RFC7714_SALT, k.rtcp_salt, sizeof k.rtcp_salt);
  struct rg_srtp_config cfg = {.profile = profile, .direction = direction, .max_streams = 4};
  struct rg_srtp *s = NULL;
  assert_int_equal(rg_srtp_new_with_keys(&cfg, &k, &s), RG_OK);
  return s;
}

static void check_rtp_vector(int profile, const char *protected_hex)
{
  uint8_t plain[128], want[128], buf[128];
  size_t plen = t_hex(RFC7714_RTP, plain, sizeof plain);
  size_t wlen = t_hex(protected_hex, want, sizeof want);
  assert_int_equal(wlen, plen + 16);

  struct rg_srtp *tx = rfc7714_ctx(profile, RG_SRTP_PROTECT);
  memcpy(buf, plain, plen);
  assert_int_equal(rg_srtp_protect_rtp(tx, buf, plen, sizeof buf), (int)wlen);
  assert_memory_equal(buf, want, wlen);
  rg_srtp_free(tx);

  struct rg_srtp *rx = rfc7714_ctx(profile, RG_SRTP_UNPROTECT);
  memcpy(buf, want, wlen);
  assert_int_equal(rg_srtp_unprotect_rtp(rx, buf, wlen), (int)plen);
  assert_memory_equal(buf, plain, plen);
  rg_srtp_free(rx);
}

/* RFC 7714 §16.1.1 / §16.1.2: AEAD_AES_128_GCM RTP encryption and decryption. */
static void gcm128_rtp_matches_rfc7714_16_1(void **state)
{
  check_rtp_vector(RG_SRTP_AEAD_AES_128_GCM,
                   "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
                   "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
                   "6a9152cf 765ee439 0cce");
}

/* RFC 7714 §16.2.1 / §16.2.2: AEAD_AES_256_GCM RTP encryption and decryption. */
static void gcm256_rtp_matches_rfc7714_16_2(void **state)
{
  check_rtp_vector(RG_SRTP_AEAD_AES_256_GCM,
                   "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa"
                   "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff"
                   "d6b0f9bb 7878d7a7 6c13");
}

static void check_rtcp_vector(int profile, const char *protected_hex, bool encrypted)
{
  uint8_t plain[128], want[128], buf[128];
  size_t plen = t_hex(RFC7714_RTCP, plain, sizeof plain);
  size_t wlen = t_hex(protected_hex, want, sizeof want);
  assert_int_equal(wlen, plen + 16 + 4);

  if (encrypted) { /* rtcgate only ever sends E=1 */
    struct rg_srtp *tx = rfc7714_ctx(profile, RG_SRTP_PROTECT);
    assert_int_equal(rg_srtp_set_next_rtcp_index(tx, 0x4d617273, 0x5d4), RG_OK);
    memcpy(buf, plain, plen);
    assert_int_equal(rg_srtp_protect_rtcp(tx, buf, plen, sizeof buf), (int)wlen);
    assert_memory_equal(buf, want, wlen);
    rg_srtp_free(tx);
  }
  struct rg_srtp *rx = rfc7714_ctx(profile, RG_SRTP_UNPROTECT);
  memcpy(buf, want, wlen);
  assert_int_equal(rg_srtp_unprotect_rtcp(rx, buf, wlen), (int)plen);
  assert_memory_equal(buf, plain, plen);
  rg_srtp_free(rx);
}

/* RFC 7714 §17.1: SRTCP AEAD_AES_128_GCM, encrypted and tagged (E=1). */
static void gcm128_srtcp_matches_rfc7714_17_1(void **state)
{
  check_rtcp_vector(RG_SRTP_AEAD_AES_128_GCM,
                    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
                    "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
                    "96cf4d2f c5abf872 45d9eade 800005d4", true);
}

/* RFC 7714 §17.2: SRTCP AEAD_AES_256_GCM, encrypted and tagged (E=1). */
static void gcm256_srtcp_matches_rfc7714_17_2(void **state)
{
  check_rtcp_vector(RG_SRTP_AEAD_AES_256_GCM,
                    "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d"
                    "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c"
                    "4446839f 57ff6f6c b26ac3be 800005d4", true);
}

/* RFC 7714 §17.3: SRTCP AEAD_AES_128_GCM, tagged only (E=0). */
static void gcm128_srtcp_auth_only_matches_rfc7714_17_3(void **state)
{
  check_rtcp_vector(RG_SRTP_AEAD_AES_128_GCM,
                    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                    "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968"
                    "3dd78ec9 2ae58790 125f62b3 000005d4", false);
}

/* RFC 7714 §17.4: SRTCP AEAD_AES_256_GCM, tagged only (E=0). */
static void gcm256_srtcp_auth_only_matches_rfc7714_17_4(void **state)
{
  check_rtcp_vector(RG_SRTP_AEAD_AES_256_GCM,
                    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                    "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb"
                    "feee5a97 8fab4393 ed2615fe 000005d4", false);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(kdf_matches_rfc3711_appendix_b3),
    cmocka_unit_test(aes_cm_keystream_matches_rfc3711_appendix_b2),
    cmocka_unit_test(protect_rtp_keystream_matches_rfc3711_appendix_b2),
    cmocka_unit_test(gcm128_rtp_matches_rfc7714_16_1),
    cmocka_unit_test(gcm256_rtp_matches_rfc7714_16_2),
    cmocka_unit_test(gcm128_srtcp_matches_rfc7714_17_1),
    cmocka_unit_test(gcm256_srtcp_matches_rfc7714_17_2),
    cmocka_unit_test(gcm128_srtcp_auth_only_matches_rfc7714_17_3),
    cmocka_unit_test(gcm256_srtcp_auth_only_matches_rfc7714_17_4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
