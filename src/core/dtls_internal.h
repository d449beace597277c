/* rtcgate — DTLS core internals shared by dtls.c, dtls_ctx.c and dtls_io.c. */
#ifndef RTCGATE_DTLS_INTERNAL_H
#define RTCGATE_DTLS_INTERNAL_H

#include <openssl/ssl.h>

#include "rtcgate/dtls.h"

#define RGI_DTLS_OUT_MAX 32    /* datagrams queued for the caller */
#define RGI_DTLS_FLIGHT_MAX 12 /* datagrams of the last flight kept for resending */
#define RGI_DTLS_EVENT_MAX 8
/* A peer's resent final flight arrives as several datagrams at once; resend
 * ours at most once per this interval so one loss costs one resend. */
#define RGI_DTLS_REPLAY_GAP_US 250000u

struct rgi_dtls_dgram {
  uint8_t *data; /* mtu bytes, allocated on first use */
  uint16_t len;
};

struct rg_dtls_ctx {
  SSL_CTX *ssl_ctx;
  BIO_METHOD *bio_method; /* per context: the core keeps no static state */
};

struct rg_dtls {
  struct rg_dtls_ctx *ctx;
  SSL *ssl;
  int role, state;
  uint16_t mtu;
  bool verified;
  struct rg_fingerprint remote_fps[RG_DTLS_MAX_FINGERPRINTS];
  size_t n_remote_fps;

  /* The one datagram being fed to OpenSSL through the BIO. */
  const uint8_t *in;
  size_t in_len;

  /* Records OpenSSL writes are packed into the open datagram until it would
   * pass the MTU or OpenSSL flushes; then it joins the queue. */
  uint8_t *open;
  size_t open_len;
  struct rgi_dtls_dgram out[RGI_DTLS_OUT_MAX];
  unsigned out_head, out_count;

  /* Copy of the last flight, for resending on the caller's clock. */
  struct rgi_dtls_dgram flight[RGI_DTLS_FLIGHT_MAX];
  unsigned flight_count;
  bool flight_restart; /* next closed datagram starts a new flight */
  unsigned closed_in_call;

  uint64_t deadline_us, interval_us, last_replay_us;
  unsigned retransmits;
  bool replayed;

  struct rg_dtls_event ev[RGI_DTLS_EVENT_MAX];
  unsigned ev_head, ev_count;
  struct rg_dtls_stats stats;
};

/* dtls_io.c */
BIO_METHOD *rgi_dtls_bio_method_new(void);
void rgi_dtls_close_open(struct rg_dtls *d);
void rgi_dtls_drop_output(struct rg_dtls *d);
void rgi_dtls_replay_flight(struct rg_dtls *d);
void rgi_dtls_free_buffers(struct rg_dtls *d);

/* dtls.c */
void rgi_dtls_push_event(struct rg_dtls *d, const struct rg_dtls_event *ev);
/* The verify callback's decision for the peer's leaf certificate. */
int rgi_dtls_check_peer(struct rg_dtls *d, X509 *peer);

#endif
