/* librtcgate-client: the call's media once the transport is secured — audio
 * frames (or raw load payloads) out every 20 ms, RTP in through the jitter
 * buffer to the decoder and the recorder, RTCP SR/RR + SDES about once a
 * second. Packetizer, receive statistics, jitter buffer and RTCP writers are
 * the media layer's (media_internal.h); this file wires them to the call. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"
#include "rtcgate/rtp.h"

static uint64_t ntp_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rg_media_ntp_from_unix_us((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

static void put_be64(uint8_t *p, uint64_t v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

int cl_audio_prepare(struct rg_client *c, int codec)
{
  const struct rg_codec_ops *ops = codec == RG_CLIENT_CODEC_PCMU ? &rg_codec_pcmu : &rg_codec_opus;
  if (c->send_wav && c->wav_rate != ops->sample_rate) {
    int rc;
    rg_pcm_free(&c->wav);
    rc = rg_wav_read_file(c->send_wav, ops->sample_rate, &c->wav);
    if (rc)
      return rc;
    c->wav_rate = ops->sample_rate;
  }
  return RG_OK;
}

/* Protects plaintext RTP/RTCP in buf (len of cap) and sends it. */
static void send_protected(struct rg_client *c, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
  struct rg_addr dest;
  int n = rtcp ? rg_transport_protect_rtcp(c->call.t, buf, len, cap, &dest)
               : rg_transport_protect_rtp(c->call.t, buf, len, cap, &dest);
  if (n > 0)
    cl_udp_send(c, buf, (size_t)n, &dest);
}

/* One frame's payload: encoded audio, or a raw load payload. */
static int next_payload(struct rg_client *c, uint64_t now, uint8_t *out, size_t cap, size_t *len,
                        uint32_t *samples)
{
  struct cl_call *k = &c->call;
  if (c->cfg.raw_payload) {
    size_t n = c->cfg.raw_payload;
    if (n > cap)
      return RG_ERR_BUFFER;
    put_be64(out, now); /* one-way delay: sender and receiver share this host's monotonic clock */
    out[8] = (uint8_t)(k->raw_seq >> 24);
    out[9] = (uint8_t)(k->raw_seq >> 16);
    out[10] = (uint8_t)(k->raw_seq >> 8);
    out[11] = (uint8_t)k->raw_seq;
    for (size_t i = 12; i < n; i++)
      out[i] = (uint8_t)(i + k->raw_seq);
    k->raw_seq++;
    *len = n;
    *samples = k->ops->clock_rate / (c->cfg.raw_pps ? c->cfg.raw_pps : 50);
    return RG_OK;
  }
  int16_t pcm[RG_AUDIO_MAX_FRAME_SAMPLES];
  unsigned fs = k->ops->frame_samples;
  if (c->cfg.send_wav) {
    size_t have = k->wav_pos < c->wav.n ? c->wav.n - k->wav_pos : 0;
    size_t take = have < fs ? have : fs;
    if (take)
      memcpy(pcm, c->wav.samples + k->wav_pos, take * sizeof pcm[0]);
    memset(pcm + take, 0, (fs - take) * sizeof pcm[0]); /* silence after the file's end */
    k->wav_pos += take;
  } else if (c->cfg.tone_hz > 0) {
    rg_tone_fill(&k->tone, pcm, fs);
  } else {
    memset(pcm, 0, fs * sizeof pcm[0]);
  }
  *samples = fs * (k->ops->clock_rate / k->ops->sample_rate);
  return rg_codec_encode(k->codec, pcm, fs, out, cap, len);
}

void cl_rtp_send_due(struct rg_client *c, uint64_t now)
{
  struct cl_call *k = &c->call;
  uint64_t interval = c->cfg.raw_payload ? 1000000u / (c->cfg.raw_pps ? c->cfg.raw_pps : 50) : CL_FRAME_US;
  for (int i = 0; i < CL_SEND_CATCHUP_MAX && k->t && k->next_send <= now; i++) {
    uint8_t payload[RG_AUDIO_MAX_PAYLOAD], pkt[CL_DGRAM_MAX];
    size_t plen = 0, len = 0;
    uint32_t samples = 0;
    k->next_send += interval;
    if (next_payload(c, now, payload, sizeof payload, &plen, &samples) != RG_OK)
      continue;
    if (rg_rtp_tx_packetize(&k->tx, now, payload, plen, samples, pkt, CL_PKT_MAX, &len) != RG_OK)
      continue;
    k->rtp_sent++;
    k->rtp_bytes_sent += plen;
    send_protected(c, pkt, len, sizeof pkt, false);
  }
  if (k->t && k->next_send + interval <= now)
    k->next_send = now + interval; /* far behind (stopped process?): skip rather than burst */
}

static void deliver(struct rg_client *c, const int16_t *pcm, size_t n)
{
  struct rg_client_event ev;
  if (c->call.recording)
    (void)rg_wav_writer_append(&c->call.rec, pcm, n);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_AUDIO;
  ev.call_id = c->call.id;
  ev.pcm = pcm;
  ev.n_samples = n;
  ev.rate = c->call.ops->sample_rate;
  cl_emit(c, &ev);
}

/* The 20 ms playout tick: one frame from the jitter buffer, decoded or
 * concealed. */
void cl_rtp_play_due(struct rg_client *c, uint64_t now)
{
  struct cl_call *k = &c->call;
  for (int i = 0; i < CL_SEND_CATCHUP_MAX && k->t && k->next_play <= now; i++) {
    struct rg_jb_frame f;
    int16_t pcm[RG_AUDIO_MAX_FRAME_SAMPLES];
    size_t n = 0;
    int rc;
    k->next_play += CL_FRAME_US;
    if (rg_jb_pop(&k->jb, now, &f) != RG_OK)
      continue;
    rc = f.lost ? rg_codec_plc(k->codec, pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &n)
                : rg_codec_decode(k->codec, f.data, f.len, pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &n);
    if (rc == RG_OK && n)
      deliver(c, pcm, n);
    if (!k->t)
      return; /* the callback hung up */
  }
  if (k->t && k->next_play + CL_FRAME_US <= now)
    k->next_play = now + CL_FRAME_US;
}

void cl_rtp_on_rtp(struct rg_client *c, uint64_t now, const uint8_t *pkt, size_t len)
{
  struct cl_call *k = &c->call;
  struct rg_rtp_view v;
  if (rg_rtp_parse(pkt, len, &v) != RG_OK || v.payload_type != k->pt) {
    k->dropped++;
    return;
  }
  k->rtp_received++;
  k->rtp_bytes_received += v.payload_len;
  (void)rg_rtp_rx_stats_update(&k->rx, v.ssrc, v.seq, v.timestamp, now);
  if (c->cfg.raw_payload) {
    if (v.payload_len >= 8 && c->delay_hist) {
      uint64_t sent = get_be64(rg_rtp_payload(&v));
      cl_hist_add(c->delay_hist, now > sent ? now - sent : 0);
    }
    return;
  }
  if (rg_jb_push(&k->jb, v.seq, v.timestamp, v.marker, rg_rtp_payload(&v), v.payload_len, now) != RG_OK)
    k->late++;
}

void cl_rtcp_send(struct rg_client *c, uint64_t now)
{
  struct cl_call *k = &c->call;
  uint8_t buf[CL_DGRAM_MAX];
  struct rg_rtcp_report_block rb;
  unsigned nb = rg_rtp_rx_stats_report(&k->rx, now, &rb) == RG_OK ? 1 : 0;
  size_t len = 0, sdes = 0;
  uint64_t ntp = ntp_now();
  int rc;
  uint16_t jitter_r;
  if (k->tx.sent_any) {
    struct rg_rtcp_sender_info si;
    rg_rtp_tx_sender_info(&k->tx, now, ntp, &si);
    rc = rg_media_rtcp_write_sr(buf, CL_PKT_MAX, k->ssrc, &si, &rb, nb, &len);
  } else {
    rc = rg_media_rtcp_write_rr(buf, CL_PKT_MAX, k->ssrc, &rb, nb, &len);
  }
  if (rc != RG_OK)
    return;
  /* RFC 3550 §6.1: every compound carries an SDES CNAME. */
  if (rg_media_rtcp_write_sdes(buf + len, CL_PKT_MAX - len, k->ssrc, c->user, strlen(c->user), &sdes) != RG_OK)
    return;
  len += sdes;
  k->rtcp_sent++;
  send_protected(c, buf, len, sizeof buf, true);
  /* RFC 3550 §6.3.5: randomise the interval to [0.5, 1.5] of the mean. */
  cl_rand(&jitter_r, sizeof jitter_r);
  k->next_rtcp = now + CL_RTCP_INTERVAL_US / 2 + (CL_RTCP_INTERVAL_US * jitter_r) / 65536u;
}

void cl_rtcp_on_rtcp(struct rg_client *c, uint64_t now, const uint8_t *pkt, size_t len)
{
  struct cl_call *k = &c->call;
  k->rtcp_received++;
  (void)rg_media_rtcp_receive(pkt, len, now, ntp_now(), k->ssrc, &k->rx, &k->remote);
}

void cl_rx_fill_stats(struct rg_client *c)
{
  struct cl_call *k = &c->call;
  struct rg_client_stats *st = &c->st;
  struct rg_transport_stats ts;
  if (!k->ops)
    return;
  snprintf(st->codec, sizeof st->codec, "%s", k->ops->name);
  st->packets_sent = k->rtp_sent;
  st->bytes_sent = k->rtp_bytes_sent;
  st->packets_received = k->rtp_received;
  st->bytes_received = k->rtp_bytes_received;
  st->packets_late = k->late;
  st->rtcp_sent = k->rtcp_sent;
  st->rtcp_received = k->rtcp_received;
  if (k->rx.init) {
    struct rg_rtp_rx_summary sum;
    rg_rtp_rx_stats_summary(&k->rx, &sum);
    st->packets_lost = sum.lost;
    st->jitter_ms = sum.jitter_ms;
  }
  st->have_remote_report = k->remote.valid;
  if (k->remote.valid) {
    st->remote_fraction_lost = k->remote.fraction_lost / 256.0;
    st->remote_packets_lost = k->remote.cumulative_lost;
    st->remote_jitter_ms = k->ops->clock_rate ? k->remote.jitter * 1000.0 / k->ops->clock_rate : 0;
    st->rtt_ms = k->remote.have_rtt ? k->remote.rtt_us / 1000.0 : -1;
  }
  if (k->t) {
    rg_transport_get_stats(k->t, &ts);
    st->packets_dropped = k->dropped;
    if (ts.media)
      for (int i = 0; i < RG_SSRC_VERDICT_COUNT; i++)
        st->packets_dropped += ts.media->dropped[i];
  }
}
