/* a= lines: the text after "a=" to a typed attribute and back. Known
 * attributes get typed fields; any other is kept verbatim (name and value),
 * so nothing a browser sends is lost on the way through the model. */
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

static const char *const kind_names[RG_SDP_ATTR_KIND_COUNT] = {
  [RG_SDP_ATTR_OTHER] = "",
  [RG_SDP_ATTR_GROUP] = "group",
  [RG_SDP_ATTR_MSID_SEMANTIC] = "msid-semantic",
  [RG_SDP_ATTR_ICE_LITE] = "ice-lite",
  [RG_SDP_ATTR_ICE_OPTIONS] = "ice-options",
  [RG_SDP_ATTR_ICE_UFRAG] = "ice-ufrag",
  [RG_SDP_ATTR_ICE_PWD] = "ice-pwd",
  [RG_SDP_ATTR_FINGERPRINT] = "fingerprint",
  [RG_SDP_ATTR_SETUP] = "setup",
  [RG_SDP_ATTR_EXTMAP_ALLOW_MIXED] = "extmap-allow-mixed",
  [RG_SDP_ATTR_MID] = "mid",
  [RG_SDP_ATTR_DIRECTION] = "sendrecv", /* the name comes from u.dir */
  [RG_SDP_ATTR_RTCP_MUX] = "rtcp-mux",
  [RG_SDP_ATTR_RTCP_RSIZE] = "rtcp-rsize",
  [RG_SDP_ATTR_RTCP] = "rtcp",
  [RG_SDP_ATTR_CANDIDATE] = "candidate",
  [RG_SDP_ATTR_END_OF_CANDIDATES] = "end-of-candidates",
  [RG_SDP_ATTR_SSRC] = "ssrc",
  [RG_SDP_ATTR_SSRC_GROUP] = "ssrc-group",
  [RG_SDP_ATTR_RTPMAP] = "rtpmap",
  [RG_SDP_ATTR_FMTP] = "fmtp",
  [RG_SDP_ATTR_RTCP_FB] = "rtcp-fb",
  [RG_SDP_ATTR_EXTMAP] = "extmap",
  [RG_SDP_ATTR_MSID] = "msid",
  [RG_SDP_ATTR_CRYPTO] = "crypto",
};

/* Index = enum rg_sdp_dir. */
static const char *const dir_names[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};
/* Index = enum rg_sdp_setup. */
static const char *const setup_names[] = {NULL, "actpass", "active", "passive", "holdconn"};

const char *rg_sdp_dir_name_(int dir)
{
  return dir > RG_SDP_DIR_NONE && dir <= RG_SDP_DIR_INACTIVE ? dir_names[dir] : NULL;
}

const char *rg_sdp_setup_name_(int setup)
{
  return setup > RG_SDP_SETUP_NONE && setup <= RG_SDP_SETUP_HOLDCONN ? setup_names[setup] : NULL;
}

/* Attributes that carry no value; written with a value they are OTHER. */
bool rg_sdp_attr_is_flag_(int kind)
{
  return kind == RG_SDP_ATTR_ICE_LITE || kind == RG_SDP_ATTR_EXTMAP_ALLOW_MIXED ||
         kind == RG_SDP_ATTR_DIRECTION || kind == RG_SDP_ATTR_RTCP_MUX ||
         kind == RG_SDP_ATTR_RTCP_RSIZE || kind == RG_SDP_ATTR_END_OF_CANDIDATES;
}

const char *rg_sdp_attr_kind_name(int kind)
{
  return kind >= 0 && kind < RG_SDP_ATTR_KIND_COUNT ? kind_names[kind] : "";
}

/* ---- spans ---- */

bool rg_sdp_next_token_(struct rg_span *s, struct rg_span *tok)
{
  size_t i = 0, j;
  while (i < s->n && s->p[i] == ' ')
    i++;
  if (i == s->n)
    return false;
  for (j = i; j < s->n && s->p[j] != ' '; j++)
    ;
  tok->p = s->p + i;
  tok->n = j - i;
  s->p += j;
  s->n -= j;
  return true;
}

struct rg_span rg_sdp_rest_(struct rg_span s)
{
  while (s.n && s.p[0] == ' ') {
    s.p++;
    s.n--;
  }
  return s;
}

bool rg_sdp_span_eq_(struct rg_span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool rg_sdp_parse_u64_(struct rg_span s, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  if (s.n == 0 || s.n > 20)
    return false;
  for (size_t i = 0; i < s.n; i++) {
    unsigned d = (unsigned)(s.p[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* ---- parsing ---- */

struct ctx {
  struct rg_sdp *sdp;
  struct rg_sdp_fail *fail;
};

static int fail_with(struct ctx *c, int code, const char *reason)
{
  c->fail->code = code;
  c->fail->reason = reason;
  return code;
}

#define BAD(c, why) fail_with((c), RG_ERR_MALFORMED, (why))

/* Copies a token into the arena; enforces the token limit. */
static int dup_token(struct ctx *c, struct rg_span t, const char **out)
{
  if (t.n > RG_SDP_MAX_TOKEN)
    return fail_with(c, RG_ERR_TOO_LARGE, "token too long");
  char *s = rg_sdp_arena_strndup_(c->sdp, t.p, t.n);
  if (!s)
    return fail_with(c, RG_ERR_TOO_LARGE, "SDP model exceeds its memory cap");
  *out = s;
  return RG_OK;
}

/* Copies free text (bounded by the line length already). */
static int dup_text(struct ctx *c, struct rg_span t, const char **out)
{
  char *s = rg_sdp_arena_strndup_(c->sdp, t.p, t.n);
  if (!s)
    return fail_with(c, RG_ERR_TOO_LARGE, "SDP model exceeds its memory cap");
  *out = s;
  return RG_OK;
}

/* Next token, copied; fails with why when there is none. */
static int take_token(struct ctx *c, struct rg_span *v, const char **out, const char *why)
{
  struct rg_span t;
  if (!rg_sdp_next_token_(v, &t))
    return BAD(c, why);
  return dup_token(c, t, out);
}

static int take_number(struct ctx *c, struct rg_span *v, uint64_t max, uint64_t *out, const char *why)
{
  struct rg_span t;
  if (!rg_sdp_next_token_(v, &t) || !rg_sdp_parse_u64_(t, max, out))
    return BAD(c, why);
  return RG_OK;
}

static bool at_end(struct rg_span v)
{
  return rg_sdp_rest_(v).n == 0;
}

/* One token and nothing else (mid, ice-ufrag, ice-pwd). */
static int parse_single(struct ctx *c, struct rg_span v, const char **out, const char *why)
{
  int rc = take_token(c, &v, out, why);
  if (rc == RG_OK && !at_end(v))
    return BAD(c, why);
  return rc;
}

static int parse_group(struct ctx *c, struct rg_span v, struct rg_sdp_group *g)
{
  struct rg_span t, scan = v;
  size_t n = 0;
  int rc = take_token(c, &v, &g->semantics, "a=group without semantics");
  if (rc)
    return rc;
  rg_sdp_next_token_(&scan, &t); /* skip the semantics while counting */
  while (rg_sdp_next_token_(&scan, &t))
    n++;
  if (n > RG_SDP_MAX_GROUP_MIDS)
    return fail_with(c, RG_ERR_TOO_LARGE, "too many mids in a=group");
  if (n) {
    g->mids = rg_sdp_arena_alloc_(c->sdp, n * sizeof *g->mids);
    if (!g->mids)
      return fail_with(c, RG_ERR_TOO_LARGE, "SDP model exceeds its memory cap");
  }
  for (size_t i = 0; i < n; i++)
    if ((rc = take_token(c, &v, &g->mids[i], "bad a=group")))
      return rc;
  g->n_mids = n;
  return RG_OK;
}

static int parse_fingerprint(struct ctx *c, struct rg_span v, struct rg_sdp_attr *a)
{
  struct rg_span name, hex, whole = v;
  if (!rg_sdp_next_token_(&v, &name) || !rg_sdp_next_token_(&v, &hex) || !at_end(v))
    return BAD(c, "a=fingerprint needs a hash name and a value");
  if (name.n > RG_SDP_MAX_TOKEN || hex.n > RG_SDP_MAX_TOKEN)
    return fail_with(c, RG_ERR_TOO_LARGE, "token too long");
  int rc = rg_fingerprint_parse(&a->u.fingerprint, name.p, name.n, hex.p, hex.n);
  if (rc == RG_ERR_UNSUPPORTED) {
    /* md5 and unknown hashes are kept so that the check can name them. */
    memset(&a->u.fingerprint, 0, sizeof a->u.fingerprint);
    return dup_text(c, whole, &a->value);
  }
  if (rc)
    return BAD(c, "bad a=fingerprint value");
  return RG_OK;
}

static int parse_setup(struct ctx *c, struct rg_span v, struct rg_sdp_attr *a)
{
  for (int s = RG_SDP_SETUP_ACTPASS; s <= RG_SDP_SETUP_HOLDCONN; s++)
    if (rg_sdp_span_eq_(v, setup_names[s])) {
      a->u.setup = s;
      return RG_OK;
    }
  /* Kept, so that the check can refuse it by name. */
  a->u.setup = RG_SDP_SETUP_UNKNOWN;
  return dup_text(c, v, &a->value);
}

static int parse_rtcp(struct ctx *c, struct rg_span v, struct rg_sdp_rtcp *r)
{
  uint64_t port;
  int rc = take_number(c, &v, 65535, &port, "bad a=rtcp port");
  if (rc)
    return rc;
  r->port = (uint16_t)port;
  if (at_end(v))
    return RG_OK;
  if ((rc = take_token(c, &v, &r->nettype, "bad a=rtcp address")) ||
      (rc = take_token(c, &v, &r->addrtype, "bad a=rtcp address")) ||
      (rc = take_token(c, &v, &r->address, "bad a=rtcp address")))
    return rc;
  return at_end(v) ? RG_OK : BAD(c, "bad a=rtcp address");
}

/* RFC 8839 §5.1: foundation component transport priority address port
 * "typ" type [raddr a rport p] *(extension). */
static int parse_candidate(struct ctx *c, struct rg_span v, struct rg_sdp_candidate *k)
{
  uint64_t comp, prio, port, rport;
  struct rg_span t, save;
  int rc;
  if ((rc = take_token(c, &v, &k->foundation, "a=candidate without foundation")) ||
      (rc = take_number(c, &v, 256, &comp, "bad a=candidate component")) ||
      (rc = take_token(c, &v, &k->transport, "a=candidate without transport")) ||
      (rc = take_number(c, &v, UINT32_MAX, &prio, "bad a=candidate priority")) ||
      (rc = take_token(c, &v, &k->address, "a=candidate without address")) ||
      (rc = take_number(c, &v, 65535, &port, "bad a=candidate port")))
    return rc;
  if (comp == 0)
    return BAD(c, "bad a=candidate component");
  if (!rg_sdp_next_token_(&v, &t) || !rg_sdp_span_eq_(t, "typ"))
    return BAD(c, "a=candidate without typ");
  if ((rc = take_token(c, &v, &k->type, "a=candidate without type")))
    return rc;
  k->component = (uint32_t)comp;
  k->priority = (uint32_t)prio;
  k->port = (uint16_t)port;
  if (rg_addr_parse_ip(&k->addr, k->address, strlen(k->address), k->port) != RG_OK)
    memset(&k->addr, 0, sizeof k->addr); /* an mDNS name, not an address */
  save = v;
  if (rg_sdp_next_token_(&v, &t) && rg_sdp_span_eq_(t, "raddr")) {
    if ((rc = take_token(c, &v, &k->raddr, "a=candidate raddr without address")))
      return rc;
    if (!rg_sdp_next_token_(&v, &t) || !rg_sdp_span_eq_(t, "rport"))
      return BAD(c, "a=candidate raddr without rport");
    if ((rc = take_number(c, &v, 65535, &rport, "bad a=candidate rport")))
      return rc;
    k->rport = (uint16_t)rport;
  } else {
    v = save;
  }
  v = rg_sdp_rest_(v);
  return v.n ? dup_text(c, v, &k->rest) : RG_OK;
}

/* Adds the distinct SSRC ids of a to the section's set (all or nothing). */
static bool ssrc_known(const struct rg_sdp_attrs *l, uint32_t id, size_t upto)
{
  for (size_t i = 0; i < upto; i++)
    if (l->ssrcs[i] == id)
      return true;
  return false;
}

static int parse_ssrc(struct ctx *c, struct rg_span v, struct rg_sdp_ssrc *s)
{
  uint64_t id;
  int rc = take_number(c, &v, UINT32_MAX, &id, "bad a=ssrc id");
  if (rc)
    return rc;
  s->id = (uint32_t)id;
  v = rg_sdp_rest_(v);
  const char *colon = memchr(v.p, ':', v.n);
  struct rg_span name = {v.p, colon ? (size_t)(colon - v.p) : v.n};
  if (name.n == 0 || memchr(name.p, ' ', name.n))
    return BAD(c, "a=ssrc without attribute");
  if ((rc = dup_token(c, name, &s->attribute)))
    return rc;
  if (colon)
    return dup_text(c, (struct rg_span){colon + 1, v.n - name.n - 1}, &s->value);
  return RG_OK;
}

static int parse_ssrc_group(struct ctx *c, struct rg_span v, struct rg_sdp_ssrc_group *g)
{
  uint64_t id;
  int rc = take_token(c, &v, &g->semantics, "a=ssrc-group without semantics");
  if (rc)
    return rc;
  while (!at_end(v)) {
    if (g->n_ids == RG_SDP_MAX_SSRC_GROUP_IDS)
      return fail_with(c, RG_ERR_TOO_LARGE, "too many ids in a=ssrc-group");
    if ((rc = take_number(c, &v, UINT32_MAX, &id, "bad a=ssrc-group id")))
      return rc;
    g->ids[g->n_ids++] = (uint32_t)id;
  }
  return RG_OK;
}

static int parse_rtpmap(struct ctx *c, struct rg_span v, struct rg_sdp_rtpmap *r)
{
  uint64_t pt, clock, ch = 0;
  struct rg_span enc, part;
  int rc = take_number(c, &v, 127, &pt, "bad a=rtpmap payload type");
  if (rc)
    return rc;
  if (!rg_sdp_next_token_(&v, &enc) || !at_end(v))
    return BAD(c, "a=rtpmap needs <encoding>/<clock rate>");
  const char *slash = memchr(enc.p, '/', enc.n);
  if (!slash || slash == enc.p)
    return BAD(c, "a=rtpmap needs <encoding>/<clock rate>");
  part.p = slash + 1;
  part.n = enc.n - (size_t)(part.p - enc.p);
  const char *slash2 = memchr(part.p, '/', part.n);
  struct rg_span clk = {part.p, slash2 ? (size_t)(slash2 - part.p) : part.n};
  if (!rg_sdp_parse_u64_(clk, UINT32_MAX, &clock))
    return BAD(c, "bad a=rtpmap clock rate");
  if (slash2) {
    struct rg_span chs = {slash2 + 1, part.n - clk.n - 1};
    if (!rg_sdp_parse_u64_(chs, 65535, &ch) || ch == 0)
      return BAD(c, "bad a=rtpmap channels");
  }
  if ((rc = dup_token(c, (struct rg_span){enc.p, (size_t)(slash - enc.p)}, &r->encoding)))
    return rc;
  r->pt = (uint8_t)pt;
  r->clock_rate = (uint32_t)clock;
  r->channels = (uint16_t)ch;
  return RG_OK;
}

/* "<format> <verbatim rest>" for fmtp (rest may be empty) and rtcp-fb. */
static int parse_format_rest(struct ctx *c, struct rg_span v, const char **fmt, const char **rest,
                             bool need_rest, const char *why)
{
  int rc = take_token(c, &v, fmt, why);
  if (rc)
    return rc;
  v = rg_sdp_rest_(v);
  if (need_rest && !v.n)
    return BAD(c, why);
  return v.n ? dup_text(c, v, rest) : RG_OK;
}

static int parse_extmap(struct ctx *c, struct rg_span v, struct rg_sdp_extmap *e)
{
  struct rg_span t;
  uint64_t id;
  if (!rg_sdp_next_token_(&v, &t))
    return BAD(c, "bad a=extmap id");
  const char *slash = memchr(t.p, '/', t.n);
  struct rg_span idt = {t.p, slash ? (size_t)(slash - t.p) : t.n};
  if (!rg_sdp_parse_u64_(idt, 65535, &id) || id == 0)
    return BAD(c, "bad a=extmap id");
  e->id = (uint16_t)id;
  if (slash) {
    struct rg_span d = {slash + 1, t.n - idt.n - 1};
    for (int i = RG_SDP_DIR_SENDRECV; i <= RG_SDP_DIR_INACTIVE; i++)
      if (rg_sdp_span_eq_(d, dir_names[i]))
        e->direction = i;
    if (!e->direction)
      return BAD(c, "bad a=extmap direction");
  }
  int rc = take_token(c, &v, &e->uri, "a=extmap without URI");
  if (rc)
    return rc;
  v = rg_sdp_rest_(v);
  return v.n ? dup_text(c, v, &e->extra) : RG_OK;
}

static int parse_msid(struct ctx *c, struct rg_span v, struct rg_sdp_msid *m)
{
  int rc = take_token(c, &v, &m->id, "a=msid without id");
  if (rc || at_end(v))
    return rc;
  if ((rc = take_token(c, &v, &m->appdata, "bad a=msid")))
    return rc;
  return at_end(v) ? RG_OK : BAD(c, "bad a=msid");
}

static int parse_crypto(struct ctx *c, struct rg_span v, struct rg_sdp_crypto *k)
{
  uint64_t tag;
  int rc;
  if ((rc = take_number(c, &v, 999999999, &tag, "bad a=crypto tag")) ||
      (rc = take_token(c, &v, &k->suite, "a=crypto without suite")))
    return rc;
  k->tag = (uint32_t)tag;
  v = rg_sdp_rest_(v);
  if (!v.n)
    return BAD(c, "a=crypto without key parameters");
  return dup_text(c, v, &k->params);
}

static int kind_of(struct rg_span name, int *dir)
{
  *dir = RG_SDP_DIR_NONE;
  for (int d = RG_SDP_DIR_SENDRECV; d <= RG_SDP_DIR_INACTIVE; d++)
    if (rg_sdp_span_eq_(name, dir_names[d])) {
      *dir = d;
      return RG_SDP_ATTR_DIRECTION;
    }
  for (int k = RG_SDP_ATTR_OTHER + 1; k < RG_SDP_ATTR_KIND_COUNT; k++)
    if (k != RG_SDP_ATTR_DIRECTION && rg_sdp_span_eq_(name, kind_names[k]))
      return k;
  return RG_SDP_ATTR_OTHER;
}

static int parse_value(struct ctx *c, struct rg_sdp_attr *a, struct rg_span v)
{
  switch (a->kind) {
  case RG_SDP_ATTR_GROUP: return parse_group(c, v, &a->u.group);
  case RG_SDP_ATTR_MSID_SEMANTIC:
  case RG_SDP_ATTR_ICE_OPTIONS: return dup_text(c, v, &a->value);
  case RG_SDP_ATTR_ICE_UFRAG: return parse_single(c, v, &a->u.str, "bad a=ice-ufrag");
  case RG_SDP_ATTR_ICE_PWD: return parse_single(c, v, &a->u.str, "bad a=ice-pwd");
  case RG_SDP_ATTR_MID: return parse_single(c, v, &a->u.str, "bad a=mid");
  case RG_SDP_ATTR_FINGERPRINT: return parse_fingerprint(c, v, a);
  case RG_SDP_ATTR_SETUP: return parse_setup(c, v, a);
  case RG_SDP_ATTR_RTCP: return parse_rtcp(c, v, &a->u.rtcp);
  case RG_SDP_ATTR_CANDIDATE: return parse_candidate(c, v, &a->u.candidate);
  case RG_SDP_ATTR_SSRC: return parse_ssrc(c, v, &a->u.ssrc);
  case RG_SDP_ATTR_SSRC_GROUP: return parse_ssrc_group(c, v, &a->u.ssrc_group);
  case RG_SDP_ATTR_RTPMAP: return parse_rtpmap(c, v, &a->u.rtpmap);
  case RG_SDP_ATTR_FMTP:
    return parse_format_rest(c, v, &a->u.fmtp.format, &a->u.fmtp.params, false, "bad a=fmtp");
  case RG_SDP_ATTR_RTCP_FB:
    return parse_format_rest(c, v, &a->u.rtcp_fb.format, &a->u.rtcp_fb.value, true, "bad a=rtcp-fb");
  case RG_SDP_ATTR_EXTMAP: return parse_extmap(c, v, &a->u.extmap);
  case RG_SDP_ATTR_MSID: return parse_msid(c, v, &a->u.msid);
  case RG_SDP_ATTR_CRYPTO: return parse_crypto(c, v, &a->u.crypto);
  default: return dup_text(c, v, &a->value); /* OTHER */
  }
}

int rg_sdp_attr_parse_(struct rg_sdp *sdp, struct rg_span text, unsigned line,
                       struct rg_sdp_attr **out, struct rg_sdp_fail *fail)
{
  struct ctx c = {sdp, fail};
  const char *colon = memchr(text.p, ':', text.n);
  struct rg_span name = {text.p, colon ? (size_t)(colon - text.p) : text.n};
  int dir, rc;
  if (name.n == 0 || memchr(name.p, ' ', name.n))
    return BAD(&c, "bad attribute name");
  struct rg_sdp_attr *a = rg_sdp_arena_alloc_(sdp, sizeof *a);
  if (!a)
    return fail_with(&c, RG_ERR_TOO_LARGE, "SDP model exceeds its memory cap");
  a->line = line;
  a->kind = kind_of(name, &dir);
  if (rg_sdp_attr_is_flag_(a->kind) && colon)
    a->kind = RG_SDP_ATTR_OTHER; /* "a=rtcp-mux:x" is not the flag we know */
  if (a->kind == RG_SDP_ATTR_OTHER) {
    if ((rc = dup_token(&c, name, &a->name)))
      return rc;
  } else {
    a->name = a->kind == RG_SDP_ATTR_DIRECTION ? dir_names[dir] : kind_names[a->kind];
  }
  if (a->kind == RG_SDP_ATTR_DIRECTION)
    a->u.dir = dir;
  if (colon) {
    struct rg_span v = {colon + 1, text.n - name.n - 1};
    if ((rc = parse_value(&c, a, v)))
      return rc;
  } else if (!rg_sdp_attr_is_flag_(a->kind) && a->kind != RG_SDP_ATTR_OTHER) {
    return BAD(&c, "attribute needs a value");
  }
  *out = a;
  return RG_OK;
}

/* ---- lists ---- */

/* How many ids of a are not yet in the section's SSRC set. */
static size_t new_ssrcs(const struct rg_sdp_attrs *l, const struct rg_sdp_attr *a, uint32_t *ids)
{
  size_t n = 0;
  if (a->kind == RG_SDP_ATTR_SSRC) {
    if (!ssrc_known(l, a->u.ssrc.id, l->n_ssrcs))
      ids[n++] = a->u.ssrc.id;
  } else if (a->kind == RG_SDP_ATTR_SSRC_GROUP) {
    for (size_t i = 0; i < a->u.ssrc_group.n_ids; i++) {
      uint32_t id = a->u.ssrc_group.ids[i];
      bool dup = ssrc_known(l, id, l->n_ssrcs);
      for (size_t j = 0; j < n && !dup; j++)
        dup = ids[j] == id;
      if (!dup)
        ids[n++] = id;
    }
  }
  return n;
}

int rg_sdp_attrs_insert_(struct rg_sdp_attrs *l, struct rg_sdp_attr *prev, struct rg_sdp_attr *a,
                         struct rg_sdp_fail *fail)
{
  static const struct {
    int kind;
    size_t max;
    const char *reason;
  } caps[] = {
    {RG_SDP_ATTR_CANDIDATE, RG_SDP_MAX_CANDIDATES, "too many a=candidate in a section"},
    {RG_SDP_ATTR_FINGERPRINT, RG_SDP_MAX_FINGERPRINTS, "too many a=fingerprint in a section"},
    {RG_SDP_ATTR_SSRC, RG_SDP_MAX_SSRC_LINES, "too many a=ssrc in a section"},
    {RG_SDP_ATTR_SSRC_GROUP, RG_SDP_MAX_SSRCS, "too many a=ssrc-group in a section"},
  };
  uint32_t ids[RG_SDP_MAX_SSRC_GROUP_IDS];
  size_t n_new;
  if (l->n >= RG_SDP_MAX_ATTRS) {
    fail->code = RG_ERR_TOO_LARGE;
    fail->reason = "too many attributes in a section";
    return fail->code;
  }
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
    if (a->kind == caps[i].kind && l->count[a->kind] >= caps[i].max) {
      fail->code = RG_ERR_TOO_LARGE;
      fail->reason = caps[i].reason;
      return fail->code;
    }
  n_new = new_ssrcs(l, a, ids);
  if (l->n_ssrcs + n_new > RG_SDP_MAX_SSRCS) {
    fail->code = RG_ERR_TOO_LARGE;
    fail->reason = "too many SSRCs in a section";
    return fail->code;
  }
  memcpy(l->ssrcs + l->n_ssrcs, ids, n_new * sizeof ids[0]);
  l->n_ssrcs += n_new;
  if (prev) {
    a->next = prev->next;
    prev->next = a;
  } else {
    a->next = l->head;
    l->head = a;
  }
  if (!a->next)
    l->tail = a;
  l->n++;
  l->count[a->kind]++;
  return RG_OK;
}

int rg_sdp_attrs_append_(struct rg_sdp_attrs *l, struct rg_sdp_attr *a, struct rg_sdp_fail *fail)
{
  return rg_sdp_attrs_insert_(l, l->tail, a, fail);
}

void rg_sdp_attrs_recount_(struct rg_sdp_attrs *l)
{
  uint32_t ids[RG_SDP_MAX_SSRC_GROUP_IDS];
  l->n = 0;
  l->n_ssrcs = 0;
  l->tail = NULL;
  memset(l->count, 0, sizeof l->count);
  for (struct rg_sdp_attr *a = l->head; a; a = a->next) {
    size_t n_new = new_ssrcs(l, a, ids);
    /* A subset of what was admitted before, so it fits. */
    memcpy(l->ssrcs + l->n_ssrcs, ids, n_new * sizeof ids[0]);
    l->n_ssrcs += n_new;
    l->n++;
    l->count[a->kind]++;
    l->tail = a;
  }
}
