/* The DTLS core's datagram plumbing: a BIO that keeps datagram boundaries.
 *
 * A stream memory BIO would merge OpenSSL's records into one byte stream; the
 * BIO here instead hands OpenSSL exactly one received datagram per read, and
 * packs the records OpenSSL writes into datagrams no larger than the MTU,
 * which is what OpenSSL's DTLS layer expects from a datagram socket:
 * BIO_wpending reports the bytes of the datagram being built (OpenSSL sizes
 * the next fragment by it) and BIO_flush ends the datagram.
 */
#include "dtls_internal.h"

#include <stdlib.h>
#include <string.h>

#include "rtcgate/error.h"

/* A type number private to this core; OpenSSL only compares it for SCTP. */
#define RGI_BIO_TYPE (0x7a | BIO_TYPE_SOURCE_SINK)

static int slot_store(struct rgi_dtls_dgram *slot, const uint8_t *data, size_t len, size_t cap)
{
  if (!slot->data && !(slot->data = malloc(cap)))
    return RG_ERR_NOMEM;
  memcpy(slot->data, data, len);
  slot->len = (uint16_t)len;
  return RG_OK;
}

static void flight_append(struct rg_dtls *d, const uint8_t *data, size_t len)
{
  if (d->flight_restart) {
    d->flight_count = 0;
    d->flight_restart = false;
  }
  /* A flight longer than the store is kept truncated: resends then carry its
   * head only and the peer's own timer covers the rest. */
  if (d->flight_count < RGI_DTLS_FLIGHT_MAX &&
      slot_store(&d->flight[d->flight_count], data, len, d->mtu) == RG_OK)
    d->flight_count++;
}

static void queue_push(struct rg_dtls *d, const uint8_t *data, size_t len)
{
  unsigned tail;
  if (d->out_count == RGI_DTLS_OUT_MAX) {
    d->stats.dropped_out++; /* as if lost on the wire; DTLS resends */
    return;
  }
  tail = (d->out_head + d->out_count) % RGI_DTLS_OUT_MAX;
  if (slot_store(&d->out[tail], data, len, d->mtu) != RG_OK) {
    d->stats.dropped_out++;
    return;
  }
  d->out_count++;
}

void rgi_dtls_close_open(struct rg_dtls *d)
{
  if (d->open_len == 0)
    return;
  queue_push(d, d->open, d->open_len);
  flight_append(d, d->open, d->open_len);
  d->closed_in_call++;
  d->open_len = 0;
}

void rgi_dtls_drop_output(struct rg_dtls *d)
{
  d->open_len = 0;
  d->out_count = 0;
  d->flight_count = 0;
}

void rgi_dtls_replay_flight(struct rg_dtls *d)
{
  for (unsigned i = 0; i < d->flight_count; i++)
    queue_push(d, d->flight[i].data, d->flight[i].len);
}

void rgi_dtls_free_buffers(struct rg_dtls *d)
{
  for (unsigned i = 0; i < RGI_DTLS_OUT_MAX; i++)
    free(d->out[i].data);
  for (unsigned i = 0; i < RGI_DTLS_FLIGHT_MAX; i++)
    free(d->flight[i].data);
  free(d->open);
}

static int bio_write(BIO *b, const char *data, int len)
{
  struct rg_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (!d || len < 0)
    return -1;
  /* After a fingerprint mismatch everything OpenSSL writes (its alert) is
   * swallowed: the handshake stops silently. */
  if (d->state == RG_DTLS_STATE_MISMATCH || d->state == RG_DTLS_STATE_FAILED)
    return len;
  if ((size_t)len > d->mtu) {
    d->stats.dropped_out++; /* never emit a datagram above the MTU */
    return len;
  }
  if (d->open_len + (size_t)len > d->mtu)
    rgi_dtls_close_open(d);
  memcpy(d->open + d->open_len, data, (size_t)len);
  d->open_len += (size_t)len;
  return len;
}

static int bio_read(BIO *b, char *buf, int cap)
{
  struct rg_dtls *d = BIO_get_data(b);
  size_t n;
  BIO_clear_retry_flags(b);
  if (!d || !d->in || cap <= 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  /* One datagram per read; a datagram larger than the buffer is truncated,
   * as recv() would do. */
  n = d->in_len < (size_t)cap ? d->in_len : (size_t)cap;
  memcpy(buf, d->in, n);
  d->in = NULL;
  d->in_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
  struct rg_dtls *d = BIO_get_data(b);
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    if (d)
      rgi_dtls_close_open(d);
    return 1;
  case BIO_CTRL_WPENDING:
    return d ? (long)d->open_len : 0;
  case BIO_CTRL_PENDING:
    return d && d->in ? (long)d->in_len : 0;
  case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
    return 0; /* our MTU already counts UDP payload bytes only */
  default:
    /* Timer notices (BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT), MTU queries (off by
     * SSL_OP_NO_QUERY_MTU) and peer addresses mean nothing here. */
    return 0;
  }
}

static int bio_create(BIO *b)
{
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b)
{
  BIO_set_data(b, NULL);
  return 1;
}

BIO_METHOD *rgi_dtls_bio_method_new(void)
{
  BIO_METHOD *m = BIO_meth_new(RGI_BIO_TYPE, "rtcgate dtls datagrams");
  if (!m)
    return NULL;
  if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return NULL;
  }
  return m;
}
