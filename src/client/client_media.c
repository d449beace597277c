/* librtcgate-client: the call's transport toward the broker — ICE
 * controlling toward the broker's one candidate, DTLS in the role the SDP
 * gave, the broker's fingerprint checked by the transport — and its events. */
#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"
#include "rtcgate/srtp_profile.h"

#define TONE_AMPLITUDE_DEFAULT 0.3

/* Our media socket must be able to reach the broker's candidate (with no
 * media_ip given it has just followed the broker, cl_media_socket_follow).
 * Otherwise every ICE check would fail to send and the call would die at the
 * broker's setup timeout (10 s) with no cause given; here it fails at once,
 * saying why. */
static int check_reachable(struct rg_client *c, const struct rg_addr *broker, char *err, size_t err_cap)
{
  char to[RG_ADDR_STRLEN], from[RG_ADDR_STRLEN];
  cl_media_socket_follow(c, broker);
  if (rg_udp_can_reach(&c->local, broker))
    return RG_OK;
  rg_addr_format(broker, to, sizeof to);
  rg_addr_format(&c->local, from, sizeof from);
  /* The cause first: the message may be cut at RG_CLIENT_TEXT_MAX. */
  snprintf(err, err_cap, "media_ip cannot reach the broker at %s (socket %s): set it to a local %s address", to, from,
           broker->family == RG_AF_INET6 ? "IPv6" : "IPv4");
  return RG_ERR_INVAL;
}

int cl_media_start(struct rg_client *c, const struct cl_remote_media *rm, int codec, uint8_t pt, int dtls_role,
                   uint64_t now, char *err, size_t err_cap)
{
  struct cl_call *k = &c->call;
  struct rg_transport_config tc;
  struct rg_ice_candidate cand;
  struct rg_ssrc_entry allow[RG_TRANSPORT_MAX_SSRCS];
  uint16_t seq0;
  uint32_t ts0;
  int rc;
  if ((rc = check_reachable(c, &rm->cand, err, err_cap)) != RG_OK)
    return rc;
  if ((rc = cl_audio_prepare(c, codec)) != RG_OK) {
    snprintf(err, err_cap, "cannot read %s: %s", c->send_wav, rg_strerror(rc));
    return rc;
  }
  k->ops = codec == RG_CLIENT_CODEC_PCMU ? &rg_codec_pcmu : &rg_codec_opus;
  k->pt = pt;
  if ((rc = rg_codec_new(k->ops, &k->codec)) != RG_OK) {
    snprintf(err, err_cap, "cannot start the %s codec: %s", k->ops->name, rg_strerror(rc));
    return rc;
  }
  memset(&tc, 0, sizeof tc);
  tc.ice_mode = RG_TRANSPORT_ICE_CONTROLLING;
  tc.creds = (struct rg_ice_credentials){k->ufrag, strlen(k->ufrag), k->pwd, strlen(k->pwd),
                                         rm->ufrag, strlen(rm->ufrag), rm->pwd, strlen(rm->pwd)};
  cand.addr = rm->cand;
  cand.priority = rm->cand_priority;
  tc.remote_candidates = &cand;
  tc.n_remote_candidates = 1;
  cl_rand(&tc.tie_breaker, sizeof tc.tie_breaker);
  tc.dtls_ctx = c->dtls_ctx;
  rg_dtls_config_init(&tc.dtls, dtls_role);
  for (size_t i = 0; i < rm->n_fps; i++)
    (void)rg_dtls_config_add_fingerprint(&tc.dtls, &rm->fps[i]);
  memset(allow, 0, sizeof allow);
  for (size_t i = 0; i < rm->n_ssrcs; i++) {
    allow[i].ssrc = rm->ssrcs[i];
    allow[i].kind = RG_MEDIA_AUDIO;
  }
  tc.remote_ssrcs = allow;
  tc.n_remote_ssrcs = rm->n_ssrcs;
  if ((rc = rg_transport_new(&k->t, &tc, now)) != RG_OK) {
    snprintf(err, err_cap, "cannot start the transport: %s", rg_strerror(rc));
    return rc;
  }
  cl_rand(&seq0, sizeof seq0);
  cl_rand(&ts0, sizeof ts0);
  rg_rtp_tx_init(&k->tx, k->ssrc, pt, k->ops->clock_rate, seq0, ts0);
  rg_rtp_rx_stats_init(&k->rx, k->ops->clock_rate);
  rg_jb_init(&k->jb, RG_JB_DEFAULT_DELAY_MS);
  if (c->cfg.tone_hz > 0 &&
      rg_tone_init(&k->tone, c->cfg.tone_hz, c->cfg.tone_amplitude > 0 ? c->cfg.tone_amplitude : TONE_AMPLITUDE_DEFAULT,
                   k->ops->sample_rate) != RG_OK) {
    snprintf(err, err_cap, "tone %.1f Hz is not below half of %u Hz", c->cfg.tone_hz, (unsigned)k->ops->sample_rate);
    return RG_ERR_INVAL;
  }
  if (c->record_wav && !c->cfg.raw_payload) {
    if ((rc = rg_wav_writer_open(&k->rec, c->record_wav, k->ops->sample_rate)) != RG_OK) {
      snprintf(err, err_cap, "cannot write %s: %s", c->record_wav, rg_strerror(rc));
      return rc;
    }
    k->recording = true;
  }
  k->next_send = k->next_rtcp = k->next_play = UINT64_MAX;
  k->state = CL_CALL_MEDIA;
  snprintf(c->st.codec, sizeof c->st.codec, "%s", k->ops->name);
  return RG_OK;
}

void cl_media_stop(struct rg_client *c, uint64_t now)
{
  struct cl_call *k = &c->call;
  cl_rx_fill_stats(c);
  if (k->t) {
    uint8_t buf[CL_DGRAM_MAX];
    struct rg_transport_output out;
    /* close_notify out, so the broker frees the leg at once; events dropped. */
    if (rg_transport_close(k->t, now) == RG_OK)
      for (int guard = 0; guard < 64; guard++) {
        if (rg_transport_poll(k->t, &out, buf, sizeof buf) != RG_OK || out.kind == RG_TRANSPORT_OUT_NONE)
          break;
        if (out.kind == RG_TRANSPORT_OUT_TRANSMIT)
          cl_udp_send(c, buf, out.len, &out.dest);
      }
    rg_transport_free(k->t);
    k->t = NULL;
  }
  if (k->codec) {
    rg_codec_free(k->codec);
    k->codec = NULL;
  }
  if (k->recording) {
    (void)rg_wav_writer_close(&k->rec);
    k->recording = false;
  }
}

static void on_secured(struct rg_client *c, const struct rg_transport_event *e, uint64_t now)
{
  struct cl_call *k = &c->call;
  const struct rg_srtp_profile_info *pi = rg_srtp_profile_info(e->srtp_profile);
  const char *pname = pi ? pi->rfc_name : "unknown"; /* as the broker reports it */
  struct rg_client_event ev;
  k->secured = true;
  k->t_secured = now;
  c->st.secured = true;
  snprintf(c->st.dtls_version, sizeof c->st.dtls_version, "%s", e->version); /* "DTLS 1.2", from the core */
  snprintf(c->st.dtls_cipher, sizeof c->st.dtls_cipher, "%s", e->cipher);
  snprintf(c->st.srtp_profile, sizeof c->st.srtp_profile, "%s", pname);
  c->st.setup_us = now - k->t_start;
  k->next_send = now;
  k->next_play = now + CL_FRAME_US;
  k->next_rtcp = now + CL_RTCP_INTERVAL_US / 2;
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_SECURED;
  ev.call_id = k->id;
  ev.peer = k->peer;
  ev.dtls_version = c->st.dtls_version;
  ev.dtls_cipher = c->st.dtls_cipher;
  ev.srtp_profile = c->st.srtp_profile;
  cl_emit(c, &ev);
}

void cl_report_media_failed(struct rg_client *c, const char *message)
{
  struct rg_client_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_ERROR;
  ev.call_id = c->call.id;
  ev.reason = "media_failed";
  ev.message = message;
  cl_emit(c, &ev);
}

static void media_failed(struct rg_client *c, const char *message)
{
  cl_report_media_failed(c, message);
  cl_call_end(c, "media_failed", true, true);
}

static void on_transport_event(struct rg_client *c, const struct rg_transport_event *e, uint64_t now)
{
  switch (e->type) {
  case RG_TRANSPORT_EV_DTLS_CONNECTED:
    on_secured(c, e, now);
    break;
  case RG_TRANSPORT_EV_FINGERPRINT_MISMATCH:
    media_failed(c, "the broker's DTLS certificate does not match the fingerprint in its SDP");
    break;
  case RG_TRANSPORT_EV_FAILED:
    media_failed(c, e->reason ? e->reason : "transport failed");
    break;
  case RG_TRANSPORT_EV_CONSENT_LOST:
    cl_call_end(c, "timeout", true, true);
    break;
  case RG_TRANSPORT_EV_DTLS_CLOSED:
    c->call.next_send = UINT64_MAX; /* the broker is closing the leg; its hangup follows */
    break;
  default:
    break;
  }
}

void cl_media_drain(struct rg_client *c, uint64_t now)
{
  if (now < c->call.ice_hold_until)
    return;
  for (int guard = 0; guard < 256; guard++) {
    uint8_t buf[CL_DGRAM_MAX];
    struct rg_transport_output out;
    if (!c->call.t || rg_transport_poll(c->call.t, &out, buf, sizeof buf) != RG_OK ||
        out.kind == RG_TRANSPORT_OUT_NONE)
      return;
    if (out.kind == RG_TRANSPORT_OUT_TRANSMIT)
      cl_udp_send(c, buf, out.len, &out.dest);
    else
      on_transport_event(c, &out.ev, now);
  }
}

bool cl_media_on_datagram(struct rg_client *c, uint64_t now, const struct rg_addr *from, uint8_t *data, size_t len)
{
  struct cl_call *k = &c->call;
  struct rg_transport_media m;
  int rc;
  if (!k->t)
    return false;
  rc = rg_transport_handle_datagram(k->t, now, from, data, len, &m);
  if (rc == 1) {
    if (m.rtcp)
      cl_rtcp_on_rtcp(c, now, m.data, m.len);
    else if (k->secured)
      cl_rtp_on_rtp(c, now, m.data, m.len);
    return true;
  }
  if (rc == 0)
    cl_media_drain(c, now);
  return false;
}

void cl_media_timers(struct rg_client *c, uint64_t now)
{
  struct cl_call *k = &c->call;
  if (!k->t || now < k->ice_hold_until)
    return;
  if (rg_transport_next_timeout(k->t) <= now)
    (void)rg_transport_handle_timeout(k->t, now);
  cl_media_drain(c, now);
  if (!k->t || !k->secured)
    return;
  if (k->next_send <= now)
    cl_rtp_send_due(c, now);
  if (k->t && !c->cfg.raw_payload && k->next_play <= now)
    cl_rtp_play_due(c, now);
  if (k->t && k->next_rtcp <= now)
    cl_rtcp_send(c, now);
}

uint64_t cl_media_next_timeout(const struct rg_client *c)
{
  const struct cl_call *k = &c->call;
  uint64_t t;
  if (!k->t)
    return UINT64_MAX;
  if (k->ice_hold_until && !k->secured && rg_transport_state(k->t) == RG_TRANSPORT_NEW &&
      k->ice_hold_until > rg_transport_next_timeout(k->t))
    return k->ice_hold_until;
  t = rg_transport_next_timeout(k->t);
  if (k->secured) {
    if (k->next_send < t)
      t = k->next_send;
    if (!c->cfg.raw_payload && k->next_play < t)
      t = k->next_play;
    if (k->next_rtcp < t)
      t = k->next_rtcp;
  }
  return t;
}
