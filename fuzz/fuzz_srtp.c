/* Fuzzes SRTP/SRTCP unprotect with a fixed key. Input framing:
 *   byte 0: profile (low 2 bits)
 *   then records: kind (1 byte), length (2 bytes, big endian), packet bytes
 *     kind bit 0: 0 = RTP, 1 = RTCP
 *     kind bit 1: round trip: protect the bytes, then unprotect must give
 *                 them back (checks the two directions agree)
 * Contexts are fresh per input, so state carries across the records of one
 * input only. Round trips use their own receiving context: the plain
 * receiver's state, shaped by arbitrary packets, may legitimately disagree
 * with the sender's about a stream's roll-over counter. Must never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/error.h"
#include "rtcgate/srtp.h"

#define FUZZ_CAP (RG_SRTP_MAX_PACKET + RG_SRTP_MAX_RTCP_TRAILER)

static const int profiles[4] = {RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32,
                                RG_SRTP_AEAD_AES_128_GCM, RG_SRTP_AEAD_AES_256_GCM};

static struct rg_srtp *make(int profile, int direction)
{
  static const uint8_t key[32] = "rtcgate fuzz master key 32 bytes";
  static const uint8_t salt[14] = "fuzz salt 14 b";
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  struct rg_srtp_config cfg = {.profile = profile, .direction = direction,
                               .master_key = key, .master_key_len = info->key_len,
                               .master_salt = salt, .master_salt_len = info->salt_len,
                               .max_streams = 4, .replay_window = 64};
  struct rg_srtp *s = NULL;
  if (rg_srtp_new(&cfg, &s) != RG_OK)
    abort();
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint8_t buf[FUZZ_CAP], orig[FUZZ_CAP];
  if (size < 1)
    return 0;
  int profile = profiles[data[0] & 3];
  struct rg_srtp *rx = make(profile, RG_SRTP_UNPROTECT);
  struct rg_srtp *tx = make(profile, RG_SRTP_PROTECT);
  struct rg_srtp *rt_rx = make(profile, RG_SRTP_UNPROTECT);
  size_t off = 1;
  while (off + 3 <= size) {
    uint8_t kind = data[off];
    size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
    off += 3;
    if (len > size - off)
      len = size - off;
    memcpy(buf, data + off, len);
    off += len;
    const int rtcp = kind & 1;
    if (kind & 2) {
      memcpy(orig, buf, len);
      int n = rtcp ? rg_srtp_protect_rtcp(tx, buf, len, sizeof buf)
                   : rg_srtp_protect_rtp(tx, buf, len, sizeof buf);
      if (n < 0)
        continue;
      int m = rtcp ? rg_srtp_unprotect_rtcp(rt_rx, buf, (size_t)n)
                   : rg_srtp_unprotect_rtp(rt_rx, buf, (size_t)n);
      /* Replays and a full table are legitimate refusals; anything else
       * means the two directions disagree. */
      if (m == RG_ERR_REPLAY || m == RG_ERR_TOO_LARGE)
        continue;
      if (m != (int)len || memcmp(buf, orig, len) != 0)
        abort();
    } else {
      int m = rtcp ? rg_srtp_unprotect_rtcp(rx, buf, len) : rg_srtp_unprotect_rtp(rx, buf, len);
      if (m > (int)len)
        abort();
    }
  }
  rg_srtp_free(rx);
  rg_srtp_free(tx);
  rg_srtp_free(rt_rx);
  return 0;
}
