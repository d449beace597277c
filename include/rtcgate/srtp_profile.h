/* rtcgate — the SRTP protection profiles, one table (RFC 5764 §4.1.2, RFC 7714 §14.2).
 *
 * Shared by the DTLS core (use_srtp negotiation, key export) and the SRTP core.
 * Values are the IANA "DTLS-SRTP Protection Profiles" numbers.
 */
#ifndef RTCGATE_SRTP_PROFILE_H
#define RTCGATE_SRTP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum rg_srtp_profile {
  RG_SRTP_NONE = 0,
  RG_SRTP_AES128_CM_SHA1_80 = 0x0001,
  RG_SRTP_AES128_CM_SHA1_32 = 0x0002,
  RG_SRTP_AEAD_AES_128_GCM = 0x0007,
  RG_SRTP_AEAD_AES_256_GCM = 0x0008,
};

struct rg_srtp_profile_info {
  uint16_t id;          /* enum rg_srtp_profile */
  const char *name;     /* OpenSSL's use_srtp name, e.g. "SRTP_AES128_CM_SHA1_80" */
  const char *rfc_name; /* as RFC 5764 / RFC 7714 name it, e.g. "AES128_CM_HMAC_SHA1_80": what users see */
  uint8_t key_len;      /* master key bytes */
  uint8_t salt_len;     /* master salt bytes */
  uint8_t rtp_tag_len;  /* auth tag on SRTP */
  uint8_t rtcp_tag_len; /* auth tag on SRTCP (CM_SHA1_32 still uses 80 bits on RTCP) */
  uint8_t aead;         /* 1 for GCM */
};

/* The row for a profile, or NULL when it is not one of the four. */
const struct rg_srtp_profile_info *rg_srtp_profile_info(int profile);
/* By OpenSSL/IANA name ("SRTP_AEAD_AES_256_GCM"), NULL when unknown. */
const struct rg_srtp_profile_info *rg_srtp_profile_by_name(const char *name);

#endif
