/* Read-only views of a parsed SDP: lookups, the effective transport of a
 * section, the negotiated SSRCs, and the WebRTC security check (DESIGN.md,
 * security contract item 2). */
#include <stdio.h>
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

const struct rg_sdp_attr *rg_sdp_attr_find(const struct rg_sdp_attrs *attrs, int kind,
                                           const struct rg_sdp_attr *prev)
{
  const struct rg_sdp_attr *a = prev ? prev->next : attrs->head;
  for (; a; a = a->next)
    if (a->kind == kind)
      return a;
  return NULL;
}

const struct rg_sdp_attr *rg_sdp_attr_find_name(const struct rg_sdp_attrs *attrs, const char *name)
{
  for (const struct rg_sdp_attr *a = attrs->head; a; a = a->next)
    if (a->kind == RG_SDP_ATTR_OTHER && strcmp(a->name, name) == 0)
      return a;
  return NULL;
}

const char *rg_sdp_media_mid(const struct rg_sdp_media *m)
{
  const struct rg_sdp_attr *a = rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_MID, NULL);
  return a ? a->u.str : NULL;
}

int rg_sdp_media_direction(const struct rg_sdp_media *m)
{
  const struct rg_sdp_attr *a = rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_DIRECTION, NULL);
  return a ? a->u.dir : RG_SDP_DIR_NONE;
}

int rg_sdp_find_mid(const struct rg_sdp *sdp, const char *mid)
{
  for (size_t i = 0; i < sdp->n_media; i++) {
    const char *m = rg_sdp_media_mid(sdp->media[i]);
    if (m && strcmp(m, mid) == 0)
      return (int)i;
  }
  return -1;
}

/* The attribute of kind in the section, else at session level. */
static const struct rg_sdp_attr *effective(const struct rg_sdp *sdp, const struct rg_sdp_media *m,
                                           int kind)
{
  const struct rg_sdp_attr *a = rg_sdp_attr_find(&m->attrs, kind, NULL);
  return a ? a : rg_sdp_attr_find(&sdp->attrs, kind, NULL);
}

int rg_sdp_media_transport(const struct rg_sdp *sdp, size_t index, struct rg_sdp_transport *out)
{
  struct rg_sdp_transport t;
  const struct rg_sdp_attr *a;
  if (!sdp || !out || index >= sdp->n_media)
    return RG_ERR_INVAL;
  const struct rg_sdp_media *m = sdp->media[index];
  memset(&t, 0, sizeof t);
  if ((a = effective(sdp, m, RG_SDP_ATTR_ICE_UFRAG)))
    t.ice_ufrag = a->u.str;
  if ((a = effective(sdp, m, RG_SDP_ATTR_ICE_PWD)))
    t.ice_pwd = a->u.str;
  if ((a = effective(sdp, m, RG_SDP_ATTR_ICE_OPTIONS)))
    t.ice_options = a->value;
  t.ice_lite = rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_ICE_LITE, NULL) != NULL;
  if ((a = effective(sdp, m, RG_SDP_ATTR_SETUP)))
    t.setup = a->u.setup;
  t.rtcp_mux = rg_sdp_attr_find(&m->attrs, RG_SDP_ATTR_RTCP_MUX, NULL) != NULL;
  /* Fingerprints go as a set (RFC 8122 §5): the section's own, if it has
   * any, replace the session's. */
  const struct rg_sdp_attrs *fl =
    m->attrs.count[RG_SDP_ATTR_FINGERPRINT] ? &m->attrs : &sdp->attrs;
  for (a = rg_sdp_attr_find(fl, RG_SDP_ATTR_FINGERPRINT, NULL); a;
       a = rg_sdp_attr_find(fl, RG_SDP_ATTR_FINGERPRINT, a)) {
    if (a->u.fingerprint.hash == RG_HASH_NONE)
      t.n_unsupported_fingerprints++;
    else if (t.n_fingerprints < RG_SDP_MAX_FINGERPRINTS)
      t.fingerprints[t.n_fingerprints++] = a->u.fingerprint;
  }
  *out = t;
  return RG_OK;
}

int rg_sdp_media_ssrcs(const struct rg_sdp_media *m, uint32_t *out, size_t cap, size_t *n)
{
  if (!m || !n || (!out && cap))
    return RG_ERR_INVAL;
  *n = m->attrs.n_ssrcs;
  if (cap < m->attrs.n_ssrcs)
    return RG_ERR_BUFFER;
  memcpy(out, m->attrs.ssrcs, m->attrs.n_ssrcs * sizeof *out);
  return RG_OK;
}

int rg_sdp_ssrcs(const struct rg_sdp *sdp, uint32_t *out, size_t cap, size_t *n)
{
  size_t k = 0;
  if (!sdp || !n || (!out && cap))
    return RG_ERR_INVAL;
  /* Session-level a=ssrc is not meaningful (RFC 5576 §4.1 puts it in media)
   * and is not counted. Distinct across sections: a quadratic scan is fine
   * for at most RG_SDP_MAX_MEDIA * RG_SDP_MAX_SSRCS ids. */
  for (size_t i = 0; i < sdp->n_media; i++) {
    const struct rg_sdp_attrs *l = &sdp->media[i]->attrs;
    for (size_t j = 0; j < l->n_ssrcs; j++) {
      bool dup = false;
      for (size_t q = 0; q < k && q < cap && !dup; q++)
        dup = out[q] == l->ssrcs[j];
      if (dup)
        continue;
      if (k < cap)
        out[k] = l->ssrcs[j];
      k++;
    }
  }
  *n = k;
  return k > cap ? RG_ERR_BUFFER : RG_OK;
}

/* ---- the WebRTC check ---- */

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4..256,
 * pwd 22..256 characters. */
static bool ice_chars_ok(const char *s, size_t min)
{
  size_t n = strlen(s);
  if (n < min || n > 256)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok)
      return false;
  }
  return true;
}

static int refuse(struct rg_sdp_error *err, const struct rg_sdp_media *m, size_t index, int check,
                  const char *what)
{
  if (err) {
    const char *mid = m ? rg_sdp_media_mid(m) : NULL;
    memset(err, 0, sizeof *err);
    err->line = m ? m->line : 0;
    err->code = RG_ERR_UNSUPPORTED;
    err->check = check;
    /* Sized so that the longest check text (< 96 bytes) and a 32-byte mid fit. */
    if (m)
      snprintf(err->reason, sizeof err->reason, "m-section %zu (mid %.32s): %.95s", index, mid ? mid : "-", what);
    else
      snprintf(err->reason, sizeof err->reason, "%.95s", what);
  }
  return RG_ERR_UNSUPPORTED;
}

static bool proto_is(const char *proto, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(proto, *list) == 0)
      return true;
  return false;
}

/* DTLS-SRTP and DTLS-SCTP protos (RFC 5764 §8, RFC 8841 §4). RTP/SAVP(F) is
 * the name older agents gave DTLS-SRTP; it passes only with a fingerprint. */
static const char *const dtls_protos[] = {"UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP",
                                          "TCP/DTLS/RTP/SAVPF", "TCP/TLS/RTP/SAVPF",
                                          "UDP/DTLS/SCTP", "TCP/DTLS/SCTP", "DTLS/SCTP", NULL};
static const char *const legacy_srtp_protos[] = {"RTP/SAVPF", "RTP/SAVP", NULL};
static const char *const plain_protos[] = {"RTP/AVP", "RTP/AVPF", "UDP/TLS/RTP/AVP",
                                           "UDP/TLS/RTP/AVPF", NULL};

static int check_media(const struct rg_sdp *sdp, size_t i, struct rg_sdp_error *err)
{
  const struct rg_sdp_media *m = sdp->media[i];
  struct rg_sdp_transport t;
  char why[96];
  rg_sdp_media_transport(sdp, i, &t);
  bool has_crypto = m->attrs.count[RG_SDP_ATTR_CRYPTO] || sdp->attrs.count[RG_SDP_ATTR_CRYPTO];
  bool has_fp = t.n_fingerprints || t.n_unsupported_fingerprints;
  if (proto_is(m->proto, plain_protos)) {
    snprintf(why, sizeof why, "proto %.40s is plain RTP (no SRTP)", m->proto);
    return refuse(err, m, i, RG_SDP_CHECK_PLAIN_RTP, why);
  }
  if (!proto_is(m->proto, dtls_protos) && !proto_is(m->proto, legacy_srtp_protos)) {
    snprintf(why, sizeof why, "proto %.40s is not DTLS-SRTP or DTLS-SCTP", m->proto);
    return refuse(err, m, i, RG_SDP_CHECK_BAD_PROTO, why);
  }
  if (!has_fp && has_crypto)
    return refuse(err, m, i, RG_SDP_CHECK_SDES_ONLY,
                  "SDES-only keying (a=crypto without a=fingerprint) is refused");
  if (!has_fp)
    return refuse(err, m, i, RG_SDP_CHECK_NO_FINGERPRINT, "no a=fingerprint");
  if (!t.n_fingerprints)
    return refuse(err, m, i, RG_SDP_CHECK_BAD_HASH,
                  "a=fingerprint hash is not sha-1/224/256/384/512 (md5 is refused)");
  if (t.setup == RG_SDP_SETUP_NONE)
    return refuse(err, m, i, RG_SDP_CHECK_NO_SETUP, "no a=setup");
  if (t.setup == RG_SDP_SETUP_UNKNOWN)
    return refuse(err, m, i, RG_SDP_CHECK_BAD_SETUP,
                  "a=setup is not actpass, active, passive or holdconn");
  if (!t.ice_ufrag || !t.ice_pwd)
    return refuse(err, m, i, RG_SDP_CHECK_NO_ICE, t.ice_ufrag ? "no a=ice-pwd" : "no a=ice-ufrag");
  if (!ice_chars_ok(t.ice_ufrag, 4))
    return refuse(err, m, i, RG_SDP_CHECK_BAD_ICE, "a=ice-ufrag must be 4-256 ice-chars");
  if (!ice_chars_ok(t.ice_pwd, 22))
    return refuse(err, m, i, RG_SDP_CHECK_BAD_ICE, "a=ice-pwd must be 22-256 ice-chars");
  if (strstr(m->proto, "RTP") && !t.rtcp_mux)
    return refuse(err, m, i, RG_SDP_CHECK_NO_RTCP_MUX, "no a=rtcp-mux on an RTP section");
  return RG_OK;
}

int rg_sdp_check_webrtc(const struct rg_sdp *sdp, struct rg_sdp_error *err)
{
  size_t active = 0;
  if (!sdp)
    return RG_ERR_INVAL;
  for (size_t i = 0; i < sdp->n_media; i++) {
    /* Port 0 is a rejected or a bundle-only section: it has no transport of
     * its own. A bundle-only one still carries media over the BUNDLE
     * transport, so its proto must not ask for plain RTP. */
    const struct rg_sdp_media *m = sdp->media[i];
    if (m->port == 0) {
      if (rg_sdp_attr_find_name(&m->attrs, "bundle-only") && proto_is(m->proto, plain_protos))
        return refuse(err, m, i, RG_SDP_CHECK_PLAIN_RTP, "bundle-only section asks for plain RTP");
      continue;
    }
    active++;
    int rc = check_media(sdp, i, err);
    if (rc)
      return rc;
  }
  if (!active)
    return refuse(err, NULL, 0, RG_SDP_CHECK_NO_MEDIA, "no active m-section");
  if (err)
    memset(err, 0, sizeof *err);
  return RG_OK;
}
