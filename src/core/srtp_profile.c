/* The one table of SRTP profile facts; everything else looks lengths up here. */
#include "rtcgate/srtp_profile.h"

#include <string.h>

static const struct rg_srtp_profile_info profiles[] = {
  {RG_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", "AEAD_AES_256_GCM", 32, 12, 16, 16, 1},
  {RG_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", "AEAD_AES_128_GCM", 16, 12, 16, 16, 1},
  {RG_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", "AES128_CM_HMAC_SHA1_80", 16, 14, 10, 10, 0},
  {RG_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", "AES128_CM_HMAC_SHA1_32", 16, 14, 4, 10, 0},
};

const struct rg_srtp_profile_info *rg_srtp_profile_info(int profile)
{
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (profiles[i].id == profile)
      return &profiles[i];
  return NULL;
}

const struct rg_srtp_profile_info *rg_srtp_profile_by_name(const char *name)
{
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (strcmp(profiles[i].name, name) == 0)
      return &profiles[i];
  return NULL;
}
