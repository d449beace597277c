/* The broker's SDP work: what it reads from a client's offer or answer, and
 * how it writes its own SDP for the other client.
 *
 * Rewriting rule (docs/broker.md): the media description is the peer's
 * (kinds, mids, codecs, rtcp-fb, extmap, a=ssrc / ssrc-group, msid,
 * direction) and the transport is the broker's: its ICE credentials for the
 * leg, a=ice-lite, its sha-256 fingerprint, the given a=setup, one host
 * candidate on the media port, end-of-candidates, rtcp-mux, one BUNDLE group.
 * a=crypto never survives (dropped at parse). Sections the broker cannot
 * carry (data channels, anything but audio/video RTP) are disabled (port 0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/broker_internal.h"
#include "rtcgate/error.h"

#define CANDIDATE_PRIORITY 2130706431u /* host, local pref 65535, component 1 (RFC 8445 §5.1.2.1) */
#define BUNDLE_LINE_MAX 1024

static bool section_carried(const struct rg_sdp_media *m)
{
  return m->port != 0 && (m->kind == RG_SDP_MEDIA_AUDIO || m->kind == RG_SDP_MEDIA_VIDEO) &&
         strstr(m->proto, "RTP/") != NULL;
}

/* err gets "<prefix><detail>", or "line N: <detail>" when the cause has a line. */
static int fail_text(char *err, size_t cap, int code, const char *prefix, const char *detail, unsigned line)
{
  if (err && cap) {
    if (line)
      snprintf(err, cap, "line %u: %s", line, detail);
    else
      snprintf(err, cap, "%s%s", prefix, detail);
  }
  return code;
}

/* Every carried section must be in one BUNDLE group (the broker has one
 * 5-tuple per leg). */
static bool bundle_covers(const struct rg_sdp *s)
{
  const struct rg_sdp_attr *g = NULL;
  while ((g = rg_sdp_attr_find(&s->attrs, RG_SDP_ATTR_GROUP, g)) != NULL) {
    if (strcmp(g->u.group.semantics, "BUNDLE") != 0)
      continue;
    bool all = true;
    for (size_t i = 0; i < s->n_media && all; i++) {
      const struct rg_sdp_media *m = s->media[i];
      const char *mid = rg_sdp_media_mid(m);
      bool in = false;
      if (!section_carried(m))
        continue;
      for (size_t k = 0; mid && k < g->u.group.n_mids && !in; k++)
        in = strcmp(g->u.group.mids[k], mid) == 0;
      all = in;
    }
    if (all)
      return true;
  }
  return false;
}

static int add_ssrcs(struct rg_broker_remote *r, const struct rg_sdp_media *m, char *err, size_t cap)
{
  uint32_t ids[RG_SDP_MAX_SSRCS];
  size_t n = 0;
  uint8_t kind = m->kind == RG_SDP_MEDIA_AUDIO ? RG_MEDIA_AUDIO : RG_MEDIA_VIDEO;
  const char *mid = rg_sdp_media_mid(m);
  size_t mid_len = mid ? strlen(mid) : 0;
  if (rg_sdp_media_ssrcs(m, ids, RG_SDP_MAX_SSRCS, &n) < 0)
    return fail_text(err, cap, RG_ERR_MALFORMED, "", "too many SSRCs in one m-section", 0);
  if (n == 0) {
    /* A section that sends nothing still sends RTCP feedback, from
     * libwebrtc's fixed SSRCs (ssrc_policy.h). */
    uint32_t s = kind == RG_MEDIA_AUDIO ? RG_SSRC_LIBWEBRTC_AUDIO_RTCP : RG_SSRC_LIBWEBRTC_VIDEO_RTCP;
    for (size_t i = 0; i < r->n_rtcp_senders; i++)
      if (r->rtcp_senders[i] == s)
        return RG_OK;
    r->rtcp_senders[r->n_rtcp_senders++] = s;
    return RG_OK;
  }
  for (size_t i = 0; i < n; i++) {
    struct rg_ssrc_entry *e;
    if (r->n_ssrcs == RG_TRANSPORT_MAX_SSRCS)
      return fail_text(err, cap, RG_ERR_MALFORMED, "", "too many SSRCs in the SDP", 0);
    e = &r->ssrcs[r->n_ssrcs++];
    memset(e, 0, sizeof *e);
    e->ssrc = ids[i];
    e->kind = kind;
    if (mid_len <= RG_SSRC_POLICY_MID_MAX) { /* a longer mid is kept untagged */
      memcpy(e->mid, mid, mid_len);
      e->mid_len = (uint8_t)mid_len;
    }
  }
  return RG_OK;
}

int rg_broker_sdp_read_(const char *text, size_t len, bool answer, struct rg_sdp **out, struct rg_broker_remote *r,
                        char *err, size_t cap)
{
  struct rg_sdp *s = NULL;
  struct rg_sdp_error e;
  struct rg_sdp_transport tr;
  int rc;
  bool have_transport = false;
  memset(r, 0, sizeof *r);
  memset(&e, 0, sizeof e);
  rc = rg_sdp_parse(text, len, RG_SDP_PARSE_DROP_CRYPTO, &s, &e);
  if (rc < 0)
    return fail_text(err, cap, rc == RG_ERR_NOMEM ? rc : RG_ERR_MALFORMED, "bad SDP: ", e.reason, e.line);
  if (rg_sdp_check_webrtc(s, &e) < 0) {
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", e.reason, e.line);
    goto fail;
  }
  for (size_t i = 0; i < s->n_media; i++) {
    const struct rg_sdp_media *m = s->media[i];
    if (!section_carried(m))
      continue;
    if (!have_transport) {
      /* BUNDLE: the first carried section's transport is the leg's. */
      if ((rc = rg_sdp_media_transport(s, i, &tr)) < 0) {
        rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "no usable transport", m->line);
        goto fail;
      }
      have_transport = true;
    }
    if (!rg_sdp_media_mid(m)) {
      rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "m-section without a=mid", m->line);
      goto fail;
    }
    r->kinds |= m->kind == RG_SDP_MEDIA_AUDIO ? 1u : 2u;
    if ((rc = add_ssrcs(r, m, err, cap)) < 0)
      goto fail;
  }
  if (!have_transport) {
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "no audio or video m-section", 0);
    goto fail;
  }
  if (!bundle_covers(s)) {
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "a=group:BUNDLE with every m-section is required", 0);
    goto fail;
  }
  if (!tr.rtcp_mux || !tr.ice_ufrag || !tr.ice_pwd || tr.n_fingerprints == 0) {
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "rtcp-mux, ICE credentials and a fingerprint are required", 0);
    goto fail;
  }
  if (answer && tr.setup != RG_SDP_SETUP_ACTIVE && tr.setup != RG_SDP_SETUP_PASSIVE) {
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "an answer must say a=setup:active or passive", 0);
    goto fail;
  }
  if (!answer && tr.setup != RG_SDP_SETUP_ACTPASS && tr.setup != RG_SDP_SETUP_PASSIVE) {
    /* The broker answers active (it initiates DTLS), so the offerer must be able to serve. */
    rc = fail_text(err, cap, RG_ERR_MALFORMED, "", "an offer must say a=setup:actpass or passive", 0);
    goto fail;
  }
  r->ufrag = tr.ice_ufrag;
  r->pwd = tr.ice_pwd;
  r->setup = tr.setup;
  r->n_fps = tr.n_fingerprints < RG_DTLS_MAX_FINGERPRINTS ? tr.n_fingerprints : RG_DTLS_MAX_FINGERPRINTS;
  memcpy(r->fps, tr.fingerprints, r->n_fps * sizeof r->fps[0]);
  r->n_media = s->n_media;
  *out = s;
  return RG_OK;
fail:
  rg_sdp_free(s);
  return rc;
}

static const int session_transport_kinds[] = {
    RG_SDP_ATTR_ICE_UFRAG, RG_SDP_ATTR_ICE_PWD,       RG_SDP_ATTR_ICE_OPTIONS,       RG_SDP_ATTR_FINGERPRINT,
    RG_SDP_ATTR_SETUP,     RG_SDP_ATTR_ICE_LITE,      RG_SDP_ATTR_GROUP,             RG_SDP_ATTR_CANDIDATE,
    RG_SDP_ATTR_END_OF_CANDIDATES,
};

static const int disabled_section_kinds[] = {
    RG_SDP_ATTR_ICE_UFRAG, RG_SDP_ATTR_ICE_PWD, RG_SDP_ATTR_ICE_OPTIONS,  RG_SDP_ATTR_FINGERPRINT,
    RG_SDP_ATTR_SETUP,     RG_SDP_ATTR_CANDIDATE, RG_SDP_ATTR_END_OF_CANDIDATES,
};

static int append_mid(char *line, size_t cap, size_t *used, const char *mid)
{
  int n = snprintf(line + *used, cap - *used, " %s", mid);
  if (n < 0 || (size_t)n >= cap - *used)
    return RG_ERR_TOO_LARGE;
  *used += (size_t)n;
  return RG_OK;
}

int rg_broker_sdp_rewrite_(struct rg_broker *b, struct rg_sdp *s, const struct rg_broker_leg *leg, int setup,
                           char **out)
{
  struct rg_sdp_candidate cand;
  struct rg_sdp_transport_spec spec;
  char bundle[BUNDLE_LINE_MAX] = "BUNDLE";
  char sess_id[24];
  size_t used = strlen(bundle), len;
  uint64_t rnd = 0;
  char *text;
  int rc;

  /* A fresh session id per SDP; 62 bits keeps it inside the signed range some parsers assume. */
  if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
    return RG_ERR_CRYPTO;
  snprintf(sess_id, sizeof sess_id, "%" PRIu64, rnd >> 2);
  if ((rc = rg_sdp_set_origin(s, "rtcgate", sess_id, 2, b->media_ip)) < 0)
    return rc;
  for (size_t k = 0; k < sizeof session_transport_kinds / sizeof session_transport_kinds[0]; k++)
    rg_sdp_remove_attrs(s, NULL, session_transport_kinds[k]);
  if (s->has_conn && (rc = rg_sdp_set_conn(s, NULL, b->media_ip)) < 0)
    return rc;
  rg_sdp_drop_crypto(s);

  memset(&cand, 0, sizeof cand);
  cand.foundation = "1";
  cand.component = 1;
  cand.transport = "udp";
  cand.priority = CANDIDATE_PRIORITY;
  cand.address = b->media_ip;
  cand.addr = b->bound;
  cand.port = b->bound.port;
  cand.type = "host";
  memset(&spec, 0, sizeof spec);
  spec.ice_ufrag = leg->ufrag;
  spec.ice_pwd = leg->pwd;
  spec.n_fingerprints = 1;
  spec.fingerprints = &b->fp;
  spec.setup = setup;
  spec.n_candidates = 1;
  spec.candidates = &cand;
  spec.end_of_candidates = true;

  for (size_t i = 0; i < s->n_media; i++) {
    struct rg_sdp_media *m = s->media[i];
    if (!section_carried(m)) {
      m->port = 0;
      for (size_t k = 0; k < sizeof disabled_section_kinds / sizeof disabled_section_kinds[0]; k++)
        rg_sdp_remove_attrs(s, m, disabled_section_kinds[k]);
      continue;
    }
    m->port = b->bound.port;
    if ((rc = rg_sdp_set_conn(s, m, b->media_ip)) < 0 || (rc = rg_sdp_set_transport(s, m, &spec)) < 0)
      return rc;
    /* a=rtcp names a port for RTCP; with rtcp-mux it is the media port, so drop it. */
    rg_sdp_remove_attrs(s, m, RG_SDP_ATTR_RTCP);
    if (!rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_RTCP_MUX, NULL) && (rc = rg_sdp_add_attr(s, m, "rtcp-mux", NULL)) < 0)
      return rc;
    if ((rc = append_mid(bundle, sizeof bundle, &used, rg_sdp_media_mid(m))) < 0)
      return rc;
  }
  if ((rc = rg_sdp_add_attr(s, NULL, "group", bundle)) < 0 || (rc = rg_sdp_add_attr(s, NULL, "ice-lite", NULL)) < 0)
    return rc;

  len = rg_sdp_write_len(s);
  text = malloc(len + 1);
  if (!text)
    return RG_ERR_NOMEM;
  if ((rc = rg_sdp_write(s, text, len + 1, &len)) < 0) {
    free(text);
    return rc;
  }
  *out = text;
  return RG_OK;
}
