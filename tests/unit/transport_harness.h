/* Test harness: two rg_transports wired together on a virtual clock.
 *
 * A "broker" (ICE-lite) and a "client" (ICE controlling) exchange datagrams
 * through a simulated network with 1 ms latency and scripted loss; nothing
 * touches a socket or the real clock, so a whole ICE + DTLS + SRTP exchange
 * runs in milliseconds. Header-only so each test program stays one file.
 */
#ifndef RTCGATE_TEST_TRANSPORT_HARNESS_H
#define RTCGATE_TEST_TRANSPORT_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/error.h"
#include "rtcgate/transport.h"

#define H_MAX_INFLIGHT 256
#define H_MAX_EVENTS 64
#define H_LATENCY_US 1000ull
#define H_NOW0_UNIX 1764000000ull /* certificates' notion of "now" (late 2025) */

#define H_CLIENT_AUDIO 0x11111111u
#define H_CLIENT_VIDEO 0x22222222u
#define H_BROKER_AUDIO 0x33333333u

struct h_datagram {
  int to; /* 0 broker, 1 client */
  uint64_t at;
  struct rg_addr from;
  size_t len;
  uint8_t data[1500];
};

struct h_side {
  struct rg_transport *t;
  struct rg_addr addr;
  struct rg_cert *cert;
  struct rg_dtls_ctx *ctx;
  int events[H_MAX_EVENTS];
  struct rg_transport_event last[RG_TRANSPORT_EV_FAILED + 1];
  size_t n_events;
  uint64_t media_in;
  uint64_t tx_datagrams;
};

struct harness {
  uint64_t now;
  struct h_side side[2]; /* [0] broker (lite), [1] client (controlling) */
  struct h_datagram q[H_MAX_INFLIGHT];
  size_t nq;
  unsigned loss_pct; /* datagrams lost, by a deterministic generator */
  uint64_t rng;
  bool cut; /* deliver nothing */
  uint64_t lost;
  /* Called after every step of h_run, once both sides have drained. */
  void (*each_step)(struct harness *h);
};

static inline uint32_t h_rand(struct harness *h)
{
  h->rng = h->rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(h->rng >> 33);
}

struct h_options {
  int broker_dtls_role;          /* RG_DTLS_SERVER or RG_DTLS_CLIENT */
  bool client_expects_wrong_fp;  /* client's SDP view of the broker's cert is wrong */
  bool broker_expects_wrong_fp;  /* broker's SDP view of the client's cert is wrong */
  int profile;                   /* 0: default order; else force one profile */
  uint64_t consent_timeout_us;   /* both sides; 0: RFC 7675's 30 s */
  uint32_t client_srtp_streams;  /* client's SRTP stream cap; 0: the default */
};

static inline void h_addr(struct rg_addr *a, const char *ip, uint16_t port)
{
  assert_int_equal(rg_addr_parse_ip(a, ip, strlen(ip), port), RG_OK);
}

static inline void h_init(struct harness *h, const struct h_options *o)
{
  static const char bu[] = "brkr", bp[] = "brokerpassword0123456789";
  static const char cu[] = "clnt", cp[] = "clientpassword0123456789";
  struct rg_fingerprint fp[2];
  memset(h, 0, sizeof *h);
  h->now = 1000000;
  h->rng = 42;
  h_addr(&h->side[0].addr, "127.0.0.1", 10000);
  h_addr(&h->side[1].addr, "127.0.0.1", 40000);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(rg_cert_generate(&h->side[i].cert, RG_CERT_ECDSA_P256, i ? "client" : "broker", i ? 6 : 6,
                                      H_NOW0_UNIX, 0), RG_OK);
    assert_int_equal(rg_dtls_ctx_new(&h->side[i].ctx, h->side[i].cert), RG_OK);
    assert_int_equal(rg_cert_fingerprint(h->side[i].cert, RG_HASH_SHA256, &fp[i]), RG_OK);
  }

  for (int i = 0; i < 2; i++) {
    struct rg_transport_config c;
    struct rg_fingerprint peer_fp = fp[1 - i];
    static struct rg_ssrc_entry broker_allows[2], client_allows[1];
    struct rg_ice_candidate cand;
    memset(&c, 0, sizeof c);
    broker_allows[0] = (struct rg_ssrc_entry){.ssrc = H_CLIENT_AUDIO, .kind = RG_MEDIA_AUDIO};
    broker_allows[1] = (struct rg_ssrc_entry){.ssrc = H_CLIENT_VIDEO, .kind = RG_MEDIA_VIDEO};
    client_allows[0] = (struct rg_ssrc_entry){.ssrc = H_BROKER_AUDIO, .kind = RG_MEDIA_AUDIO};
    if ((i == 1 && o->client_expects_wrong_fp) || (i == 0 && o->broker_expects_wrong_fp))
      peer_fp.value[0] ^= 0x5a;
    if (i == 0) {
      c.ice_mode = RG_TRANSPORT_ICE_LITE;
      c.creds = (struct rg_ice_credentials){bu, 4, bp, strlen(bp), cu, 4, cp, strlen(cp)};
      rg_dtls_config_init(&c.dtls, o->broker_dtls_role);
      c.remote_ssrcs = broker_allows;
      c.n_remote_ssrcs = 2;
    } else {
      c.ice_mode = RG_TRANSPORT_ICE_CONTROLLING;
      c.creds = (struct rg_ice_credentials){cu, 4, cp, strlen(cp), bu, 4, bp, strlen(bp)};
      cand.addr = h->side[0].addr;
      cand.priority = 2130706431u;
      c.remote_candidates = &cand;
      c.n_remote_candidates = 1;
      c.tie_breaker = 0x1122334455667788ull;
      c.seeded = true;
      c.seed = 7;
      rg_dtls_config_init(&c.dtls, o->broker_dtls_role == RG_DTLS_SERVER ? RG_DTLS_CLIENT : RG_DTLS_SERVER);
      c.remote_ssrcs = client_allows;
      c.n_remote_ssrcs = 1;
    }
    if (o->profile) {
      c.dtls.srtp_profiles[0] = o->profile;
      c.dtls.n_srtp_profiles = 1;
    }
    assert_int_equal(rg_dtls_config_add_fingerprint(&c.dtls, &peer_fp), RG_OK);
    c.dtls_ctx = h->side[i].ctx;
    c.consent_timeout_us = o->consent_timeout_us;
    if (i == 1)
      c.srtp_max_streams = o->client_srtp_streams;
    assert_int_equal(rg_transport_new(&h->side[i].t, &c, h->now), RG_OK);
  }
}

static inline void h_free(struct harness *h)
{
  for (int i = 0; i < 2; i++) {
    rg_transport_free(h->side[i].t);
    rg_dtls_ctx_free(h->side[i].ctx);
    rg_cert_free(h->side[i].cert);
  }
}

static inline bool h_saw(const struct h_side *s, int type)
{
  for (size_t i = 0; i < s->n_events; i++)
    if (s->events[i] == type)
      return true;
  return false;
}

/* Drains one side's outputs into the network and its event log. */
static inline void h_drain(struct harness *h, int i)
{
  struct h_side *s = &h->side[i];
  uint8_t buf[1500];
  struct rg_transport_output out;
  for (int guard = 0; guard < 1000; guard++) {
    assert_int_equal(rg_transport_poll(s->t, &out, buf, sizeof buf), RG_OK);
    if (out.kind == RG_TRANSPORT_OUT_NONE)
      return;
    if (out.kind == RG_TRANSPORT_OUT_EVENT) {
      if (s->n_events < H_MAX_EVENTS)
        s->events[s->n_events++] = out.ev.type;
      if (out.ev.type > 0 && out.ev.type <= RG_TRANSPORT_EV_FAILED)
        s->last[out.ev.type] = out.ev;
      continue;
    }
    s->tx_datagrams++;
    /* Every datagram goes to the other side's address: the harness is the wire. */
    assert_true(rg_addr_equal(&out.dest, &h->side[1 - i].addr));
    assert_true(out.len <= sizeof h->q[0].data);
    if (h->cut || (h->loss_pct && h_rand(h) % 100 < h->loss_pct) || h->nq == H_MAX_INFLIGHT) {
      h->lost++;
      continue;
    }
    struct h_datagram *d = &h->q[h->nq++];
    d->to = 1 - i;
    d->at = h->now + H_LATENCY_US;
    d->from = s->addr;
    d->len = out.len;
    memcpy(d->data, buf, out.len);
  }
  fail_msg("poll did not drain");
}

static inline void h_deliver_due(struct harness *h)
{
  size_t k = 0;
  while (k < h->nq) {
    if (h->q[k].at > h->now) {
      k++;
      continue;
    }
    struct h_datagram d = h->q[k];
    h->q[k] = h->q[--h->nq];
    struct rg_transport_media m;
    int r = rg_transport_handle_datagram(h->side[d.to].t, h->now, &d.from, d.data, d.len, &m);
    if (r == 1)
      h->side[d.to].media_in++;
  }
}

/* Runs the network until `until` (virtual µs) or until both sides are READY
 * when stop_when_ready. Bounded by the virtual time given. */
static inline void h_run(struct harness *h, uint64_t duration_us, bool stop_when_ready)
{
  uint64_t end = h->now + duration_us;
  for (int guard = 0; guard < 200000 && h->now <= end; guard++) {
    for (int i = 0; i < 2; i++) {
      if (rg_transport_next_timeout(h->side[i].t) <= h->now)
        rg_transport_handle_timeout(h->side[i].t, h->now);
      h_drain(h, i);
    }
    h_deliver_due(h);
    for (int i = 0; i < 2; i++)
      h_drain(h, i);
    if (h->each_step)
      h->each_step(h);
    if (stop_when_ready && rg_transport_state(h->side[0].t) == RG_TRANSPORT_READY &&
        rg_transport_state(h->side[1].t) == RG_TRANSPORT_READY && h->nq == 0)
      return;
    /* Advance to the next thing that happens. */
    uint64_t next = end + 1;
    for (size_t k = 0; k < h->nq; k++)
      if (h->q[k].at < next)
        next = h->q[k].at;
    for (int i = 0; i < 2; i++) {
      uint64_t t = rg_transport_next_timeout(h->side[i].t);
      if (t < next)
        next = t;
    }
    h->now = next > h->now ? next : h->now + 1;
  }
}

/* A minimal RTP packet: V=2, PT 111, given SSRC and sequence number. */
static inline size_t h_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload)
{
  memset(buf, 0, 12 + payload);
  buf[0] = 0x80;
  buf[1] = 111;
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  buf[4] = 0, buf[5] = 0, buf[6] = (uint8_t)(seq >> 8), buf[7] = (uint8_t)seq;
  buf[8] = (uint8_t)(ssrc >> 24);
  buf[9] = (uint8_t)(ssrc >> 16);
  buf[10] = (uint8_t)(ssrc >> 8);
  buf[11] = (uint8_t)ssrc;
  for (size_t i = 0; i < payload; i++)
    buf[12 + i] = (uint8_t)(i * 7 + seq);
  return 12 + payload;
}

/* An RTCP receiver report with no report blocks from ssrc. */
static inline size_t h_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
  buf[0] = 0x80;
  buf[1] = 201;
  buf[2] = 0;
  buf[3] = 1;
  buf[4] = (uint8_t)(ssrc >> 24);
  buf[5] = (uint8_t)(ssrc >> 16);
  buf[6] = (uint8_t)(ssrc >> 8);
  buf[7] = (uint8_t)ssrc;
  return 8;
}

#endif
