/* Building and rewriting SDP. Every attribute the builder adds is written as
 * text and put through the parser's own attribute code, so a built SDP obeys
 * the same grammar and limits as a parsed one, and text given by the caller
 * can never smuggle in a line break. */
#include <stdio.h>
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

/* A token: 1..RG_SDP_MAX_TOKEN bytes, no space, CR or LF. */
static bool is_token(const char *s)
{
  if (!s)
    return false;
  size_t n = strnlen(s, RG_SDP_MAX_TOKEN + 1);
  return n > 0 && n <= RG_SDP_MAX_TOKEN && !strpbrk(s, " \r\n");
}

/* Free text: no CR or LF, shorter than a line. */
static bool is_text(const char *s)
{
  return s && strnlen(s, RG_SDP_MAX_LINE + 1) <= RG_SDP_MAX_LINE && !strpbrk(s, "\r\n");
}

static bool is_digits(const char *s)
{
  if (!is_token(s))
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static int dup(struct rg_sdp *sdp, const char *s, const char **out)
{
  char *d = rg_sdp_arena_strndup_(sdp, s, strlen(s));
  if (!d)
    return RG_ERR_TOO_LARGE;
  *out = d;
  return RG_OK;
}

static struct rg_sdp_attrs *section(struct rg_sdp *sdp, struct rg_sdp_media *m)
{
  return m ? &m->attrs : &sdp->attrs;
}

int rg_sdp_new(struct rg_sdp **out, const char *sess_id)
{
  struct rg_sdp *sdp;
  if (!out || (sess_id && !is_digits(sess_id)))
    return RG_ERR_INVAL;
  if (!(sdp = rg_sdp_alloc_()))
    return RG_ERR_NOMEM;
  int rc = rg_sdp_set_origin(sdp, "-", sess_id ? sess_id : "0", 1, "0.0.0.0");
  if (rc == RG_OK)
    rc = dup(sdp, "-", &sdp->name);
  if (rc) {
    rg_sdp_free(sdp);
    return rc;
  }
  sdp->t_start = sdp->t_stop = 0;
  *out = sdp;
  return RG_OK;
}

int rg_sdp_set_origin(struct rg_sdp *sdp, const char *username, const char *sess_id,
                      uint64_t sess_version, const char *address)
{
  struct rg_sdp_origin o;
  int rc;
  if (!sdp || !is_token(username) || !is_digits(sess_id) || !is_token(address))
    return RG_ERR_INVAL;
  memset(&o, 0, sizeof o);
  o.sess_version = sess_version;
  if ((rc = dup(sdp, username, &o.username)) || (rc = dup(sdp, sess_id, &o.sess_id)) ||
      (rc = dup(sdp, address, &o.address)))
    return rc;
  o.nettype = "IN";
  o.addrtype = strchr(address, ':') ? "IP6" : "IP4";
  sdp->origin = o;
  return RG_OK;
}

int rg_sdp_set_conn(struct rg_sdp *sdp, struct rg_sdp_media *m, const char *address)
{
  struct rg_sdp_conn c;
  if (!sdp || !is_token(address))
    return RG_ERR_INVAL;
  c.nettype = "IN";
  c.addrtype = strchr(address, ':') ? "IP6" : "IP4";
  int rc = dup(sdp, address, &c.address);
  if (rc)
    return rc;
  if (m) {
    m->conn = c;
    m->has_conn = true;
  } else {
    sdp->conn = c;
    sdp->has_conn = true;
  }
  return RG_OK;
}

int rg_sdp_add_media(struct rg_sdp *sdp, const char *media, uint16_t port, const char *proto,
                     const char *const *formats, size_t n_formats, struct rg_sdp_media **out)
{
  struct rg_sdp_media *m;
  int rc;
  if (!sdp || !is_token(media) || !is_token(proto) || !formats || n_formats == 0)
    return RG_ERR_INVAL;
  if (n_formats > RG_SDP_MAX_FORMATS || sdp->n_media >= RG_SDP_MAX_MEDIA)
    return RG_ERR_TOO_LARGE;
  for (size_t i = 0; i < n_formats; i++)
    if (!is_token(formats[i]))
      return RG_ERR_INVAL;
  if (!(m = rg_sdp_arena_alloc_(sdp, sizeof *m)) ||
      !(m->formats = rg_sdp_arena_alloc_(sdp, n_formats * sizeof *m->formats)))
    return RG_ERR_TOO_LARGE;
  if ((rc = dup(sdp, media, &m->media)) || (rc = dup(sdp, proto, &m->proto)))
    return rc;
  for (size_t i = 0; i < n_formats; i++)
    if ((rc = dup(sdp, formats[i], &m->formats[i])))
      return rc;
  m->n_formats = n_formats;
  m->kind = strcmp(media, "audio") == 0         ? RG_SDP_MEDIA_AUDIO
            : strcmp(media, "video") == 0       ? RG_SDP_MEDIA_VIDEO
            : strcmp(media, "application") == 0 ? RG_SDP_MEDIA_APPLICATION
                                                : RG_SDP_MEDIA_OTHER;
  m->port = port;
  sdp->media[sdp->n_media++] = m;
  if (out)
    *out = m;
  return RG_OK;
}

/* "name[:value]" through the parser's attribute code. */
static int make_attr(struct rg_sdp *sdp, const char *name, const char *value, struct rg_sdp_attr **out)
{
  char buf[RG_SDP_MAX_LINE + 1];
  struct rg_sdp_fail f;
  if (!is_token(name) || strchr(name, ':') || (value && !is_text(value)))
    return RG_ERR_INVAL;
  int n = value ? snprintf(buf, sizeof buf, "%s:%s", name, value) : snprintf(buf, sizeof buf, "%s", name);
  if (n < 0 || (size_t)n + 2 > RG_SDP_MAX_LINE) /* "a=" */
    return RG_ERR_TOO_LARGE;
  return rg_sdp_attr_parse_(sdp, (struct rg_span){buf, (size_t)n}, 0, out, &f);
}

int rg_sdp_add_attr(struct rg_sdp *sdp, struct rg_sdp_media *m, const char *name, const char *value)
{
  struct rg_sdp_attr *a;
  struct rg_sdp_fail f;
  if (!sdp)
    return RG_ERR_INVAL;
  int rc = make_attr(sdp, name, value, &a);
  return rc ? rc : rg_sdp_attrs_append_(section(sdp, m), a, &f);
}

static int make_fingerprint(struct rg_sdp *sdp, const struct rg_fingerprint *fp, struct rg_sdp_attr **out)
{
  char text[RG_FINGERPRINT_STRLEN];
  if (!fp || rg_fingerprint_format(fp, text, sizeof text) < 0)
    return RG_ERR_INVAL;
  return make_attr(sdp, "fingerprint", text, out);
}

int rg_sdp_add_fingerprint(struct rg_sdp *sdp, struct rg_sdp_media *m, const struct rg_fingerprint *fp)
{
  struct rg_sdp_attr *a;
  struct rg_sdp_fail f;
  if (!sdp)
    return RG_ERR_INVAL;
  int rc = make_fingerprint(sdp, fp, &a);
  return rc ? rc : rg_sdp_attrs_append_(section(sdp, m), a, &f);
}

static int make_candidate(struct rg_sdp *sdp, const struct rg_sdp_candidate *c, struct rg_sdp_attr **out)
{
  char buf[RG_SDP_MAX_LINE + 1], rel[RG_SDP_MAX_TOKEN + 32] = "";
  if (!c || !is_token(c->foundation) || !is_token(c->transport) || !is_token(c->address) ||
      !is_token(c->type) || (c->raddr && !is_token(c->raddr)) || (c->rest && !is_text(c->rest)) ||
      c->component == 0 || c->component > 256)
    return RG_ERR_INVAL;
  if (c->raddr)
    snprintf(rel, sizeof rel, " raddr %s rport %u", c->raddr, (unsigned)c->rport);
  int n = snprintf(buf, sizeof buf, "%s %u %s %u %s %u typ %s%s%s%s", c->foundation,
                   (unsigned)c->component, c->transport, (unsigned)c->priority, c->address,
                   (unsigned)c->port, c->type, rel, c->rest ? " " : "", c->rest ? c->rest : "");
  if (n < 0 || (size_t)n >= sizeof buf)
    return RG_ERR_TOO_LARGE;
  return make_attr(sdp, "candidate", buf, out);
}

int rg_sdp_add_candidate(struct rg_sdp *sdp, struct rg_sdp_media *m, const struct rg_sdp_candidate *c)
{
  struct rg_sdp_attr *a;
  struct rg_sdp_fail f;
  if (!sdp)
    return RG_ERR_INVAL;
  int rc = make_candidate(sdp, c, &a);
  return rc ? rc : rg_sdp_attrs_append_(section(sdp, m), a, &f);
}

/* Unlinks every attribute whose kind is in kinds; returns how many and, in
 * *before, the attribute that preceded the first removed one (NULL: head). */
static size_t remove_kinds(struct rg_sdp_attrs *l, const int *kinds, size_t n_kinds,
                           struct rg_sdp_attr **before, bool *found)
{
  struct rg_sdp_attr **pp = &l->head, *prev = NULL;
  size_t removed = 0;
  *found = false;
  *before = NULL;
  while (*pp) {
    struct rg_sdp_attr *a = *pp;
    bool hit = false;
    for (size_t i = 0; i < n_kinds && !hit; i++)
      hit = a->kind == kinds[i];
    if (hit) {
      if (!*found) {
        *found = true;
        *before = prev;
      }
      *pp = a->next;
      removed++;
    } else {
      prev = a;
      pp = &a->next;
    }
  }
  rg_sdp_attrs_recount_(l);
  return removed;
}

size_t rg_sdp_remove_attrs(struct rg_sdp *sdp, struct rg_sdp_media *m, int kind)
{
  struct rg_sdp_attr *before;
  bool found;
  if (!sdp)
    return 0;
  return remove_kinds(section(sdp, m), &kind, 1, &before, &found);
}

size_t rg_sdp_drop_crypto(struct rg_sdp *sdp)
{
  size_t n;
  if (!sdp)
    return 0;
  n = rg_sdp_remove_attrs(sdp, NULL, RG_SDP_ATTR_CRYPTO);
  for (size_t i = 0; i < sdp->n_media; i++)
    n += rg_sdp_remove_attrs(sdp, sdp->media[i], RG_SDP_ATTR_CRYPTO);
  return n;
}

static const char *const dir_attr_names[] = {NULL, "sendrecv", "sendonly", "recvonly", "inactive"};

int rg_sdp_set_direction(struct rg_sdp *sdp, struct rg_sdp_media *m, int dir)
{
  static const int kinds[] = {RG_SDP_ATTR_DIRECTION};
  struct rg_sdp_attr *a, *before;
  struct rg_sdp_fail f;
  bool found;
  if (!sdp || dir < RG_SDP_DIR_SENDRECV || dir > RG_SDP_DIR_INACTIVE)
    return RG_ERR_INVAL;
  int rc = make_attr(sdp, dir_attr_names[dir], NULL, &a);
  if (rc)
    return rc;
  struct rg_sdp_attrs *l = section(sdp, m);
  remove_kinds(l, kinds, 1, &before, &found);
  return rg_sdp_attrs_insert_(l, found ? before : l->tail, a, &f);
}

static const char *const setup_attr_names[] = {NULL, "actpass", "active", "passive", "holdconn"};

int rg_sdp_set_transport(struct rg_sdp *sdp, struct rg_sdp_media *m,
                         const struct rg_sdp_transport_spec *spec)
{
  static const int kinds[] = {RG_SDP_ATTR_ICE_UFRAG,   RG_SDP_ATTR_ICE_PWD, RG_SDP_ATTR_ICE_OPTIONS,
                              RG_SDP_ATTR_FINGERPRINT, RG_SDP_ATTR_SETUP,   RG_SDP_ATTR_CANDIDATE,
                              RG_SDP_ATTR_END_OF_CANDIDATES};
  struct rg_sdp_attr *fresh[4 + RG_SDP_MAX_FINGERPRINTS + RG_SDP_MAX_CANDIDATES + 1];
  struct rg_sdp_attr *before;
  struct rg_sdp_fail f;
  size_t n = 0;
  bool found;
  int rc;
  if (!sdp || !m || !spec || !is_token(spec->ice_ufrag) || !is_token(spec->ice_pwd) ||
      spec->setup < RG_SDP_SETUP_ACTPASS || spec->setup > RG_SDP_SETUP_HOLDCONN ||
      (spec->n_fingerprints && !spec->fingerprints) || (spec->n_candidates && !spec->candidates))
    return RG_ERR_INVAL;
  if (spec->n_fingerprints > RG_SDP_MAX_FINGERPRINTS || spec->n_candidates > RG_SDP_MAX_CANDIDATES)
    return RG_ERR_TOO_LARGE;
  /* Make every new attribute first: a bad spec leaves the section as it was. */
  if ((rc = make_attr(sdp, "ice-ufrag", spec->ice_ufrag, &fresh[n++])) ||
      (rc = make_attr(sdp, "ice-pwd", spec->ice_pwd, &fresh[n++])))
    return rc;
  if (spec->ice_options && (rc = make_attr(sdp, "ice-options", spec->ice_options, &fresh[n++])))
    return rc;
  for (size_t i = 0; i < spec->n_fingerprints; i++)
    if ((rc = make_fingerprint(sdp, &spec->fingerprints[i], &fresh[n++])))
      return rc;
  if ((rc = make_attr(sdp, "setup", setup_attr_names[spec->setup], &fresh[n++])))
    return rc;
  for (size_t i = 0; i < spec->n_candidates; i++)
    if ((rc = make_candidate(sdp, &spec->candidates[i], &fresh[n++])))
      return rc;
  if (spec->end_of_candidates && (rc = make_attr(sdp, "end-of-candidates", NULL, &fresh[n++])))
    return rc;
  remove_kinds(&m->attrs, kinds, sizeof kinds / sizeof kinds[0], &before, &found);
  if (!found)
    before = NULL; /* none before: the transport goes first in the section */
  for (size_t i = 0; i < n; i++) {
    if ((rc = rg_sdp_attrs_insert_(&m->attrs, before, fresh[i], &f)))
      return rc;
    before = fresh[i];
  }
  return RG_OK;
}
