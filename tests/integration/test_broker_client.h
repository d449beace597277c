/* Test helper: a simulated native WebRTC client on a real loopback UDP
 * socket (an rg_transport in ICE controlling mode, its own certificate, SDP
 * built with the rg_sdp builder), and a broker event log. Header-only so each
 * test program stays one file.
 */
#ifndef RTCGATE_TEST_BROKER_CLIENT_H
#define RTCGATE_TEST_BROKER_CLIENT_H

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "io/io_clock.h"
#include "io/io_udp.h"
#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/error.h"
#include "rtcgate/sdp.h"
#include "rtcgate/transport.h"

#define TC_NOW_UNIX 1764000000ull
#define TC_MAX_MEDIA 128
#define TC_MAX_EVENTS 64
#define TC_PAYLOAD_MAX 1200

struct tc_media {
  bool rtcp;
  uint32_t ssrc;
  size_t len;
  uint8_t data[TC_PAYLOAD_MAX + 64];
};

struct tc_client {
  const char *name;
  int fd;
  struct rg_addr addr;
  struct rg_cert *cert;
  struct rg_dtls_ctx *ctx;
  struct rg_fingerprint fp;
  char ufrag[8], pwd[32];
  uint32_t audio_ssrc, video_ssrc;
  uint64_t consent_timeout_us; /* set before tc_client_connect; 0: RFC 7675's 30 s */
  struct rg_transport *t;
  uint16_t broker_port; /* the UDP port of the broker's candidate (tc_client_connect) */
  int events[TC_MAX_EVENTS];
  size_t n_events;
  struct tc_media media[TC_MAX_MEDIA];
  size_t n_media;
};

/* Broker events arrive on the broker's thread. */
struct tc_events {
  pthread_mutex_t mu;
  size_t n;
  struct rg_broker_event ev[TC_MAX_EVENTS];
};

static inline void tc_on_broker_event(void *arg, const struct rg_broker_event *ev)
{
  struct tc_events *e = arg;
  pthread_mutex_lock(&e->mu);
  if (e->n < TC_MAX_EVENTS)
    e->ev[e->n++] = *ev;
  pthread_mutex_unlock(&e->mu);
}

/* The first broker event of type for side, copied into out; false when none yet. */
static inline bool tc_find_event(struct tc_events *e, int type, int side, struct rg_broker_event *out)
{
  bool found = false;
  pthread_mutex_lock(&e->mu);
  for (size_t i = 0; i < e->n && !found; i++)
    if (e->ev[i].type == type && e->ev[i].side == side) {
      found = true;
      if (out)
        *out = e->ev[i];
    }
  pthread_mutex_unlock(&e->mu);
  return found;
}

static inline void tc_client_init(struct tc_client *c, const char *name, const char *ufrag, uint32_t audio,
                                  uint32_t video)
{
  struct rg_addr lo;
  memset(c, 0, sizeof *c);
  c->name = name;
  snprintf(c->ufrag, sizeof c->ufrag, "%s", ufrag);
  snprintf(c->pwd, sizeof c->pwd, "%spassword0123456789abcd", ufrag);
  c->audio_ssrc = audio;
  c->video_ssrc = video;
  assert_int_equal(rg_addr_parse_ip(&lo, "127.0.0.1", 9, 0), RG_OK);
  assert_int_equal(rg_udp_bind(&lo, &c->fd, &c->addr), RG_OK);
  assert_int_equal(rg_cert_generate(&c->cert, RG_CERT_ECDSA_P256, name, strlen(name), TC_NOW_UNIX, 0), RG_OK);
  assert_int_equal(rg_dtls_ctx_new(&c->ctx, c->cert), RG_OK);
  assert_int_equal(rg_cert_fingerprint(c->cert, RG_HASH_SHA256, &c->fp), RG_OK);
}

static inline void tc_client_free(struct tc_client *c)
{
  rg_transport_free(c->t);
  rg_dtls_ctx_free(c->ctx);
  rg_cert_free(c->cert);
  close(c->fd);
}

/* One m-section of the client's SDP: the transport, then the media lines. */
static inline void tc_add_section(struct rg_sdp *s, const struct tc_client *c, const struct rg_fingerprint *fp,
                                  int setup, bool video)
{
  static const char *audio_fmt[] = {"111"}, *video_fmt[] = {"96"};
  struct rg_sdp_media *m;
  struct rg_sdp_transport_spec spec;
  struct rg_sdp_candidate cand;
  char ssrc_line[64];
  uint32_t ssrc = video ? c->video_ssrc : c->audio_ssrc;
  assert_int_equal(rg_sdp_add_media(s, video ? "video" : "audio", c->addr.port, "UDP/TLS/RTP/SAVPF",
                                    video ? video_fmt : audio_fmt, 1, &m), RG_OK);
  assert_int_equal(rg_sdp_set_conn(s, m, "127.0.0.1"), RG_OK);
  memset(&cand, 0, sizeof cand);
  cand.foundation = "1";
  cand.component = 1;
  cand.transport = "udp";
  cand.priority = 2122260223u;
  cand.address = "127.0.0.1";
  cand.port = c->addr.port;
  cand.type = "host";
  memset(&spec, 0, sizeof spec);
  spec.ice_ufrag = c->ufrag;
  spec.ice_pwd = c->pwd;
  spec.n_fingerprints = 1;
  spec.fingerprints = fp;
  spec.setup = setup;
  spec.n_candidates = 1;
  spec.candidates = &cand;
  assert_int_equal(rg_sdp_set_transport(s, m, &spec), RG_OK);
  assert_int_equal(rg_sdp_add_attr(s, m, "mid", video ? "1" : "0"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(s, m, "sendrecv", NULL), RG_OK);
  assert_int_equal(rg_sdp_add_attr(s, m, "rtcp-mux", NULL), RG_OK);
  if (video) {
    assert_int_equal(rg_sdp_add_attr(s, m, "rtpmap", "96 VP8/90000"), RG_OK);
    assert_int_equal(rg_sdp_add_attr(s, m, "rtcp-fb", "96 nack pli"), RG_OK);
  } else {
    assert_int_equal(rg_sdp_add_attr(s, m, "rtpmap", "111 opus/48000/2"), RG_OK);
    assert_int_equal(rg_sdp_add_attr(s, m, "fmtp", "111 minptime=10;useinbandfec=1"), RG_OK);
  }
  assert_int_equal(rg_sdp_add_attr(s, m, "rtcp-fb", video ? "96 transport-cc" : "111 transport-cc"), RG_OK);
  if (ssrc) {
    snprintf(ssrc_line, sizeof ssrc_line, "%u cname:%s", (unsigned)ssrc, c->name);
    assert_int_equal(rg_sdp_add_attr(s, m, "ssrc", ssrc_line), RG_OK);
  }
}

/* The client's offer (setup actpass) or answer (setup active), audio + video,
 * BUNDLE, rtcp-mux. fp: what the SDP claims (normally the client's own). */
static inline char *tc_client_sdp(const struct tc_client *c, const struct rg_fingerprint *fp, int setup)
{
  struct rg_sdp *s;
  size_t len;
  char *text;
  assert_int_equal(rg_sdp_new(&s, "4242"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(s, NULL, "group", "BUNDLE 0 1"), RG_OK);
  tc_add_section(s, c, fp, setup, false);
  tc_add_section(s, c, fp, setup, true);
  len = rg_sdp_write_len(s);
  text = malloc(len + 1);
  assert_non_null(text);
  assert_int_equal(rg_sdp_write(s, text, len + 1, &len), RG_OK);
  rg_sdp_free(s);
  return text;
}

/* Creates the client's transport toward the broker from the broker's SDP. */
static inline void tc_client_connect(struct tc_client *c, const char *broker_sdp, int dtls_role)
{
  struct rg_sdp *s;
  struct rg_sdp_error e;
  struct rg_sdp_transport tr;
  const struct rg_sdp_attr *cand;
  struct rg_ice_candidate ic;
  struct rg_transport_config tc;
  struct rg_ssrc_entry allow[8];
  uint32_t ids[8];
  size_t n = 0;
  assert_int_equal(rg_sdp_parse(broker_sdp, strlen(broker_sdp), 0, &s, &e), RG_OK);
  assert_int_equal(rg_sdp_media_transport(s, 0, &tr), RG_OK);
  cand = rg_sdp_attr_find(&s->media[0]->attrs, RG_SDP_ATTR_CANDIDATE, NULL);
  assert_non_null(cand);
  ic.addr = cand->u.candidate.addr;
  ic.addr.port = cand->u.candidate.port;
  ic.priority = cand->u.candidate.priority;
  c->broker_port = ic.addr.port;
  assert_int_equal(ic.addr.family, RG_AF_INET4);
  memset(&tc, 0, sizeof tc);
  tc.ice_mode = RG_TRANSPORT_ICE_CONTROLLING;
  tc.creds = (struct rg_ice_credentials){c->ufrag, strlen(c->ufrag), c->pwd, strlen(c->pwd),
                                         tr.ice_ufrag, strlen(tr.ice_ufrag), tr.ice_pwd, strlen(tr.ice_pwd)};
  tc.remote_candidates = &ic;
  tc.n_remote_candidates = 1;
  tc.tie_breaker = 0x0102030405060708ull ^ c->addr.port;
  tc.consent_timeout_us = c->consent_timeout_us;
  rg_dtls_config_init(&tc.dtls, dtls_role);
  for (size_t i = 0; i < tr.n_fingerprints; i++)
    assert_int_equal(rg_dtls_config_add_fingerprint(&tc.dtls, &tr.fingerprints[i]), RG_OK);
  tc.dtls_ctx = c->ctx;
  /* The peer's SSRCs, as the broker's SDP announces them. */
  assert_int_equal(rg_sdp_ssrcs(s, ids, 8, &n), RG_OK);
  for (size_t i = 0; i < n; i++)
    allow[i] = (struct rg_ssrc_entry){.ssrc = ids[i], .kind = RG_MEDIA_AUDIO};
  tc.remote_ssrcs = allow;
  tc.n_remote_ssrcs = n;
  assert_int_equal(rg_transport_new(&c->t, &tc, rg_io_now_us()), RG_OK);
  rg_sdp_free(s);
}

static inline bool tc_saw(const struct tc_client *c, int type)
{
  for (size_t i = 0; i < c->n_events; i++)
    if (c->events[i] == type)
      return true;
  return false;
}

static inline void tc_drain(struct tc_client *c)
{
  uint8_t buf[2048];
  struct rg_transport_output out;
  for (int guard = 0; guard < 256; guard++) {
    assert_int_equal(rg_transport_poll(c->t, &out, buf, sizeof buf), RG_OK);
    if (out.kind == RG_TRANSPORT_OUT_NONE)
      return;
    if (out.kind == RG_TRANSPORT_OUT_EVENT) {
      if (c->n_events < TC_MAX_EVENTS)
        c->events[c->n_events++] = out.ev.type;
      continue;
    }
    (void)rg_udp_sendto(c->fd, buf, out.len, &out.dest);
  }
}

static inline void tc_receive(struct tc_client *c)
{
  uint8_t buf[2048];
  for (int guard = 0; guard < 256; guard++) {
    struct rg_transport_media m;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct rg_addr from;
    ssize_t n = recvfrom(c->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
    if (n < 0)
      return;
    assert_int_equal(rg_udp_addr_from_sockaddr(&from, (struct sockaddr *)&ss, sl), RG_OK);
    if (!c->t)
      continue;
    if (rg_transport_handle_datagram(c->t, rg_io_now_us(), &from, buf, (size_t)n, &m) == 1 &&
        c->n_media < TC_MAX_MEDIA && m.len <= sizeof c->media[0].data) {
      struct tc_media *r = &c->media[c->n_media++];
      r->rtcp = m.rtcp;
      r->ssrc = m.ssrc;
      r->len = m.len;
      memcpy(r->data, m.data, m.len);
    }
  }
}

/* Drives the clients' transports and sockets until done(arg) or max_ms. */
static inline bool tc_pump(struct tc_client **cs, size_t n, unsigned max_ms, bool (*done)(void *), void *arg)
{
  uint64_t end = rg_io_now_us() + (uint64_t)max_ms * 1000u;
  struct pollfd pfd[4];
  assert_true(n <= 4);
  for (;;) {
    uint64_t now = rg_io_now_us(), next = end;
    for (size_t i = 0; i < n; i++) {
      if (!cs[i]->t)
        continue;
      if (rg_transport_next_timeout(cs[i]->t) <= now)
        rg_transport_handle_timeout(cs[i]->t, now);
      tc_drain(cs[i]);
      if (rg_transport_next_timeout(cs[i]->t) < next)
        next = rg_transport_next_timeout(cs[i]->t);
    }
    if (done && done(arg))
      return true;
    if (now >= end)
      return false;
    for (size_t i = 0; i < n; i++)
      pfd[i] = (struct pollfd){.fd = cs[i]->fd, .events = POLLIN};
    int wait = next > now ? (int)((next - now + 999) / 1000) : 0;
    if (wait > 20)
      wait = 20; /* also re-check done() often */
    (void)poll(pfd, n, wait);
    for (size_t i = 0; i < n; i++)
      tc_receive(cs[i]);
  }
}

/* A minimal RTP packet: V=2, given PT, SSRC, sequence number, a patterned payload. */
static inline size_t tc_rtp(uint8_t *buf, uint8_t pt, uint32_t ssrc, uint16_t seq, size_t payload)
{
  buf[0] = 0x80;
  buf[1] = pt;
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  memset(buf + 4, 0, 4);
  buf[8] = (uint8_t)(ssrc >> 24);
  buf[9] = (uint8_t)(ssrc >> 16);
  buf[10] = (uint8_t)(ssrc >> 8);
  buf[11] = (uint8_t)ssrc;
  for (size_t i = 0; i < payload; i++)
    buf[12 + i] = (uint8_t)(i * 13 + seq + pt);
  return 12 + payload;
}

/* RTCP receiver report without report blocks, plus a PLI (RFC 4585 §6.3.1) for media_ssrc. */
static inline size_t tc_rtcp_rr_pli(uint8_t *buf, uint32_t ssrc, uint32_t media_ssrc)
{
  const uint8_t rr[8] = {0x80, 201, 0, 1, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8),
                         (uint8_t)ssrc};
  const uint8_t pli[12] = {0x81, 206, 0, 2,
                           (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc,
                           (uint8_t)(media_ssrc >> 24), (uint8_t)(media_ssrc >> 16), (uint8_t)(media_ssrc >> 8),
                           (uint8_t)media_ssrc};
  memcpy(buf, rr, sizeof rr);
  memcpy(buf + sizeof rr, pli, sizeof pli);
  return sizeof rr + sizeof pli;
}

/* Protects and sends one plaintext packet; returns the protect result. */
static inline int tc_send(struct tc_client *c, const uint8_t *pkt, size_t len, bool rtcp)
{
  uint8_t buf[2048];
  struct rg_addr dest;
  int n;
  memcpy(buf, pkt, len);
  n = rtcp ? rg_transport_protect_rtcp(c->t, buf, len, sizeof buf, &dest)
           : rg_transport_protect_rtp(c->t, buf, len, sizeof buf, &dest);
  if (n > 0)
    assert_int_equal(rg_udp_sendto(c->fd, buf, (size_t)n, &dest), RG_OK);
  return n;
}

/* The first received media packet with this SSRC and kind, or NULL. */
static inline const struct tc_media *tc_got(const struct tc_client *c, uint32_t ssrc, bool rtcp)
{
  for (size_t i = 0; i < c->n_media; i++)
    if (c->media[i].ssrc == ssrc && c->media[i].rtcp == rtcp)
      return &c->media[i];
  return NULL;
}

#endif
