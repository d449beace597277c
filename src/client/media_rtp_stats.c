/* Receive statistics of one RTP source, after RFC 3550 appendix A.1 (sequence
 * tracking), A.3 (loss) and A.8 (interarrival jitter). */
#include "media_internal.h"
#include "rtcgate/error.h"

#include <string.h>

#define US_PER_S 1000000u
#define JITTER_SHIFT 4             /* A.8 keeps jitter scaled by 16 */
#define CUM_LOST_MAX 0x7FFFFF      /* 24-bit signed field */
#define CUM_LOST_MIN (-0x800000)
#define DLSR_UNITS 65536u          /* DLSR counts 1/65536 s */
#define FRACTION_ALL 255

int rg_rtp_rx_stats_init(struct rg_rtp_rx_stats *s, uint32_t clock_rate)
{
  if (s == NULL || clock_rate == 0)
    return RG_ERR_INVAL;
  memset(s, 0, sizeof(*s));
  s->clock_rate = clock_rate;
  return RG_OK;
}

static void init_seq(struct rg_rtp_rx_stats *s, uint16_t seq)
{
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RG_RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

/* A.1 update_seq without the probation phase. */
static int update_seq(struct rg_rtp_rx_stats *s, uint16_t seq)
{
  uint16_t udelta = (uint16_t)(seq - s->max_seq);
  if (udelta < RG_RTP_MAX_DROPOUT) {
    if (seq < s->max_seq)
      s->cycles += RG_RTP_SEQ_MOD; /* in order, with a wrap */
    s->max_seq = seq;
  } else if (udelta <= RG_RTP_SEQ_MOD - RG_RTP_MAX_MISORDER) {
    /* A very large jump: believe it only when the next packet follows it
     * (the sender restarted); until then it is not counted. */
    if (seq == s->bad_seq) {
      init_seq(s, seq);
    } else {
      s->bad_seq = (uint32_t)(seq + 1) & (RG_RTP_SEQ_MOD - 1);
      return 0;
    }
  }
  /* else: duplicate or reordered packet, counted */
  s->received++;
  return 1;
}

static uint32_t arrival_ts(const struct rg_rtp_rx_stats *s, uint64_t now_us)
{
  /* Modulo 2^32 like the RTP timestamp; only differences are used. */
  return (uint32_t)((now_us / US_PER_S) * s->clock_rate +
                    (now_us % US_PER_S) * s->clock_rate / US_PER_S);
}

int rg_rtp_rx_stats_update(struct rg_rtp_rx_stats *s, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
                           uint64_t now_us)
{
  uint32_t transit;
  int32_t d;
  int counted;
  if (!s->init) {
    s->init = true;
    s->ssrc = ssrc;
    init_seq(s, seq);
    s->received = 1;
    s->transit = arrival_ts(s, now_us) - rtp_ts;
    return 1;
  }
  if (ssrc != s->ssrc)
    return RG_ERR_UNKNOWN_SSRC;
  counted = update_seq(s, seq);
  if (!counted)
    return 0;
  transit = arrival_ts(s, now_us) - rtp_ts;
  d = (int32_t)(transit - s->transit);
  s->transit = transit;
  if (d < 0)
    d = -d;
  s->jitter_q4 += (uint32_t)d - ((s->jitter_q4 + 8) >> JITTER_SHIFT);
  return 1;
}

static uint32_t ext_max(const struct rg_rtp_rx_stats *s)
{
  return s->cycles + s->max_seq;
}

void rg_rtp_rx_stats_summary(const struct rg_rtp_rx_stats *s, struct rg_rtp_rx_summary *out)
{
  uint32_t expected = s->init ? ext_max(s) - s->base_seq + 1 : 0;
  int64_t lost = (int64_t)expected - s->received;
  memset(out, 0, sizeof(*out));
  out->received = s->received;
  out->expected = expected;
  out->lost = lost > CUM_LOST_MAX ? CUM_LOST_MAX : lost < CUM_LOST_MIN ? CUM_LOST_MIN : (int32_t)lost;
  out->fraction_lost = s->last_fraction;
  out->ext_highest_seq = s->init ? ext_max(s) : 0;
  out->jitter = s->jitter_q4 >> JITTER_SHIFT;
  out->jitter_ms = (double)out->jitter * 1000.0 / s->clock_rate;
}

void rg_rtp_rx_stats_on_sr(struct rg_rtp_rx_stats *s, uint64_t ntp, uint64_t now_us)
{
  s->lsr = rg_media_ntp_mid32(ntp);
  s->lsr_us = now_us;
}

int rg_rtp_rx_stats_report(struct rg_rtp_rx_stats *s, uint64_t now_us,
                           struct rg_rtcp_report_block *out)
{
  struct rg_rtp_rx_summary sum;
  uint32_t expected_interval, received_interval;
  int64_t lost_interval;
  if (!s->init)
    return RG_ERR_STATE;
  rg_rtp_rx_stats_summary(s, &sum);
  /* A.3: the fraction is over the interval since the previous report. */
  expected_interval = sum.expected - s->expected_prior;
  received_interval = s->received - s->received_prior;
  s->expected_prior = sum.expected;
  s->received_prior = s->received;
  lost_interval = (int64_t)expected_interval - received_interval;
  if (expected_interval == 0 || lost_interval <= 0)
    s->last_fraction = 0;
  else if (lost_interval >= expected_interval)
    s->last_fraction = FRACTION_ALL; /* 256/256 does not fit the 8-bit field */
  else
    s->last_fraction = (uint8_t)((lost_interval << 8) / expected_interval);
  out->ssrc = s->ssrc;
  out->fraction_lost = s->last_fraction;
  out->cumulative_lost = sum.lost;
  out->ext_highest_seq = sum.ext_highest_seq;
  out->jitter = sum.jitter;
  out->lsr = s->lsr;
  out->dlsr = 0;
  if (s->lsr != 0 && now_us >= s->lsr_us)
    out->dlsr = (uint32_t)((now_us - s->lsr_us) * DLSR_UNITS / US_PER_S);
  return RG_OK;
}
