/* What both ICE agents share: credentials, bounded output and event queues,
 * randomness, and answering Binding requests (RFC 8489 §9.1.3, RFC 8445 §7.3). */
#include "ice_internal.h"
#include "rtcgate/error.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static int copy_str(uint8_t *dst, uint16_t *dst_len, const char *src, size_t len, size_t max)
{
  if (!src || len == 0 || len > max)
    return RG_ERR_INVAL;
  memcpy(dst, src, len);
  *dst_len = (uint16_t)len;
  return RG_OK;
}

int rg_ice__common_init(struct rg_ice_common *c, const struct rg_ice_credentials *cr, bool silent_auth,
                        bool seeded, uint64_t seed)
{
  memset(c, 0, sizeof *c);
  int rc;
  if ((rc = copy_str(c->local_ufrag, &c->local_ufrag_len, cr->local_ufrag, cr->local_ufrag_len,
                     RG_ICE_MAX_UFRAG)) != RG_OK ||
      (rc = copy_str(c->remote_ufrag, &c->remote_ufrag_len, cr->remote_ufrag, cr->remote_ufrag_len,
                     RG_ICE_MAX_UFRAG)) != RG_OK ||
      (rc = copy_str(c->local_pwd, &c->local_pwd_len, cr->local_pwd, cr->local_pwd_len, RG_ICE_MAX_PWD)) !=
        RG_OK ||
      (rc = copy_str(c->remote_pwd, &c->remote_pwd_len, cr->remote_pwd, cr->remote_pwd_len, RG_ICE_MAX_PWD)) !=
        RG_OK) {
    rg_ice__common_cleanup(c);
    return rc;
  }
  c->silent_auth_failures = silent_auth;
  c->seeded = seeded;
  c->rng = seed;
  return RG_OK;
}

void rg_ice__common_cleanup(struct rg_ice_common *c)
{
  /* Passwords and queued MACs are secrets of a kind: wipe, not just forget. */
  OPENSSL_cleanse(c, sizeof *c);
  c->closed = true;
}

/* splitmix64: small, well-mixed, and only used when a test asks for a seed. */
static uint64_t splitmix64(uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int rg_ice__random(struct rg_ice_common *c, void *out, size_t n)
{
  uint8_t *p = out;
  if (!c->seeded)
    return RAND_bytes(p, (int)n) == 1 ? RG_OK : RG_ERR_CRYPTO;
  while (n > 0) {
    uint64_t r = splitmix64(&c->rng);
    size_t k = n < 8 ? n : 8;
    memcpy(p, &r, k);
    p += k;
    n -= k;
  }
  return RG_OK;
}

struct rg_ice_datagram *rg_ice__tx_slot(struct rg_ice_common *c)
{
  if (c->out_count >= RG_ICE_OUT_QUEUE) {
    c->stats.tx_queue_full++;
    return NULL;
  }
  return &c->out[(c->out_head + c->out_count) % RG_ICE_OUT_QUEUE];
}

void rg_ice__tx_commit(struct rg_ice_common *c, const struct rg_addr *dest, size_t len)
{
  struct rg_ice_datagram *d = &c->out[(c->out_head + c->out_count) % RG_ICE_OUT_QUEUE];
  d->dest = *dest;
  d->len = (uint16_t)len;
  c->out_count++;
}

void rg_ice__event(struct rg_ice_common *c, uint8_t type, const struct rg_addr *addr)
{
  if (c->ev_count >= RG_ICE_EVENT_QUEUE) {
    c->stats.events_dropped++;
    return;
  }
  struct rg_ice_output *e = &c->events[(c->ev_head + c->ev_count) % RG_ICE_EVENT_QUEUE];
  memset(e, 0, sizeof *e);
  e->kind = RG_ICE_OUT_EVENT;
  e->event = type;
  if (addr)
    e->addr = *addr;
  c->ev_count++;
}

int rg_ice__poll(struct rg_ice_common *c, struct rg_ice_output *out, uint8_t *buf, size_t cap)
{
  /* Events first: the caller learns a new peer address before it sends. */
  if (c->ev_count > 0) {
    *out = c->events[c->ev_head];
    c->ev_head = (uint8_t)((c->ev_head + 1) % RG_ICE_EVENT_QUEUE);
    c->ev_count--;
    return RG_OK;
  }
  if (c->out_count > 0) {
    struct rg_ice_datagram *d = &c->out[c->out_head];
    if (!buf || cap < d->len)
      return RG_ERR_BUFFER;
    memcpy(buf, d->data, d->len);
    memset(out, 0, sizeof *out);
    out->kind = RG_ICE_OUT_DATAGRAM;
    out->addr = d->dest;
    out->len = d->len;
    c->out_head = (uint8_t)((c->out_head + 1) % RG_ICE_OUT_QUEUE);
    c->out_count--;
    return RG_OK;
  }
  memset(out, 0, sizeof *out);
  out->kind = RG_ICE_OUT_NONE;
  return RG_OK;
}

int rg_ice__parse(struct rg_ice_common *c, struct rg_stun_msg *m, const uint8_t *data, size_t len)
{
  if (c->closed) {
    c->stats.rx_after_close++;
    return RG_ERR_CLOSED;
  }
  int rc = rg_stun_parse(m, data, len);
  if (rc != RG_OK) {
    c->stats.rx_malformed++;
    return rc;
  }
  /* RFC 8445 §7.1 puts FINGERPRINT in every check and response; without a
   * right one the datagram is not ICE's STUN (RFC 8489 §7.3): silent drop. */
  rc = rg_stun_check_fingerprint(m);
  if (rc == RG_ERR_NOT_FOUND) {
    c->stats.rx_no_fingerprint++;
    return RG_ERR_MALFORMED;
  }
  if (rc != RG_OK) {
    c->stats.rx_bad_fingerprint++;
    return rc;
  }
  if (m->method != RG_STUN_METHOD_BINDING) {
    c->stats.rx_unsupported_method++;
    return RG_ERR_UNSUPPORTED;
  }
  if (m->cls == RG_STUN_INDICATION) {
    c->stats.rx_indications++; /* keepalive (RFC 8445 §11); no consent */
    return RG_ERR_AGAIN;
  }
  return RG_OK;
}

/* Error response; integrity only when the request authenticated (RFC 8489
 * §9.1.3: a 400/401 carries no MESSAGE-INTEGRITY). */
static void send_error(struct rg_ice_common *c, const struct rg_stun_msg *m, const struct rg_addr *to,
                       uint16_t code, const char *reason, bool with_mi)
{
  struct rg_ice_datagram *d = rg_ice__tx_slot(c);
  if (!d)
    return;
  struct rg_stun_writer w;
  size_t len;
  rg_stun_writer_init(&w, d->data, sizeof d->data, RG_STUN_METHOD_BINDING, RG_STUN_ERROR, m->tid);
  rg_stun_write_error_code(&w, code, reason, strlen(reason));
  if (code == RG_STUN_ERR_UNKNOWN_ATTRIBUTE)
    rg_stun_write_unknown_attrs(&w, m->unknown, m->nunknown);
  if (with_mi)
    rg_stun_write_integrity(&w, c->local_pwd, c->local_pwd_len);
  rg_stun_write_fingerprint(&w);
  if (rg_stun_writer_finish(&w, &len) != RG_OK)
    return;
  rg_ice__tx_commit(c, to, len);
  c->stats.errors_sent++;
}

static int auth_failure(struct rg_ice_common *c, const struct rg_stun_msg *m, const struct rg_addr *from,
                        uint16_t code, const char *reason)
{
  if (!c->silent_auth_failures)
    send_error(c, m, from, code, reason, false);
  return RG_ERR_AUTH;
}

static bool username_is_ours(const struct rg_ice_common *c, const struct rg_stun_msg *m)
{
  /* The requester writes "receiver's ufrag:sender's ufrag" (RFC 8445 §7.2.2). */
  size_t want = (size_t)c->local_ufrag_len + 1 + c->remote_ufrag_len;
  const uint8_t *u = m->username.ptr;
  return m->username.len == want && memcmp(u, c->local_ufrag, c->local_ufrag_len) == 0 &&
         u[c->local_ufrag_len] == ':' && memcmp(u + c->local_ufrag_len + 1, c->remote_ufrag, c->remote_ufrag_len) == 0;
}

int rg_ice__answer_request(struct rg_ice_common *c, const struct rg_stun_msg *m, const struct rg_addr *from,
                           enum rg_ice_role role, uint64_t tie_breaker)
{
  if (!m->username.ptr || (m->mi_index < 0 && m->mi256_index < 0)) {
    c->stats.rx_missing_auth++;
    return auth_failure(c, m, from, RG_STUN_ERR_BAD_REQUEST, "Bad Request");
  }
  if (!username_is_ours(c, m)) {
    c->stats.rx_bad_username++;
    return auth_failure(c, m, from, RG_STUN_ERR_UNAUTHORIZED, "Unauthorized");
  }
  int rc = rg_stun_check_integrity(m, c->local_pwd, c->local_pwd_len);
  if (rc == RG_ERR_CRYPTO)
    return rc;
  if (rc != RG_OK) {
    c->stats.rx_bad_integrity++;
    return auth_failure(c, m, from, RG_STUN_ERR_UNAUTHORIZED, "Unauthorized");
  }
  /* Authenticated from here: error responses carry MESSAGE-INTEGRITY. */
  if (m->nunknown > 0) {
    c->stats.rx_unknown_attrs++;
    send_error(c, m, from, RG_STUN_ERR_UNKNOWN_ATTRIBUTE, "Unknown Attribute", true);
    return RG_ERR_UNSUPPORTED;
  }
  if (role == RG_ICE_ROLE_CONTROLLING && m->has_ice_controlling) {
    /* RFC 8445 §7.3.1.1, full agents. Winning keeps our role and tells the
     * peer with 487; losing would mean switching to controlled, which this
     * agent does not do (docs/ice.md): it is counted and answered. */
    c->stats.role_conflicts++;
    if (tie_breaker >= m->ice_controlling) {
      send_error(c, m, from, RG_STUN_ERR_ROLE_CONFLICT, "Role Conflict", true);
      return RG_ERR_STATE;
    }
  } else if (role == RG_ICE_ROLE_CONTROLLED && m->has_ice_controlled) {
    /* A lite agent is always controlled and runs no repair (§7.3.1.1 is for
     * full agents): counted, answered as usual. */
    c->stats.role_conflicts++;
  }

  struct rg_ice_datagram *d = rg_ice__tx_slot(c);
  if (!d)
    return RG_OK; /* the check was valid; only our answer is lost (counted) */
  struct rg_stun_writer w;
  size_t len;
  rg_stun_writer_init(&w, d->data, sizeof d->data, RG_STUN_METHOD_BINDING, RG_STUN_SUCCESS, m->tid);
  rg_stun_write_xor_addr(&w, RG_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  rg_stun_write_integrity(&w, c->local_pwd, c->local_pwd_len);
  rg_stun_write_fingerprint(&w);
  rc = rg_stun_writer_finish(&w, &len);
  if (rc != RG_OK)
    return rc; /* only an invalid from address gets here */
  rg_ice__tx_commit(c, from, len);
  c->stats.checks_answered++;
  return RG_OK;
}
