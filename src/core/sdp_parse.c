/* SDP text to model (RFC 8866 §5, §9). One pass over the lines; every line
 * is bounded, every count is checked against its RG_SDP_MAX_* limit, and the
 * first problem stops the parse with its line number and reason. */
#include <stdio.h>
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

struct parser {
  struct rg_sdp *sdp;
  unsigned flags;
  unsigned line;
  struct rg_sdp_media *cur; /* NULL while in the session part */
  bool seen_v, seen_o, seen_s, seen_t;
  struct rg_sdp_fail fail;
};

static int fail(struct parser *p, int code, const char *reason)
{
  p->fail.code = code;
  p->fail.reason = reason;
  return code;
}

#define BAD(p, why) fail((p), RG_ERR_MALFORMED, (why))
#define NOMEM(p) fail((p), RG_ERR_TOO_LARGE, "SDP model exceeds its memory cap")

static int dup_token(struct parser *p, struct rg_span t, const char **out)
{
  if (t.n > RG_SDP_MAX_TOKEN)
    return fail(p, RG_ERR_TOO_LARGE, "token too long");
  char *s = rg_sdp_arena_strndup_(p->sdp, t.p, t.n);
  if (!s)
    return NOMEM(p);
  *out = s;
  return RG_OK;
}

static int take(struct parser *p, struct rg_span *v, const char **out, const char *why)
{
  struct rg_span t;
  if (!rg_sdp_next_token_(v, &t))
    return BAD(p, why);
  return dup_token(p, t, out);
}

static bool at_end(struct rg_span v)
{
  return rg_sdp_rest_(v).n == 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int parse_origin(struct parser *p, struct rg_span v)
{
  struct rg_sdp_origin *o = &p->sdp->origin;
  struct rg_span t;
  int rc;
  if (p->seen_o)
    return BAD(p, "duplicate o= line");
  if ((rc = take(p, &v, &o->username, "o= line needs 6 fields")))
    return rc;
  if (!rg_sdp_next_token_(&v, &t))
    return BAD(p, "o= line needs 6 fields");
  for (size_t i = 0; i < t.n; i++)
    if (t.p[i] < '0' || t.p[i] > '9')
      return BAD(p, "o= session id is not a number");
  if ((rc = dup_token(p, t, &o->sess_id)))
    return rc;
  if (!rg_sdp_next_token_(&v, &t) || !rg_sdp_parse_u64_(t, UINT64_MAX, &o->sess_version))
    return BAD(p, "o= session version is not a number");
  if ((rc = take(p, &v, &o->nettype, "o= line needs 6 fields")) ||
      (rc = take(p, &v, &o->addrtype, "o= line needs 6 fields")) ||
      (rc = take(p, &v, &o->address, "o= line needs 6 fields")))
    return rc;
  if (!at_end(v))
    return BAD(p, "o= line has more than 6 fields");
  p->seen_o = true;
  return RG_OK;
}

/* c=<nettype> <addrtype> <address> */
static int parse_conn(struct parser *p, struct rg_span v, bool *has, struct rg_sdp_conn *c)
{
  int rc;
  if (*has)
    return BAD(p, "duplicate c= line");
  if ((rc = take(p, &v, &c->nettype, "c= line needs 3 fields")) ||
      (rc = take(p, &v, &c->addrtype, "c= line needs 3 fields")) ||
      (rc = take(p, &v, &c->address, "c= line needs 3 fields")))
    return rc;
  if (!at_end(v))
    return BAD(p, "c= line has more than 3 fields");
  *has = true;
  return RG_OK;
}

/* b=<bwtype>:<bandwidth> */
static int parse_bandwidth(struct parser *p, struct rg_span v, size_t *n, struct rg_sdp_bandwidth *b)
{
  const char *colon = memchr(v.p, ':', v.n);
  uint64_t val;
  if (*n >= RG_SDP_MAX_BANDWIDTHS)
    return fail(p, RG_ERR_TOO_LARGE, "too many b= lines in a section");
  if (!colon || colon == v.p || memchr(v.p, ' ', (size_t)(colon - v.p)))
    return BAD(p, "b= line needs <type>:<value>");
  struct rg_span val_s = {colon + 1, v.n - (size_t)(colon - v.p) - 1};
  if (!rg_sdp_parse_u64_(val_s, UINT32_MAX, &val))
    return BAD(p, "b= value is not a number");
  int rc = dup_token(p, (struct rg_span){v.p, (size_t)(colon - v.p)}, &b[*n].type);
  if (rc)
    return rc;
  b[*n].value = (uint32_t)val;
  (*n)++;
  return RG_OK;
}

static int add_extra(struct parser *p, char type, struct rg_span v, size_t *n,
                     struct rg_sdp_line **head, struct rg_sdp_line **tail)
{
  if (*n >= RG_SDP_MAX_EXTRA_LINES)
    return fail(p, RG_ERR_TOO_LARGE, "too many i=/u=/e=/p=/r=/z=/k= lines in a section");
  struct rg_sdp_line *l = rg_sdp_arena_alloc_(p->sdp, sizeof *l);
  char *s = l ? rg_sdp_arena_strndup_(p->sdp, v.p, v.n) : NULL;
  if (!s)
    return NOMEM(p);
  l->type = type;
  l->value = s;
  if (*tail)
    (*tail)->next = l;
  else
    *head = l;
  *tail = l;
  (*n)++;
  return RG_OK;
}

static int parse_timing(struct parser *p, struct rg_span v)
{
  struct rg_span a, b;
  if (p->seen_t) /* further t= (and their r=) are kept verbatim */
    return add_extra(p, 't', v, &p->sdp->n_extra, &p->sdp->extra, &p->sdp->extra_tail);
  if (!rg_sdp_next_token_(&v, &a) || !rg_sdp_next_token_(&v, &b) || !at_end(v) ||
      !rg_sdp_parse_u64_(a, UINT64_MAX, &p->sdp->t_start) ||
      !rg_sdp_parse_u64_(b, UINT64_MAX, &p->sdp->t_stop))
    return BAD(p, "t= line needs <start> <stop>");
  p->seen_t = true;
  return RG_OK;
}

static int media_kind(struct rg_span t)
{
  if (rg_sdp_span_eq_(t, "audio")) return RG_SDP_MEDIA_AUDIO;
  if (rg_sdp_span_eq_(t, "video")) return RG_SDP_MEDIA_VIDEO;
  if (rg_sdp_span_eq_(t, "application")) return RG_SDP_MEDIA_APPLICATION;
  return RG_SDP_MEDIA_OTHER;
}

/* m=<media> <port>[/<number>] <proto> <fmt> ... */
static int parse_media(struct parser *p, struct rg_span v)
{
  struct rg_sdp *sdp = p->sdp;
  struct rg_span t, scan;
  uint64_t port, count = 0;
  size_t n = 0;
  int rc;
  if (!p->seen_o)
    return BAD(p, "missing o= line before m=");
  if (!p->seen_s)
    return BAD(p, "missing s= line before m=");
  if (!p->seen_t)
    return BAD(p, "missing t= line before m=");
  if (sdp->n_media >= RG_SDP_MAX_MEDIA)
    return fail(p, RG_ERR_TOO_LARGE, "too many m= sections");
  struct rg_sdp_media *m = rg_sdp_arena_alloc_(sdp, sizeof *m);
  if (!m)
    return NOMEM(p);
  m->line = p->line;
  if (!rg_sdp_next_token_(&v, &t))
    return BAD(p, "m= line needs <media> <port> <proto> <fmt>");
  m->kind = media_kind(t);
  if ((rc = dup_token(p, t, &m->media)))
    return rc;
  if (!rg_sdp_next_token_(&v, &t))
    return BAD(p, "m= line needs <media> <port> <proto> <fmt>");
  const char *slash = memchr(t.p, '/', t.n);
  struct rg_span port_s = {t.p, slash ? (size_t)(slash - t.p) : t.n};
  if (!rg_sdp_parse_u64_(port_s, 65535, &port))
    return BAD(p, "bad m= port");
  if (slash && (!rg_sdp_parse_u64_((struct rg_span){slash + 1, t.n - port_s.n - 1}, 65535, &count) ||
                count == 0))
    return BAD(p, "bad m= port count");
  m->port = (uint16_t)port;
  m->port_count = (uint16_t)count;
  if ((rc = take(p, &v, &m->proto, "m= line needs <media> <port> <proto> <fmt>")))
    return rc;
  for (scan = v; rg_sdp_next_token_(&scan, &t);)
    n++;
  if (n == 0)
    return BAD(p, "m= line without formats");
  if (n > RG_SDP_MAX_FORMATS)
    return fail(p, RG_ERR_TOO_LARGE, "too many formats on m= line");
  m->formats = rg_sdp_arena_alloc_(sdp, n * sizeof *m->formats);
  if (!m->formats)
    return NOMEM(p);
  for (size_t i = 0; i < n; i++)
    if ((rc = take(p, &v, &m->formats[i], "bad m= format")))
      return rc;
  m->n_formats = n;
  sdp->media[sdp->n_media++] = m;
  p->cur = m;
  return RG_OK;
}

static int parse_attr_line(struct parser *p, struct rg_span v)
{
  struct rg_sdp_attr *a;
  /* Dropped unread: rtcgate ignores SDES keys, so a malformed one must not
   * fail an otherwise good SDP either. */
  if ((p->flags & RG_SDP_PARSE_DROP_CRYPTO) && v.n >= 6 && memcmp(v.p, "crypto", 6) == 0 &&
      (v.n == 6 || v.p[6] == ':'))
    return RG_OK;
  int rc = rg_sdp_attr_parse_(p->sdp, v, p->line, &a, &p->fail);
  if (rc)
    return rc;
  return rg_sdp_attrs_append_(p->cur ? &p->cur->attrs : &p->sdp->attrs, a, &p->fail);
}

static int parse_session_line(struct parser *p, char type, struct rg_span v)
{
  struct rg_sdp *sdp = p->sdp;
  switch (type) {
  case 'v': return BAD(p, "duplicate v= line");
  case 'o': return parse_origin(p, v);
  case 's':
    if (p->seen_s)
      return BAD(p, "duplicate s= line");
    p->seen_s = true;
    sdp->name = rg_sdp_arena_strndup_(sdp, v.p, v.n);
    return sdp->name ? RG_OK : NOMEM(p);
  case 'c': return parse_conn(p, v, &sdp->has_conn, &sdp->conn);
  case 'b': return parse_bandwidth(p, v, &sdp->n_bandwidths, sdp->bandwidths);
  case 't': return parse_timing(p, v);
  case 'i': case 'u': case 'e': case 'p': case 'r': case 'z': case 'k':
    return add_extra(p, type, v, &sdp->n_extra, &sdp->extra, &sdp->extra_tail);
  case 'a': return parse_attr_line(p, v);
  case 'm': return parse_media(p, v);
  default: return BAD(p, "unknown line type");
  }
}

static int parse_media_line(struct parser *p, char type, struct rg_span v)
{
  struct rg_sdp_media *m = p->cur;
  switch (type) {
  case 'c': return parse_conn(p, v, &m->has_conn, &m->conn);
  case 'b': return parse_bandwidth(p, v, &m->n_bandwidths, m->bandwidths);
  case 'i': case 'k': return add_extra(p, type, v, &m->n_extra, &m->extra, &m->extra_tail);
  case 'a': return parse_attr_line(p, v);
  case 'm': return parse_media(p, v);
  case 'v': case 'o': case 's': case 'u': case 'e': case 'p': case 't': case 'r': case 'z':
    return BAD(p, "line type not allowed in a media section");
  default: return BAD(p, "unknown line type");
  }
}

static int parse_line(struct parser *p, struct rg_span l)
{
  if (l.n > RG_SDP_MAX_LINE)
    return fail(p, RG_ERR_TOO_LARGE, "line too long");
  if (memchr(l.p, '\r', l.n) || memchr(l.p, '\0', l.n))
    return BAD(p, "CR or NUL inside a line");
  if (l.n < 2 || l.p[1] != '=' || l.p[0] < 'a' || l.p[0] > 'z')
    return BAD(p, "expected <type>=<value>");
  struct rg_span v = {l.p + 2, l.n - 2};
  if (!p->seen_v) {
    if (l.p[0] != 'v' || !rg_sdp_span_eq_(v, "0"))
      return BAD(p, "SDP must start with v=0");
    p->seen_v = true;
    return RG_OK;
  }
  return p->cur ? parse_media_line(p, l.p[0], v) : parse_session_line(p, l.p[0], v);
}

static int parse_all(struct parser *p, const char *text, size_t len)
{
  size_t pos = 0;
  int rc;
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    struct rg_span l = {text + pos, end - pos};
    pos = nl ? end + 1 : len;
    if (++p->line > RG_SDP_MAX_LINES)
      return fail(p, RG_ERR_TOO_LARGE, "too many lines");
    if (l.n && l.p[l.n - 1] == '\r')
      l.n--;
    if (l.n == 0)
      continue; /* blank lines carry nothing; tolerated, not kept */
    if ((rc = parse_line(p, l)))
      return rc;
  }
  p->line = 0; /* what is missing belongs to no line */
  if (!p->seen_v)
    return BAD(p, "empty SDP");
  if (!p->seen_o)
    return BAD(p, "missing o= line");
  if (!p->seen_s)
    return BAD(p, "missing s= line");
  if (!p->seen_t)
    return BAD(p, "missing t= line");
  return RG_OK;
}

int rg_sdp_parse(const char *text, size_t len, unsigned flags, struct rg_sdp **out,
                 struct rg_sdp_error *err)
{
  struct parser p;
  int rc;
  memset(&p, 0, sizeof p);
  if (!out || (!text && len)) {
    rc = fail(&p, RG_ERR_INVAL, "invalid argument");
  } else if (len > RG_SDP_MAX_SIZE) {
    rc = fail(&p, RG_ERR_TOO_LARGE, "SDP larger than RG_SDP_MAX_SIZE");
  } else if (!(p.sdp = rg_sdp_alloc_())) {
    rc = fail(&p, RG_ERR_NOMEM, "out of memory");
  } else {
    p.flags = flags;
    rc = parse_all(&p, text ? text : "", len);
  }
  if (rc) {
    rg_sdp_free(p.sdp);
    if (err) {
      memset(err, 0, sizeof *err);
      err->line = p.line;
      err->code = rc;
      snprintf(err->reason, sizeof err->reason, "%s", p.fail.reason ? p.fail.reason : "error");
    }
    return rc;
  }
  *out = p.sdp;
  return RG_OK;
}
