/* Model to SDP text, CRLF line ends, in RFC 8866 §5 order. Lines the model
 * does not interpret go back at their place in that order. */
#include <string.h>

#include "rtcgate/error.h"
#include "sdp_internal.h"

void rg_sdp_put_(struct rg_sdp_sink *o, const char *p, size_t n)
{
  if (o->len < o->cap) {
    size_t room = o->cap - o->len;
    memcpy(o->buf + o->len, p, n < room ? n : room);
  }
  o->len += n;
}

void rg_sdp_puts_(struct rg_sdp_sink *o, const char *s)
{
  if (s)
    rg_sdp_put_(o, s, strlen(s));
}

void rg_sdp_putu_(struct rg_sdp_sink *o, uint64_t v)
{
  char tmp[21];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  rg_sdp_put_(o, tmp + i, sizeof tmp - i);
}

static void put_line(struct rg_sdp_sink *o, char type, const char *value)
{
  char head[2] = {type, '='};
  rg_sdp_put_(o, head, 2);
  rg_sdp_puts_(o, value);
  rg_sdp_puts_(o, "\r\n");
}

/* Extra lines whose type is in types, in their order. */
static void put_extra(struct rg_sdp_sink *o, const struct rg_sdp_line *l, const char *types)
{
  for (; l; l = l->next)
    if (strchr(types, l->type))
      put_line(o, l->type, l->value);
}

static void put_conn(struct rg_sdp_sink *o, const struct rg_sdp_conn *c)
{
  rg_sdp_puts_(o, "c=");
  rg_sdp_puts_(o, c->nettype);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, c->addrtype);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, c->address);
  rg_sdp_puts_(o, "\r\n");
}

static void put_bandwidths(struct rg_sdp_sink *o, const struct rg_sdp_bandwidth *b, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    rg_sdp_puts_(o, "b=");
    rg_sdp_puts_(o, b[i].type);
    rg_sdp_puts_(o, ":");
    rg_sdp_putu_(o, b[i].value);
    rg_sdp_puts_(o, "\r\n");
  }
}

static void put_attrs(struct rg_sdp_sink *o, const struct rg_sdp_attrs *l)
{
  for (const struct rg_sdp_attr *a = l->head; a; a = a->next)
    rg_sdp_attr_write_(o, a);
}

static void put_media(struct rg_sdp_sink *o, const struct rg_sdp_media *m)
{
  rg_sdp_puts_(o, "m=");
  rg_sdp_puts_(o, m->media);
  rg_sdp_puts_(o, " ");
  rg_sdp_putu_(o, m->port);
  if (m->port_count) {
    rg_sdp_puts_(o, "/");
    rg_sdp_putu_(o, m->port_count);
  }
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, m->proto);
  for (size_t i = 0; i < m->n_formats; i++) {
    rg_sdp_puts_(o, " ");
    rg_sdp_puts_(o, m->formats[i]);
  }
  rg_sdp_puts_(o, "\r\n");
  put_extra(o, m->extra, "i");
  if (m->has_conn)
    put_conn(o, &m->conn);
  put_bandwidths(o, m->bandwidths, m->n_bandwidths);
  put_extra(o, m->extra, "k");
  put_attrs(o, &m->attrs);
}

static void put_all(struct rg_sdp_sink *o, const struct rg_sdp *sdp)
{
  const struct rg_sdp_origin *og = &sdp->origin;
  rg_sdp_puts_(o, "v=0\r\no=");
  rg_sdp_puts_(o, og->username);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, og->sess_id);
  rg_sdp_puts_(o, " ");
  rg_sdp_putu_(o, og->sess_version);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, og->nettype);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, og->addrtype);
  rg_sdp_puts_(o, " ");
  rg_sdp_puts_(o, og->address);
  rg_sdp_puts_(o, "\r\n");
  put_line(o, 's', sdp->name);
  put_extra(o, sdp->extra, "iuep");
  if (sdp->has_conn)
    put_conn(o, &sdp->conn);
  put_bandwidths(o, sdp->bandwidths, sdp->n_bandwidths);
  rg_sdp_puts_(o, "t=");
  rg_sdp_putu_(o, sdp->t_start);
  rg_sdp_puts_(o, " ");
  rg_sdp_putu_(o, sdp->t_stop);
  rg_sdp_puts_(o, "\r\n");
  put_extra(o, sdp->extra, "trzk");
  put_attrs(o, &sdp->attrs);
  for (size_t i = 0; i < sdp->n_media; i++)
    put_media(o, sdp->media[i]);
}

size_t rg_sdp_write_len(const struct rg_sdp *sdp)
{
  struct rg_sdp_sink o = {NULL, 0, 0};
  put_all(&o, sdp);
  return o.len;
}

int rg_sdp_write(const struct rg_sdp *sdp, char *buf, size_t cap, size_t *out_len)
{
  struct rg_sdp_sink o = {buf, cap, 0};
  if (!sdp || (!buf && cap))
    return RG_ERR_INVAL;
  put_all(&o, sdp);
  if (o.len >= cap)
    return RG_ERR_BUFFER;
  buf[o.len] = '\0';
  if (out_len)
    *out_len = o.len;
  return RG_OK;
}
