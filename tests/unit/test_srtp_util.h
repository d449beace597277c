/* Helpers shared by the test_srtp_*.c programs: hex, packet builders and a
 * libsrtp2 context (the independent oracle) for each profile. */
#ifndef TEST_SRTP_UTIL_H
#define TEST_SRTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "rtcgate/error.h"
#include "rtcgate/srtp.h"

#define T_PKT_CAP 2048

static const int t_profiles[] = {RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32,
                                 RG_SRTP_AEAD_AES_128_GCM, RG_SRTP_AEAD_AES_256_GCM};
#define T_NPROFILES (sizeof t_profiles / sizeof t_profiles[0])

/* Hex with optional spaces/newlines; returns the byte count. */
static inline size_t t_hex(const char *s, uint8_t *out, size_t cap)
{
  size_t n = 0;
  int hi = -1;
  for (; *s; s++) {
    int v;
    if (*s >= '0' && *s <= '9')
      v = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      v = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F')
      v = *s - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap)
        out[n] = (uint8_t)(hi << 4 | v);
      n++;
      hi = -1;
    }
  }
  return n;
}

/* Deterministic master key/salt of the profile's lengths. */
static inline void t_master(int profile, uint8_t seed, uint8_t *key, uint8_t *salt)
{
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  /* Bounded by the callers' buffers (32 and 14 bytes) too, which also keeps
   * gcc -O3's vectoriser from warning about a key_len it cannot see. */
  for (int i = 0; i < info->key_len && i < 32; i++)
    key[i] = (uint8_t)(seed + 7 * i + 1);
  for (int i = 0; i < info->salt_len && i < 14; i++)
    salt[i] = (uint8_t)(seed * 3 + 11 * i + 5);
}

static inline struct rg_srtp *t_ctx(int profile, int direction, uint8_t seed, uint32_t max_streams,
                             uint32_t window)
{
  uint8_t key[32], salt[14];
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  t_master(profile, seed, key, salt);
  struct rg_srtp_config cfg = {
    .profile = profile, .direction = direction,
    .master_key = key, .master_key_len = info->key_len,
    .master_salt = salt, .master_salt_len = info->salt_len,
    .max_streams = max_streams, .replay_window = window,
  };
  struct rg_srtp *s = NULL;
  if (rg_srtp_new(&cfg, &s) != RG_OK)
    return NULL;
  return s;
}

/* An RTP packet: 12-byte header, payload bytes derived from seq. */
static inline size_t t_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t payload)
{
  p[0] = 0x80;
  p[1] = 96;
  p[2] = (uint8_t)(seq >> 8);
  p[3] = (uint8_t)seq;
  p[4] = (uint8_t)(ts >> 24);
  p[5] = (uint8_t)(ts >> 16);
  p[6] = (uint8_t)(ts >> 8);
  p[7] = (uint8_t)ts;
  p[8] = (uint8_t)(ssrc >> 24);
  p[9] = (uint8_t)(ssrc >> 16);
  p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
  for (size_t i = 0; i < payload; i++)
    p[12 + i] = (uint8_t)(seq * 31 + i);
  return 12 + payload;
}

/* An RTCP receiver report with one report block (32 bytes). */
static inline size_t t_rtcp(uint8_t *p, uint32_t ssrc, uint32_t n)
{
  memset(p, 0, 32);
  p[0] = 0x81;
  p[1] = 201;
  p[3] = 7;
  p[4] = (uint8_t)(ssrc >> 24);
  p[5] = (uint8_t)(ssrc >> 16);
  p[6] = (uint8_t)(ssrc >> 8);
  p[7] = (uint8_t)ssrc;
  for (int i = 8; i < 32; i++)
    p[i] = (uint8_t)(n + i);
  return 32;
}

/* A libsrtp2 session for one direction with the same master key/salt. */
static inline srtp_t t_libsrtp(int profile, bool inbound, uint8_t seed, bool rtcp_auth_only)
{
  static bool inited;
  if (!inited) {
    if (srtp_init() != srtp_err_status_ok)
      return NULL;
    inited = true;
  }
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  uint8_t key[32], salt[14], keysalt[46];
  t_master(profile, seed, key, salt);
  memcpy(keysalt, key, info->key_len);
  memcpy(keysalt + info->key_len, salt, info->salt_len);
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  switch (profile) {
  case RG_SRTP_AES128_CM_SHA1_80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    break;
  case RG_SRTP_AES128_CM_SHA1_32:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp); /* RFC 5764 §4.1.2 */
    break;
  case RG_SRTP_AEAD_AES_128_GCM:
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    break;
  default:
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
    break;
  }
  if (rtcp_auth_only)
    p.rtcp.sec_serv = sec_serv_auth;
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  p.key = keysalt;
  p.window_size = 1024;
  srtp_t s = NULL;
  if (srtp_create(&s, &p) != srtp_err_status_ok)
    return NULL;
  return s;
}

#endif
