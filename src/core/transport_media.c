/* The per-packet path of a transport: SRTP in -> policy -> media out, and
 * media in -> SRTP out. No allocation, no lock, no logging: every outcome is
 * a return code and a counter in the SSRC policy. */
#include "transport_internal.h"

#include <string.h>

#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"
#include "rtcgate/srtp.h"

static uint32_t read_u32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int drop(struct rg_transport *t, enum rg_ssrc_verdict why, size_t len, int err)
{
  rg_ssrc_policy_record_drop(&t->policy, why, len);
  return err;
}

int rg_transport_handle_media(struct rg_transport *t, const struct rg_addr *from, uint8_t *data, size_t len,
                              bool rtcp, struct rg_transport_media *media)
{
  enum rg_ssrc_verdict v;
  int n;
  if (!rg_transport_source_ok(t, from)) {
    t->rx_unknown_source++;
    return RG_ERR_NOT_FOUND;
  }
  /* Contract item 5: nothing before DTLS is up and verified. */
  if (t->state != RG_TRANSPORT_READY)
    return drop(t, RG_SSRC_DROP_NOT_READY, len, RG_ERR_STATE);
  /* The SSRC (RTP) and sender SSRC (SRTCP) travel in the clear: refuse an
   * unknown one before unprotect, so that it costs no decryption and can
   * create no SRTP stream state (a peer could otherwise fill the receive
   * table with junk SSRCs and lock out a later legitimate one). The policy
   * checks again after decryption, over every packet of an RTCP compound. */
  if (len >= 12 && !rg_ssrc_policy_lookup(&t->policy, read_u32(data + (rtcp ? 4 : 8))))
    return drop(t, RG_SSRC_DROP_UNKNOWN_SSRC, len, RG_ERR_UNKNOWN_SSRC);
  n = rtcp ? rg_srtp_unprotect_rtcp(t->rx, data, len) : rg_srtp_unprotect_rtp(t->rx, data, len);
  if (n < 0) {
    switch (n) {
    case RG_ERR_AUTH:
      return drop(t, RG_SSRC_DROP_AUTH, len, n);
    case RG_ERR_REPLAY:
      return drop(t, RG_SSRC_DROP_REPLAY, len, n);
    default: /* malformed, or a new SSRC past the stream table: not acceptable */
      return drop(t, RG_SSRC_DROP_MALFORMED, len, n);
    }
  }
  v = rtcp ? rg_ssrc_policy_check_rtcp(&t->policy, data, (size_t)n)
           : rg_ssrc_policy_check_rtp(&t->policy, data, (size_t)n);
  switch (v) {
  case RG_SSRC_ACCEPT:
    break;
  case RG_SSRC_DROP_UNKNOWN_SSRC:
    return RG_ERR_UNKNOWN_SSRC;
  case RG_SSRC_DROP_NOT_READY:
    return RG_ERR_STATE;
  default:
    return RG_ERR_MALFORMED;
  }
  media->rtcp = rtcp;
  media->data = data;
  media->len = (size_t)n;
  /* The policy has validated the header: the SSRC is at offset 8 (RTP) or 4 (RTCP). */
  media->ssrc = read_u32(data + (rtcp ? 4 : 8));
  return 1;
}

static int protect(struct rg_transport *t, uint8_t *pkt, size_t len, size_t cap, struct rg_addr *dest, bool rtcp)
{
  int n;
  if (t->state != RG_TRANSPORT_READY || !rg_transport_dest(t, dest)) {
    t->tx_refused++;
    return RG_ERR_STATE;
  }
  n = rtcp ? rg_srtp_protect_rtcp(t->tx, pkt, len, cap) : rg_srtp_protect_rtp(t->tx, pkt, len, cap);
  if (n >= 0)
    t->tx_datagrams++;
  return n;
}

void rg_transport_prefetch(const struct rg_transport *t, int stage, bool rx, uint32_t ssrc, bool rtcp)
{
  const struct rg_srtp *ctx = rx ? t->rx : t->tx;
  if (stage == 0) {
    __builtin_prefetch(t); /* state, contexts, peer, counters: struct rg_transport's field order */
    __builtin_prefetch((const char *)t + 64);
    return;
  }
  if (!ctx) /* not keyed yet: nothing more to read */
    return;
  rg_srtp_prefetch(ctx, stage - 1, ssrc, rtcp);
  if (rx && stage <= 2)
    rg_ssrc_policy_prefetch(&t->policy, stage - 1, ssrc);
}

int rg_transport_protect_rtp(struct rg_transport *t, uint8_t *pkt, size_t len, size_t cap, struct rg_addr *dest)
{
  return protect(t, pkt, len, cap, dest, false);
}

int rg_transport_protect_rtcp(struct rg_transport *t, uint8_t *pkt, size_t len, size_t cap, struct rg_addr *dest)
{
  return protect(t, pkt, len, cap, dest, true);
}

