/* librtcgate-client: the client's own SDP (one audio m-section, built with
 * the rg_sdp builder; an answer also refuses every other section of the
 * offer) and what it needs from the broker's SDP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/sdp.h"

#define SDP_ERR(...) (snprintf(err, err_cap, __VA_ARGS__), rc = RG_ERR_MALFORMED)

static int add_codec(struct rg_sdp *s, struct rg_sdp_media *m, int codec, const char *pt)
{
  char v[64];
  int rc;
  if (codec == RG_CLIENT_CODEC_OPUS) {
    snprintf(v, sizeof v, "%s opus/48000/2", pt);
    rc = rg_sdp_add_attr(s, m, "rtpmap", v);
    if (!rc) {
      snprintf(v, sizeof v, "%s minptime=10;useinbandfec=1", pt);
      rc = rg_sdp_add_attr(s, m, "fmtp", v);
    }
    return rc;
  }
  snprintf(v, sizeof v, "%s PCMU/8000", pt);
  return rg_sdp_add_attr(s, m, "rtpmap", v);
}

/* An offered m-section the answer refuses: port 0, the offer's proto and one
 * of its formats, its mid (RFC 3264 §6; RFC 8843 §7.3.3: not in the BUNDLE
 * group). The broker counts the answer's sections against the offer's. */
static int add_refused(struct rg_sdp *s, const struct cl_sdp_section *sec, const char *ip)
{
  struct rg_sdp_media *m;
  const char *fmt = sec->fmt;
  int rc = rg_sdp_add_media(s, sec->media, 0, sec->proto, &fmt, 1, &m);
  if (!rc)
    rc = rg_sdp_set_conn(s, m, ip);
  if (!rc && sec->mid[0])
    rc = rg_sdp_add_attr(s, m, "mid", sec->mid);
  return rc;
}

/* Our one audio section: the chosen codec first (with the offer's payload
 * type when answering), the other second when offering both. */
static int add_audio(struct rg_sdp *s, const struct cl_local_media *lm)
{
  struct rg_sdp_media *m;
  struct rg_sdp_transport_spec spec;
  struct rg_sdp_candidate cand;
  const char *fmts[2];
  int codecs[2];
  char pts[2][4], line[256];
  size_t n_fmt = 0;
  int rc;
  codecs[n_fmt++] = lm->codec_first;
  if (lm->both_codecs)
    codecs[n_fmt++] = lm->codec_first == RG_CLIENT_CODEC_OPUS ? RG_CLIENT_CODEC_PCMU : RG_CLIENT_CODEC_OPUS;
  for (size_t i = 0; i < n_fmt; i++) {
    if (i == 0 && lm->offer && lm->pt_first >= 0 && lm->pt_first <= 127)
      snprintf(pts[i], sizeof pts[i], "%d", lm->pt_first);
    else
      snprintf(pts[i], sizeof pts[i], "%s", codecs[i] == RG_CLIENT_CODEC_OPUS ? "111" : "0");
    fmts[i] = pts[i];
  }
  if ((rc = rg_sdp_add_media(s, "audio", lm->addr->port, "UDP/TLS/RTP/SAVPF", fmts, n_fmt, &m)) != 0)
    return rc;
  if ((rc = rg_sdp_set_conn(s, m, lm->ip)) != 0)
    return rc;
  memset(&cand, 0, sizeof cand);
  cand.foundation = "1";
  cand.component = 1;
  cand.transport = "udp";
  cand.priority = 2122260223u; /* RFC 8445 §5.1.2.1: host, local pref 65535, component 1 */
  cand.address = lm->ip;
  cand.port = lm->addr->port;
  cand.type = "host";
  memset(&spec, 0, sizeof spec);
  spec.ice_ufrag = lm->ufrag;
  spec.ice_pwd = lm->pwd;
  spec.n_fingerprints = 1;
  spec.fingerprints = lm->fp;
  spec.setup = lm->setup;
  spec.n_candidates = 1;
  spec.candidates = &cand;
  spec.end_of_candidates = true;
  if ((rc = rg_sdp_set_transport(s, m, &spec)) != 0)
    return rc;
  if ((rc = rg_sdp_add_attr(s, m, "mid", lm->mid)) != 0 || (rc = rg_sdp_add_attr(s, m, "sendrecv", NULL)) != 0)
    return rc;
  snprintf(line, sizeof line, "%s %s", lm->msid_stream, lm->msid_track);
  if ((rc = rg_sdp_add_attr(s, m, "msid", line)) != 0 || (rc = rg_sdp_add_attr(s, m, "rtcp-mux", NULL)) != 0)
    return rc;
  for (size_t i = 0; i < n_fmt; i++)
    if ((rc = add_codec(s, m, codecs[i], pts[i])) != 0)
      return rc;
  snprintf(line, sizeof line, "%u cname:%s", (unsigned)lm->ssrc, lm->cname);
  if ((rc = rg_sdp_add_attr(s, m, "ssrc", line)) != 0)
    return rc;
  snprintf(line, sizeof line, "%u msid:%s %s", (unsigned)lm->ssrc, lm->msid_stream, lm->msid_track);
  return rg_sdp_add_attr(s, m, "ssrc", line);
}

int cl_sdp_build(const struct cl_local_media *lm, char **out, char *err, size_t err_cap)
{
  struct rg_sdp *s = NULL;
  size_t len;
  char line[256], sess[24];
  char *text = NULL;
  int rc;
  uint64_t sid;
  cl_rand(&sid, sizeof sid);
  snprintf(sess, sizeof sess, "%llu", (unsigned long long)(sid >> 2)); /* < 2^62: fits any parser */
  rc = rg_sdp_new(&s, sess);
  if (rc)
    goto fail;
  snprintf(line, sizeof line, "BUNDLE %s", lm->mid);
  if ((rc = rg_sdp_add_attr(s, NULL, "group", line)) != 0)
    goto fail;
  snprintf(line, sizeof line, "WMS %s", lm->msid_stream);
  if ((rc = rg_sdp_add_attr(s, NULL, "msid-semantic", line)) != 0)
    goto fail;
  if (!lm->offer)
    rc = add_audio(s, lm);
  else /* the offer's sections in its order, ours in its place */
    for (size_t i = 0; i < lm->offer->n_sections && !rc; i++)
      rc = i == lm->offer->used ? add_audio(s, lm) : add_refused(s, &lm->offer->sections[i], lm->ip);
  if (rc)
    goto fail;
  len = rg_sdp_write_len(s);
  text = malloc(len + 1);
  if (!text) {
    rc = RG_ERR_NOMEM;
    goto fail;
  }
  if ((rc = rg_sdp_write(s, text, len + 1, &len)) != 0)
    goto fail;
  rg_sdp_free(s);
  *out = text;
  return RG_OK;
fail:
  snprintf(err, err_cap, "cannot build the SDP: %s", rg_strerror(rc));
  free(text);
  rg_sdp_free(s);
  return rc;
}

static int codec_of(const struct rg_sdp_media *m, const char *fmt, uint8_t *pt)
{
  char *end;
  unsigned long v = strtoul(fmt, &end, 10);
  const struct rg_sdp_attr *a = NULL;
  if (*end || end == fmt || v > 127)
    return 0;
  *pt = (uint8_t)v;
  while ((a = rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_RTPMAP, a)) != NULL) {
    if (a->u.rtpmap.pt != v)
      continue;
    if (strcasecmp(a->u.rtpmap.encoding, "opus") == 0 && a->u.rtpmap.clock_rate == 48000)
      return RG_CLIENT_CODEC_OPUS;
    if (strcasecmp(a->u.rtpmap.encoding, "PCMU") == 0 && a->u.rtpmap.clock_rate == 8000)
      return RG_CLIENT_CODEC_PCMU;
    return 0;
  }
  return v == 0 ? RG_CLIENT_CODEC_PCMU : 0; /* static payload type (RFC 3551) */
}

int cl_sdp_read(const char *text, size_t len, struct cl_remote_media *out, char *err, size_t err_cap)
{
  struct rg_sdp *s = NULL;
  struct rg_sdp_error e;
  struct rg_sdp_transport tr;
  struct cl_remote_media rm;
  const struct rg_sdp_media *m = NULL;
  const struct rg_sdp_attr *a = NULL;
  size_t idx = 0;
  int rc = rg_sdp_parse(text, len, RG_SDP_PARSE_DROP_CRYPTO, &s, &e);
  if (rc) {
    snprintf(err, err_cap, "unreadable SDP (line %u: %s)", e.line, e.reason);
    return rc;
  }
  memset(&rm, 0, sizeof rm);
  if (rg_sdp_check_webrtc(s, &e) != RG_OK) {
    SDP_ERR("SDP refused: %s", e.reason);
    goto done;
  }
  for (idx = 0; idx < s->n_media; idx++)
    if (s->media[idx]->kind == RG_SDP_MEDIA_AUDIO && s->media[idx]->port != 0) {
      m = s->media[idx];
      break;
    }
  if (!m) {
    SDP_ERR("no audio section");
    goto done;
  }
  if (s->n_media > CL_SDP_MAX_SECTIONS) {
    SDP_ERR("more than %d m-sections", CL_SDP_MAX_SECTIONS);
    goto done;
  }
  for (size_t i = 0; i < s->n_media; i++) {
    const struct rg_sdp_media *o = s->media[i];
    struct cl_sdp_section *sec = &rm.sections[i];
    const char *mid = rg_sdp_media_mid(o);
    if (!mid)
      mid = "";
    if (o->n_formats == 0 || strlen(o->media) >= sizeof sec->media || strlen(o->proto) >= sizeof sec->proto ||
        strlen(o->formats[0]) >= sizeof sec->fmt || strlen(mid) >= sizeof sec->mid) {
      SDP_ERR("m-section %zu: a field too long to answer", i);
      goto done;
    }
    snprintf(sec->media, sizeof sec->media, "%s", o->media);
    snprintf(sec->proto, sizeof sec->proto, "%s", o->proto);
    snprintf(sec->fmt, sizeof sec->fmt, "%s", o->formats[0]);
    snprintf(sec->mid, sizeof sec->mid, "%s", mid);
  }
  rm.n_sections = s->n_media;
  rm.used = idx;
  if ((rc = rg_sdp_media_transport(s, idx, &tr)) != 0) {
    snprintf(err, err_cap, "no transport in the audio section");
    goto done;
  }
  if (!tr.ice_ufrag || !tr.ice_pwd || strlen(tr.ice_ufrag) > RG_ICE_MAX_UFRAG || strlen(tr.ice_pwd) > RG_ICE_MAX_PWD) {
    SDP_ERR("no usable ICE credentials");
    goto done;
  }
  snprintf(rm.ufrag, sizeof rm.ufrag, "%s", tr.ice_ufrag);
  snprintf(rm.pwd, sizeof rm.pwd, "%s", tr.ice_pwd);
  for (size_t i = 0; i < tr.n_fingerprints && rm.n_fps < RG_DTLS_MAX_FINGERPRINTS; i++)
    rm.fps[rm.n_fps++] = tr.fingerprints[i];
  rm.setup = tr.setup;
  while ((a = rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_CANDIDATE, a)) != NULL) {
    const struct rg_sdp_candidate *c = &a->u.candidate;
    if (c->component == 1 && strcasecmp(c->transport, "udp") == 0 && c->addr.family != RG_AF_NONE) {
      rm.cand = c->addr;
      rm.cand.port = c->port;
      rm.cand_priority = c->priority;
      break;
    }
  }
  if (rm.cand.family == RG_AF_NONE) {
    SDP_ERR("no UDP candidate with an IP address");
    goto done;
  }
  if (rg_sdp_media_ssrcs(m, rm.ssrcs, RG_TRANSPORT_MAX_SSRCS, &rm.n_ssrcs) != RG_OK) {
    SDP_ERR("too many SSRCs");
    goto done;
  }
  snprintf(rm.mid, sizeof rm.mid, "%s", rg_sdp_media_mid(m) ? rg_sdp_media_mid(m) : "0");
  for (size_t i = 0; i < m->n_formats && rm.n_codecs < 4; i++) {
    uint8_t pt = 0;
    int codec = codec_of(m, m->formats[i], &pt);
    if (codec) {
      rm.codecs[rm.n_codecs] = codec;
      rm.pts[rm.n_codecs++] = pt;
    }
  }
  if (rm.n_codecs == 0) {
    SDP_ERR("no codec in common (opus/48000/2 or PCMU/8000)");
    goto done;
  }
  *out = rm;
  rc = RG_OK;
done:
  rg_sdp_free(s);
  return rc;
}
