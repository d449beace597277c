/* Typed attribute back to its a= line. Each kind has one canonical text
 * form, chosen to match what Chromium and Firefox write, so a browser SDP
 * comes back byte for byte and any other input reaches a fixed point after
 * one write. */
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

static void put_span_list(struct rg_sdp_sink *o, const char *const *items, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    rg_sdp_puts_(o, " ");
    rg_sdp_puts_(o, items[i]);
  }
}

static void put_opt(struct rg_sdp_sink *o, const char *s)
{
  if (s) {
    rg_sdp_puts_(o, " ");
    rg_sdp_puts_(o, s);
  }
}

static void write_value(struct rg_sdp_sink *o, const struct rg_sdp_attr *a)
{
  char fp[RG_FINGERPRINT_STRLEN];
  switch (a->kind) {
  case RG_SDP_ATTR_GROUP:
    rg_sdp_puts_(o, a->u.group.semantics);
    put_span_list(o, a->u.group.mids, a->u.group.n_mids);
    return;
  case RG_SDP_ATTR_ICE_UFRAG:
  case RG_SDP_ATTR_ICE_PWD:
  case RG_SDP_ATTR_MID: rg_sdp_puts_(o, a->u.str); return;
  case RG_SDP_ATTR_FINGERPRINT:
    if (a->u.fingerprint.hash != RG_HASH_NONE &&
        rg_fingerprint_format(&a->u.fingerprint, fp, sizeof fp) > 0)
      rg_sdp_puts_(o, fp);
    else if (a->value)
      rg_sdp_puts_(o, a->value);
    return;
  case RG_SDP_ATTR_SETUP:
    if (rg_sdp_setup_name_(a->u.setup))
      rg_sdp_puts_(o, rg_sdp_setup_name_(a->u.setup));
    else if (a->value)
      rg_sdp_puts_(o, a->value);
    return;
  case RG_SDP_ATTR_RTCP:
    rg_sdp_putu_(o, a->u.rtcp.port);
    if (a->u.rtcp.address) {
      put_opt(o, a->u.rtcp.nettype);
      put_opt(o, a->u.rtcp.addrtype);
      put_opt(o, a->u.rtcp.address);
    }
    return;
  case RG_SDP_ATTR_CANDIDATE: {
    const struct rg_sdp_candidate *k = &a->u.candidate;
    rg_sdp_puts_(o, k->foundation);
    rg_sdp_puts_(o, " ");
    rg_sdp_putu_(o, k->component);
    put_opt(o, k->transport);
    rg_sdp_puts_(o, " ");
    rg_sdp_putu_(o, k->priority);
    put_opt(o, k->address);
    rg_sdp_puts_(o, " ");
    rg_sdp_putu_(o, k->port);
    rg_sdp_puts_(o, " typ");
    put_opt(o, k->type);
    if (k->raddr) {
      put_opt(o, "raddr");
      put_opt(o, k->raddr);
      rg_sdp_puts_(o, " rport ");
      rg_sdp_putu_(o, k->rport);
    }
    put_opt(o, k->rest);
    return;
  }
  case RG_SDP_ATTR_SSRC:
    rg_sdp_putu_(o, a->u.ssrc.id);
    put_opt(o, a->u.ssrc.attribute);
    if (a->u.ssrc.value) {
      rg_sdp_puts_(o, ":");
      rg_sdp_puts_(o, a->u.ssrc.value);
    }
    return;
  case RG_SDP_ATTR_SSRC_GROUP:
    rg_sdp_puts_(o, a->u.ssrc_group.semantics);
    for (size_t i = 0; i < a->u.ssrc_group.n_ids; i++) {
      rg_sdp_puts_(o, " ");
      rg_sdp_putu_(o, a->u.ssrc_group.ids[i]);
    }
    return;
  case RG_SDP_ATTR_RTPMAP:
    rg_sdp_putu_(o, a->u.rtpmap.pt);
    put_opt(o, a->u.rtpmap.encoding);
    rg_sdp_puts_(o, "/");
    rg_sdp_putu_(o, a->u.rtpmap.clock_rate);
    if (a->u.rtpmap.channels) {
      rg_sdp_puts_(o, "/");
      rg_sdp_putu_(o, a->u.rtpmap.channels);
    }
    return;
  case RG_SDP_ATTR_FMTP:
    rg_sdp_puts_(o, a->u.fmtp.format);
    put_opt(o, a->u.fmtp.params);
    return;
  case RG_SDP_ATTR_RTCP_FB:
    rg_sdp_puts_(o, a->u.rtcp_fb.format);
    put_opt(o, a->u.rtcp_fb.value);
    return;
  case RG_SDP_ATTR_EXTMAP:
    rg_sdp_putu_(o, a->u.extmap.id);
    if (rg_sdp_dir_name_(a->u.extmap.direction)) {
      rg_sdp_puts_(o, "/");
      rg_sdp_puts_(o, rg_sdp_dir_name_(a->u.extmap.direction));
    }
    put_opt(o, a->u.extmap.uri);
    put_opt(o, a->u.extmap.extra);
    return;
  case RG_SDP_ATTR_MSID:
    rg_sdp_puts_(o, a->u.msid.id);
    put_opt(o, a->u.msid.appdata);
    return;
  case RG_SDP_ATTR_CRYPTO:
    rg_sdp_putu_(o, a->u.crypto.tag);
    put_opt(o, a->u.crypto.suite);
    put_opt(o, a->u.crypto.params);
    return;
  default:
    if (a->value)
      rg_sdp_puts_(o, a->value);
    return;
  }
}

void rg_sdp_attr_write_(struct rg_sdp_sink *o, const struct rg_sdp_attr *a)
{
  rg_sdp_puts_(o, "a=");
  if (a->kind == RG_SDP_ATTR_DIRECTION)
    rg_sdp_puts_(o, rg_sdp_dir_name_(a->u.dir) ? rg_sdp_dir_name_(a->u.dir) : "sendrecv");
  else
    rg_sdp_puts_(o, a->name ? a->name : rg_sdp_attr_kind_name(a->kind));
  bool has_value = a->kind == RG_SDP_ATTR_OTHER ? a->value != NULL : !rg_sdp_attr_is_flag_(a->kind);
  if (has_value) {
    rg_sdp_puts_(o, ":");
    write_value(o, a);
  }
  rg_sdp_puts_(o, "\r\n");
}
