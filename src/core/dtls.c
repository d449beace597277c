/* One DTLS 1.2 endpoint for DTLS-SRTP over OpenSSL, driven by the caller's
 * datagrams and clock (RFC 6347, RFC 5763, RFC 5764).
 *
 * Retransmission. OpenSSL 3.0 checks its DTLS timer against the wall clock
 * (gettimeofday in DTLSv1_handle_timeout and whenever a read finds no data),
 * so a caller's clock cannot move it. This core therefore owns the timer:
 * deadline, doubling interval and resend count, all on now_us. When its
 * deadline passes it first asks OpenSSL (DTLSv1_handle_timeout), which in
 * production, where now_us follows the real clock and DTLS_set_timer_cb gives
 * OpenSSL the same schedule, resends a freshly sequenced, re-encrypted
 * flight. If OpenSSL declines because its wall-clock timer has not run out
 * (a virtual clock in tests, or skew), the core resends its stored copy of
 * the last flight byte for byte. Duplicates are harmless to DTLS; the one
 * case they do not cover, a lost final server flight, is handled by resending
 * that flight when the client's flight shows up again (RFC 6347 §4.2.4).
 */
#include "dtls_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cert_internal.h"
#include "rtcgate/demux.h"
#include "rtcgate/error.h"

static const int default_profiles[] = {RG_SRTP_AEAD_AES_256_GCM, RG_SRTP_AEAD_AES_128_GCM,
                                       RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32};
#define N_DEFAULT_PROFILES (sizeof default_profiles / sizeof default_profiles[0])
/* "SRTP_AEAD_AES_256_GCM:" is the longest name plus separator. */
#define PROFILE_LIST_MAX (RG_DTLS_MAX_PROFILES * 24 + 1)
#define APP_READ_BUF 1500

/* RFC 5764 §4.2 exporter label */
static const char srtp_label[] = "EXTRACTOR-dtls_srtp";

void rg_dtls_config_init(struct rg_dtls_config *cfg, int role)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->role = role;
  memcpy(cfg->srtp_profiles, default_profiles, sizeof default_profiles);
  cfg->n_srtp_profiles = N_DEFAULT_PROFILES;
  cfg->mtu = RG_DTLS_MTU_DEFAULT;
}

int rg_dtls_config_add_fingerprint(struct rg_dtls_config *cfg, const struct rg_fingerprint *fp)
{
  if (!cfg || !fp || fp->len == 0 || fp->len != rg_hash_len(fp->hash))
    return RG_ERR_INVAL;
  if (cfg->n_remote_fps >= RG_DTLS_MAX_FINGERPRINTS)
    return RG_ERR_TOO_LARGE;
  cfg->remote_fps[cfg->n_remote_fps++] = *fp;
  return RG_OK;
}

static int profile_list(const struct rg_dtls_config *cfg, char *buf, size_t cap)
{
  size_t off = 0;
  if (cfg->n_srtp_profiles == 0 || cfg->n_srtp_profiles > RG_DTLS_MAX_PROFILES)
    return RG_ERR_INVAL;
  for (size_t i = 0; i < cfg->n_srtp_profiles; i++) {
    const struct rg_srtp_profile_info *p = rg_srtp_profile_info(cfg->srtp_profiles[i]);
    size_t n;
    if (!p)
      return RG_ERR_UNSUPPORTED;
    n = strlen(p->name);
    if (off + n + 2 > cap)
      return RG_ERR_TOO_LARGE;
    if (off)
      buf[off++] = ':';
    memcpy(buf + off, p->name, n);
    off += n;
  }
  buf[off] = '\0';
  return RG_OK;
}

/* Gives OpenSSL's own (wall-clock) timer the schedule of ours, so in
 * production both expire together and OpenSSL does the resending. */
static unsigned int timer_schedule(SSL *ssl, unsigned int prev_us)
{
  (void)ssl;
  if (prev_us == 0)
    return RG_DTLS_RTX_INITIAL_US;
  return prev_us >= RG_DTLS_RTX_MAX_US / 2 ? RG_DTLS_RTX_MAX_US : prev_us * 2;
}

int rg_dtls_new(struct rg_dtls **out, struct rg_dtls_ctx *ctx, const struct rg_dtls_config *cfg)
{
  struct rg_dtls *d;
  char profiles[PROFILE_LIST_MAX];
  BIO *bio;
  int err;

  if (!out || !ctx || !cfg)
    return RG_ERR_INVAL;
  if ((cfg->role != RG_DTLS_CLIENT && cfg->role != RG_DTLS_SERVER) || cfg->n_remote_fps == 0 ||
      cfg->n_remote_fps > RG_DTLS_MAX_FINGERPRINTS || cfg->mtu < RG_DTLS_MTU_MIN ||
      cfg->mtu > RG_DTLS_MTU_MAX)
    return RG_ERR_INVAL;
  for (size_t i = 0; i < cfg->n_remote_fps; i++)
    if (cfg->remote_fps[i].len == 0 || cfg->remote_fps[i].len != rg_hash_len(cfg->remote_fps[i].hash))
      return RG_ERR_INVAL;
  if ((err = profile_list(cfg, profiles, sizeof profiles)) != RG_OK)
    return err;

  d = calloc(1, sizeof *d);
  if (!d)
    return RG_ERR_NOMEM;
  d->ctx = ctx;
  d->role = cfg->role;
  d->state = RG_DTLS_STATE_HANDSHAKING;
  d->mtu = (uint16_t)cfg->mtu;
  memcpy(d->remote_fps, cfg->remote_fps, sizeof d->remote_fps);
  d->n_remote_fps = cfg->n_remote_fps;
  d->deadline_us = RG_DTLS_NO_TIMEOUT;
  d->interval_us = RG_DTLS_RTX_INITIAL_US;
  err = RG_ERR_NOMEM;
  if (!(d->open = malloc(d->mtu)) || !(d->ssl = SSL_new(ctx->ssl_ctx)))
    goto fail;
  if (!(bio = BIO_new(ctx->bio_method)))
    goto fail;
  BIO_set_data(bio, d);
  SSL_set_bio(d->ssl, bio, bio); /* one reference, owned by the SSL */
  SSL_set_app_data(d->ssl, d);
  err = RG_ERR_CRYPTO;
  if (SSL_set_tlsext_use_srtp(d->ssl, profiles) != 0) /* 0 is success here */
    goto fail;
  /* Records are cut to our MTU: SSL_OP_NO_QUERY_MTU is set on the context. */
  if (SSL_set_mtu(d->ssl, (long)d->mtu) <= 0)
    goto fail;
  DTLS_set_timer_cb(d->ssl, timer_schedule);
  if (d->role == RG_DTLS_CLIENT)
    SSL_set_connect_state(d->ssl);
  else
    SSL_set_accept_state(d->ssl);
  ERR_clear_error();
  *out = d;
  return RG_OK;
fail:
  ERR_clear_error();
  rg_dtls_free(d);
  return err;
}

void rg_dtls_free(struct rg_dtls *d)
{
  if (!d)
    return;
  SSL_free(d->ssl);
  rgi_dtls_free_buffers(d);
  free(d);
}

void rgi_dtls_push_event(struct rg_dtls *d, const struct rg_dtls_event *ev)
{
  /* Each session emits at most a handful of events; a full queue means the
   * caller stopped polling, and the newest is the one dropped. */
  if (d->ev_count == RGI_DTLS_EVENT_MAX)
    return;
  d->ev[(d->ev_head + d->ev_count) % RGI_DTLS_EVENT_MAX] = *ev;
  d->ev_count++;
}

static void push_simple(struct rg_dtls *d, int type)
{
  struct rg_dtls_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  rgi_dtls_push_event(d, &ev);
}

static void fail(struct rg_dtls *d, int err, const char *reason)
{
  struct rg_dtls_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = RG_DTLS_EV_FAILED;
  ev.err = err;
  ev.reason = reason ? reason : rg_strerror(err);
  d->state = RG_DTLS_STATE_FAILED;
  d->deadline_us = RG_DTLS_NO_TIMEOUT;
  rgi_dtls_push_event(d, &ev);
}

static void fail_openssl(struct rg_dtls *d)
{
  /* OpenSSL's reason strings are constant tables, safe to hand out. */
  unsigned long e = ERR_peek_last_error();
  const char *why = e ? ERR_reason_error_string(e) : NULL;
  fail(d, RG_ERR_CRYPTO, why ? why : "DTLS handshake failed");
}

int rgi_dtls_check_peer(struct rg_dtls *d, X509 *peer)
{
  struct rg_dtls_event ev;
  memset(&ev, 0, sizeof ev);
  if (d->state != RG_DTLS_STATE_HANDSHAKING)
    return 0;
  for (size_t i = 0; i < d->n_remote_fps; i++) {
    struct rg_fingerprint got;
    if (rgi_cert_fingerprint_x509(peer, d->remote_fps[i].hash, &got) == RG_OK &&
        rg_fingerprint_equal(&got, &d->remote_fps[i])) {
      d->verified = true;
      ev.type = RG_DTLS_EV_FINGERPRINT_VERIFIED;
      ev.fingerprint = d->remote_fps[i];
      rgi_dtls_push_event(d, &ev);
      return 1;
    }
  }
  /* Security contract item 3: stop silently. Whatever is queued or still to
   * be written (OpenSSL's alert) is discarded, the timer stops, and the
   * object ignores all later input. */
  d->state = RG_DTLS_STATE_MISMATCH;
  d->deadline_us = RG_DTLS_NO_TIMEOUT;
  rgi_dtls_drop_output(d);
  ev.type = RG_DTLS_EV_FINGERPRINT_MISMATCH;
  (void)rgi_cert_fingerprint_x509(peer, RG_HASH_SHA256, &ev.fingerprint);
  rgi_dtls_push_event(d, &ev);
  return 0;
}

static void handshake_done(struct rg_dtls *d)
{
  struct rg_dtls_event ev;
  const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
  const struct rg_srtp_profile_info *info = sp ? rg_srtp_profile_info((int)sp->id) : NULL;
  const char *cipher = SSL_get_cipher_name(d->ssl);

  d->deadline_us = RG_DTLS_NO_TIMEOUT;
  if (!d->verified) { /* cannot happen with SSL_VERIFY_PEER; never trust it */
    fail(d, RG_ERR_FINGERPRINT, "peer certificate was not verified");
    return;
  }
  if (SSL_version(d->ssl) != DTLS1_2_VERSION) {
    fail(d, RG_ERR_UNSUPPORTED, "negotiated version is not DTLS 1.2");
    return;
  }
  if (!info) { /* WebRTC needs DTLS-SRTP: no profile, no media */
    fail(d, RG_ERR_UNSUPPORTED, "no SRTP protection profile negotiated");
    return;
  }
  memset(&ev, 0, sizeof ev);
  ev.type = RG_DTLS_EV_CONNECTED;
  ev.srtp_profile = info->id;
  /* Checked above: the one version spoken, named as the protocol names it
   * (OpenSSL says "DTLSv1.2"). */
  strncpy(ev.version, "DTLS 1.2", sizeof ev.version - 1);
  strncpy(ev.cipher, cipher ? cipher : "", sizeof ev.cipher - 1);
  d->state = RG_DTLS_STATE_CONNECTED;
  rgi_dtls_push_event(d, &ev);
}

static void drive_handshake(struct rg_dtls *d)
{
  int r = SSL_do_handshake(d->ssl);
  int e;
  if (d->state != RG_DTLS_STATE_HANDSHAKING) /* mismatch, in the verify callback */
    return;
  if (r == 1) {
    handshake_done(d);
    return;
  }
  e = SSL_get_error(d->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return;
  if (e == SSL_ERROR_ZERO_RETURN)
    fail(d, RG_ERR_CLOSED, "peer closed during the handshake");
  else
    fail_openssl(d);
}

static void drive_connected(struct rg_dtls *d)
{
  uint8_t buf[APP_READ_BUF];
  for (;;) {
    int r = SSL_read(d->ssl, buf, sizeof buf);
    int e;
    if (r > 0) { /* no application data on a DTLS-SRTP leg (no data channels) */
      d->stats.dropped_app++;
      continue;
    }
    e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return;
    if (e == SSL_ERROR_ZERO_RETURN) {
      d->state = RG_DTLS_STATE_CLOSED;
      push_simple(d, RG_DTLS_EV_CLOSED);
    } else {
      fail_openssl(d);
    }
    return;
  }
}

/* Does the datagram carry a handshake or ChangeCipherSpec record? (The
 * client's resent final flight does.) */
static bool has_handshake_record(const uint8_t *p, size_t len)
{
  size_t off = 0;
  while (len - off >= 13) {
    size_t rlen = (size_t)p[off + 11] << 8 | p[off + 12];
    if (p[off] == 22 || p[off] == 20)
      return true;
    if (rlen > len - off - 13)
      return false;
    off += 13 + rlen;
  }
  return false;
}

static void begin_call(struct rg_dtls *d)
{
  ERR_clear_error();
  d->flight_restart = true;
  d->closed_in_call = 0;
}

/* After a call into OpenSSL: end the datagram being built and, if a new
 * flight went out during the handshake, start the timer afresh. */
static void end_call(struct rg_dtls *d, uint64_t now_us)
{
  rgi_dtls_close_open(d);
  d->flight_restart = false;
  if (d->state == RG_DTLS_STATE_HANDSHAKING && d->closed_in_call > 0) {
    d->interval_us = RG_DTLS_RTX_INITIAL_US;
    d->retransmits = 0;
    d->deadline_us = now_us + d->interval_us;
  }
  d->stats.datagrams_out += d->closed_in_call;
  ERR_clear_error(); /* OpenSSL's queue is per thread and shared with others */
}

static bool is_inert(const struct rg_dtls *d)
{
  return d->state == RG_DTLS_STATE_FAILED || d->state == RG_DTLS_STATE_MISMATCH ||
         d->state == RG_DTLS_STATE_CLOSED;
}

int rg_dtls_start(struct rg_dtls *d, uint64_t now_us)
{
  if (!d)
    return RG_ERR_INVAL;
  if (d->state != RG_DTLS_STATE_HANDSHAKING)
    return RG_ERR_STATE;
  if (d->role == RG_DTLS_SERVER)
    return RG_OK;
  begin_call(d);
  drive_handshake(d);
  end_call(d, now_us);
  return RG_OK;
}

int rg_dtls_handle_datagram(struct rg_dtls *d, uint64_t now_us, const uint8_t *data, size_t len)
{
  bool was_connected;
  if (!d || (!data && len))
    return RG_ERR_INVAL;
  if (is_inert(d))
    return RG_ERR_CLOSED;
  /* RFC 7983: DTLS content types are 20..63; anything else is not ours. */
  if (rg_demux_classify(data, len) != RG_DEMUX_DTLS) {
    d->stats.dropped_in++;
    return RG_ERR_MALFORMED;
  }
  if (len > RG_DTLS_DATAGRAM_MAX) {
    d->stats.dropped_in++;
    return RG_ERR_TOO_LARGE;
  }
  d->stats.datagrams_in++;
  was_connected = d->state == RG_DTLS_STATE_CONNECTED;
  begin_call(d);
  d->in = data;
  d->in_len = len;
  if (d->state == RG_DTLS_STATE_HANDSHAKING)
    drive_handshake(d);
  else
    drive_connected(d);
  d->in = NULL; /* OpenSSL may stop before reading it: never keep a pointer */
  d->in_len = 0;
  /* Our final flight (CCS, Finished) was lost if the client sends its own
   * again; OpenSSL drops the byte-identical copy as a replay, so resend ours
   * from the store. Only the server sends the final flight of a full
   * handshake, so only it does this (the client's timer covers its side). */
  if (was_connected && d->state == RG_DTLS_STATE_CONNECTED && d->role == RG_DTLS_SERVER &&
      d->closed_in_call == 0 && d->open_len == 0 && has_handshake_record(data, len) &&
      (!d->replayed || now_us - d->last_replay_us >= RGI_DTLS_REPLAY_GAP_US)) {
    rgi_dtls_replay_flight(d);
    d->replayed = true;
    d->last_replay_us = now_us;
    d->stats.flight_replays++;
  }
  end_call(d, now_us);
  return RG_OK;
}

int rg_dtls_handle_timeout(struct rg_dtls *d, uint64_t now_us)
{
  int r;
  if (!d)
    return RG_ERR_INVAL;
  if (d->state != RG_DTLS_STATE_HANDSHAKING || d->deadline_us == RG_DTLS_NO_TIMEOUT ||
      now_us < d->deadline_us)
    return RG_OK;
  if (d->retransmits >= RG_DTLS_RTX_MAX_COUNT) {
    fail(d, RG_ERR_TIMEOUT, "DTLS handshake timed out");
    return RG_OK;
  }
  d->retransmits++;
  d->stats.retransmissions++;
  begin_call(d);
  r = DTLSv1_handle_timeout(d->ssl);
  rgi_dtls_close_open(d);
  if (r < 0)
    fail_openssl(d);
  else if (d->closed_in_call == 0)
    rgi_dtls_replay_flight(d); /* OpenSSL's wall-clock timer has not run out */
  d->flight_restart = false;
  d->stats.datagrams_out += d->closed_in_call;
  ERR_clear_error();
  if (d->state == RG_DTLS_STATE_HANDSHAKING) {
    d->interval_us = d->interval_us >= RG_DTLS_RTX_MAX_US / 2 ? RG_DTLS_RTX_MAX_US : d->interval_us * 2;
    d->deadline_us = now_us + d->interval_us;
  }
  return RG_OK;
}

uint64_t rg_dtls_next_timeout(const struct rg_dtls *d)
{
  return d && d->state == RG_DTLS_STATE_HANDSHAKING ? d->deadline_us : RG_DTLS_NO_TIMEOUT;
}

int rg_dtls_poll_datagram(struct rg_dtls *d, uint8_t *buf, size_t cap)
{
  struct rgi_dtls_dgram *g;
  if (!d || !buf)
    return RG_ERR_INVAL;
  if (d->out_count == 0 || d->state == RG_DTLS_STATE_MISMATCH)
    return 0;
  g = &d->out[d->out_head];
  if (g->len > cap)
    return RG_ERR_BUFFER;
  memcpy(buf, g->data, g->len);
  d->out_head = (d->out_head + 1) % RGI_DTLS_OUT_MAX;
  d->out_count--;
  return g->len;
}

int rg_dtls_poll_event(struct rg_dtls *d, struct rg_dtls_event *ev)
{
  if (!d || !ev || d->ev_count == 0)
    return 0;
  *ev = d->ev[d->ev_head];
  d->ev_head = (d->ev_head + 1) % RGI_DTLS_EVENT_MAX;
  d->ev_count--;
  return 1;
}

int rg_dtls_close(struct rg_dtls *d, uint64_t now_us)
{
  if (!d)
    return RG_ERR_INVAL;
  if (d->state == RG_DTLS_STATE_CONNECTED) {
    begin_call(d);
    (void)SSL_shutdown(d->ssl); /* writes close_notify; we wait for no reply */
    d->state = RG_DTLS_STATE_CLOSED;
    end_call(d, now_us);
    return RG_OK;
  }
  if (d->state == RG_DTLS_STATE_HANDSHAKING) {
    d->state = RG_DTLS_STATE_CLOSED; /* nothing agreed yet: just stop */
    d->deadline_us = RG_DTLS_NO_TIMEOUT;
    return RG_OK;
  }
  return RG_ERR_STATE;
}

int rg_dtls_export_srtp_keys(struct rg_dtls *d, struct rg_dtls_srtp_keys *out)
{
  const SRTP_PROTECTION_PROFILE *sp;
  const struct rg_srtp_profile_info *info;
  uint8_t km[2 * (RG_DTLS_SRTP_KEY_MAX + RG_DTLS_SRTP_SALT_MAX)];
  struct rg_dtls_srtp_keys k;
  size_t kl, sl;
  const uint8_t *ck, *sk, *cs, *ss;

  if (!d || !out)
    return RG_ERR_INVAL;
  if (d->state != RG_DTLS_STATE_CONNECTED || !d->verified)
    return RG_ERR_STATE;
  sp = SSL_get_selected_srtp_profile(d->ssl);
  info = sp ? rg_srtp_profile_info((int)sp->id) : NULL;
  if (!info || info->key_len > RG_DTLS_SRTP_KEY_MAX || info->salt_len > RG_DTLS_SRTP_SALT_MAX)
    return RG_ERR_STATE;
  kl = info->key_len;
  sl = info->salt_len;
  /* RFC 5764 §4.2: client_write_key | server_write_key | client_salt | server_salt */
  if (SSL_export_keying_material(d->ssl, km, 2 * (kl + sl), srtp_label, sizeof srtp_label - 1,
                                 NULL, 0, 0) != 1) {
    ERR_clear_error();
    return RG_ERR_CRYPTO;
  }
  ck = km;
  sk = km + kl;
  cs = km + 2 * kl;
  ss = km + 2 * kl + sl;
  memset(&k, 0, sizeof k);
  k.profile = info->id;
  k.key_len = (uint8_t)kl;
  k.salt_len = (uint8_t)sl;
  memcpy(k.local_key, d->role == RG_DTLS_CLIENT ? ck : sk, kl);
  memcpy(k.remote_key, d->role == RG_DTLS_CLIENT ? sk : ck, kl);
  memcpy(k.local_salt, d->role == RG_DTLS_CLIENT ? cs : ss, sl);
  memcpy(k.remote_salt, d->role == RG_DTLS_CLIENT ? ss : cs, sl);
  OPENSSL_cleanse(km, sizeof km);
  *out = k;
  OPENSSL_cleanse(&k, sizeof k);
  return RG_OK;
}

int rg_dtls_state(const struct rg_dtls *d)
{
  return d ? d->state : RG_ERR_INVAL;
}

void rg_dtls_get_stats(const struct rg_dtls *d, struct rg_dtls_stats *out)
{
  if (d && out)
    *out = d->stats;
}
