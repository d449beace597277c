/* RTP packetizer for one outgoing audio stream (RFC 3550 §5.1) and the sender
 * half of an SR. */
#include "media_internal.h"
#include "core/rtp_bytes_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/rtp.h"

#include <string.h>

#define US_PER_S 1000000u

uint64_t rg_media_ntp_from_unix_us(uint64_t unix_us)
{
  uint64_t sec = unix_us / US_PER_S + RG_NTP_UNIX_OFFSET;
  uint64_t frac = ((unix_us % US_PER_S) << 32) / US_PER_S;
  return sec << 32 | frac;
}

int rg_rtp_tx_init(struct rg_rtp_tx *tx, uint32_t ssrc, uint8_t pt, uint32_t clock_rate,
                   uint16_t first_seq, uint32_t first_ts)
{
  if (tx == NULL || pt > RG_RTP_PT_MAX || clock_rate == 0)
    return RG_ERR_INVAL;
  memset(tx, 0, sizeof(*tx));
  tx->ssrc = ssrc;
  tx->pt = pt;
  tx->clock_rate = clock_rate;
  tx->seq = first_seq;
  tx->ts = first_ts;
  tx->mark_next = true; /* the first packet opens the first talkspurt */
  return RG_OK;
}

void rg_rtp_tx_mark_next(struct rg_rtp_tx *tx)
{
  tx->mark_next = true;
}

int rg_rtp_tx_packetize(struct rg_rtp_tx *tx, uint64_t now_us, const uint8_t *payload, size_t len,
                        uint32_t samples, uint8_t *out, size_t cap, size_t *out_len)
{
  if (tx == NULL || out == NULL || out_len == NULL || (payload == NULL && len > 0))
    return RG_ERR_INVAL;
  if (len > RG_AUDIO_MAX_PAYLOAD)
    return RG_ERR_TOO_LARGE;
  if (cap < RG_RTP_FIXED_HEADER_LEN + len)
    return RG_ERR_BUFFER;
  out[0] = RG_RTP_VERSION << 6; /* no padding, extension or CSRCs */
  out[1] = (uint8_t)((tx->mark_next ? 0x80 : 0) | tx->pt);
  rg_put_be16(out + 2, tx->seq);
  rg_put_be32(out + 4, tx->ts);
  rg_put_be32(out + 8, tx->ssrc);
  if (len > 0)
    memcpy(out + RG_RTP_FIXED_HEADER_LEN, payload, len);
  *out_len = RG_RTP_FIXED_HEADER_LEN + len;
  tx->last_ts = tx->ts;
  tx->last_us = now_us;
  tx->sent_any = true;
  tx->mark_next = false;
  tx->packets++;
  tx->octets += (uint32_t)len;
  tx->seq++;                 /* wraps at 2^16 by type */
  tx->ts += samples;         /* wraps at 2^32 by type */
  return RG_OK;
}

void rg_rtp_tx_sender_info(const struct rg_rtp_tx *tx, uint64_t now_us, uint64_t ntp,
                           struct rg_rtcp_sender_info *out)
{
  uint32_t ts = tx->ts;
  /* RFC 3550 §6.4.1: the RTP timestamp is the same instant as the NTP one,
   * extrapolated from the last packet at the media clock rate. */
  if (tx->sent_any && now_us >= tx->last_us)
    ts = tx->last_ts + (uint32_t)((now_us - tx->last_us) * tx->clock_rate / US_PER_S);
  out->ntp = ntp;
  out->rtp_ts = ts;
  out->packets = tx->packets;
  out->octets = tx->octets;
}
