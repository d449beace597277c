/* rtcgate — librtcgate-client: the native client SDK.
 *
 * One struct rg_client is one user: a secure WebSocket (wss://HOST:PORT/v1/ws)
 * authenticated with a session token, and at most one call at a time whose
 * media runs through the rtcgate broker: ICE (controlling, toward the broker's
 * ice-lite candidate), DTLS 1.2 in the role the SDP gives, the broker's
 * fingerprint checked, SRTP/SRTCP, the SSRC allow-list, RTCP SR/RR, audio in
 * Opus or PCMU, 20 ms frames. The signalling protocol is docs/protocol.md.
 *
 * Two ways to drive it (docs/client.md):
 *
 *  - inside the program's own event loop: poll rg_client_fd() for reading
 *    (one epoll fd that aggregates the WSS socket, the UDP socket and a
 *    timerfd), and whenever it is readable or rg_client_next_timeout() has
 *    passed call rg_client_process(c, rg_client_now_us()). Events come
 *    through the callback, from inside rg_client_process;
 *  - thread mode: rg_client_start_thread() runs that loop on its own thread;
 *    events come from that thread. The other functions may then be called
 *    from any thread (they take the client's lock), including from inside
 *    the callback (but never rg_client_free, which joins that thread).
 *
 * Server certificate: verified by default against the system CAs and the
 * host name or IP of the URL; or against a CA file; or by the SHA-256 of the
 * server's certificate (pinning, for self-signed servers). No verification
 * only when asked for (RG_CLIENT_VERIFY_INSECURE).
 */
#ifndef RTCGATE_CLIENT_H
#define RTCGATE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_CLIENT_ID_MAX 65          /* call ids and user names: 64 chars + NUL */
#define RG_CLIENT_TEXT_MAX 128       /* reasons, messages, cipher names */
#define RG_CLIENT_TOKEN_MAX 512      /* session token text */

enum rg_client_verify {
  RG_CLIENT_VERIFY_SYSTEM = 0, /* system CA store, host name / IP of the URL */
  RG_CLIENT_VERIFY_CA_FILE,    /* ca_file (PEM), host name / IP of the URL */
  RG_CLIENT_VERIFY_PIN,        /* pin_sha256: SHA-256 of the server's DER certificate */
  RG_CLIENT_VERIFY_INSECURE,   /* no verification: tests and local experiments only */
};

struct rg_client_tls {
  int verify;             /* enum rg_client_verify */
  const char *ca_file;    /* CA_FILE */
  const char *pin_sha256; /* PIN: 64 hex digits, ':' separators allowed */
};

enum rg_client_codec { RG_CLIENT_CODEC_OPUS = 1, RG_CLIENT_CODEC_PCMU = 2 };

enum rg_client_event_type {
  RG_CLIENT_EV_READY = 1,      /* authenticated: peer = our user name */
  RG_CLIENT_EV_INCOMING,       /* call_id, peer (caller), display_name: answer or reject it */
  RG_CLIENT_EV_RINGING,        /* call_id: the callee was told */
  RG_CLIENT_EV_ANSWER,         /* call_id: the callee answered; media is being set up */
  RG_CLIENT_EV_SECURED,        /* call_id, dtls_version, dtls_cipher, srtp_profile: our own
                                  transport is up, the broker's fingerprint verified */
  RG_CLIENT_EV_BROKER_SECURED, /* the same figures as the broker reported them for our leg */
  RG_CLIENT_EV_AUDIO,          /* call_id, pcm, n_samples, rate: one decoded frame */
  RG_CLIENT_EV_HANGUP,         /* call_id, reason, local: the call is over */
  RG_CLIENT_EV_ERROR,          /* reason = the error code, message; call_id when about a call */
  RG_CLIENT_EV_CLOSED,         /* the signalling connection is gone (reason); the client is inert */
};

struct rg_client_event {
  int type; /* enum rg_client_event_type */
  const char *call_id;
  const char *peer;
  const char *display_name;
  const char *reason;
  const char *message;
  bool local; /* HANGUP: decided here (our hangup, or our transport failed) */
  const char *dtls_version, *dtls_cipher, *srtp_profile;
  const int16_t *pcm;
  size_t n_samples;
  uint32_t rate;
};

typedef void (*rg_client_event_cb)(void *user, const struct rg_client_event *ev);

struct rg_client;

struct rg_client_config {
  const char *server; /* "wss://127.0.0.1:8443" (path /v1/ws when none is given) */
  const char *token;
  struct rg_client_tls tls;
  /* Local UDP address and host candidate. NULL: 127.0.0.1 at first; when a
   * call's broker cannot be reached from there (IPv6, or another host), the
   * socket moves to the address the kernel sends from toward the broker.
   * Set: it stays, and a call it cannot carry fails at once (media_failed). */
  const char *media_ip;
  int codec;            /* enum rg_client_codec; 0: Opus */

  /* Audio to send: a WAV file (any rate, mono or stereo; silence after its
   * end), or a tone of tone_hz, or silence when neither is set. */
  const char *send_wav;
  double tone_hz;
  double tone_amplitude; /* 0..1 of full scale; 0: 0.3 */
  const char *record_wav; /* received audio, at the codec's rate; NULL: none */

  bool auto_answer; /* answer every incoming call at once (else: rg_client_answer) */

  /* Load mode (rtcgate-load): raw RTP payloads of raw_payload bytes at
   * raw_pps packets/s instead of audio; each carries its send time so the
   * receiver measures one-way delay. 0: audio. */
  uint32_t raw_payload;
  uint32_t raw_pps;

  /* No timerfd in rg_client_fd(): the caller must call rg_client_process at
   * rg_client_next_timeout() itself (saves a descriptor and a syscall per
   * timer change when one program runs thousands of clients). */
  bool no_timerfd;

  /* Share the DTLS certificate and TLS contexts of an existing client, which
   * must outlive this one (thousands of clients in one process). */
  const struct rg_client *share_with;

  rg_client_event_cb on_event;
  void *user;

  /* Test hook, never set in production: called with the broker's SDP (its
   * offer or answer) before the client reads it; may change bytes in place
   * (len stays). The tests use it to alter the broker's fingerprint. */
  void (*test_remote_sdp_hook)(void *user, char *sdp, size_t len);
};

/* Validates the configuration, makes the client's certificate, binds its UDP
 * socket and starts connecting (non-blocking). */
int rg_client_new(struct rg_client **out, const struct rg_client_config *cfg);
/* Stops the thread if running, hangs up (best effort), closes everything. */
void rg_client_free(struct rg_client *c);

/* The one descriptor to poll for reading (an epoll fd). */
int rg_client_fd(const struct rg_client *c);
/* The clock rg_client_process expects: monotonic microseconds. */
uint64_t rg_client_now_us(void);
/* Handles whatever is ready and due. RG_ERR_CLOSED once the signalling
 * connection is gone (after the CLOSED event). */
int rg_client_process(struct rg_client *c, uint64_t now_us);
/* Absolute µs of the next timer (UINT64_MAX: none). */
uint64_t rg_client_next_timeout(const struct rg_client *c);

/* Thread mode. */
int rg_client_start_thread(struct rg_client *c);
void rg_client_stop_thread(struct rg_client *c);

/* Starts a call to user `to`; the call id (fresh, random) is copied to
 * call_id (cap >= RG_CLIENT_ID_MAX) when not NULL. RG_ERR_STATE when not
 * ready yet or already in a call. */
int rg_client_call(struct rg_client *c, const char *to, char *call_id, size_t cap);
int rg_client_answer(struct rg_client *c, const char *call_id);
int rg_client_reject(struct rg_client *c, const char *call_id, const char *reason);
/* Hangs up the current call (reason "normal"); RG_ERR_STATE when none. */
int rg_client_hangup(struct rg_client *c);

bool rg_client_is_ready(const struct rg_client *c); /* authenticated */
bool rg_client_in_call(const struct rg_client *c);

/* Figures of the current or last call. */
struct rg_client_stats {
  bool secured;
  char dtls_version[16], dtls_cipher[64], srtp_profile[32];
  char codec[8];
  uint64_t packets_sent, bytes_sent;       /* RTP */
  uint64_t packets_received, bytes_received;
  int64_t packets_lost;    /* expected - received (RFC 3550 A.3) */
  uint64_t packets_late;   /* arrived after a newer one (dropped) */
  uint64_t packets_dropped; /* refused by the transport (auth, replay, unknown SSRC, ...) */
  double jitter_ms;        /* interarrival jitter of what we receive (RFC 3550 A.8) */
  uint64_t rtcp_sent, rtcp_received;
  /* From the peer's RTCP report blocks about our stream. */
  bool have_remote_report;
  double remote_fraction_lost; /* 0..1 */
  int64_t remote_packets_lost;
  double remote_jitter_ms;
  double rtt_ms; /* -1 until an LSR/DLSR round trip was seen */
  uint64_t setup_us; /* call/answer sent -> our transport secured */
};
void rg_client_get_stats(const struct rg_client *c, struct rg_client_stats *out);

const char *rg_client_event_name(int type); /* "incoming", ... */

/* Mints a session token for user with the application key:
 * POST <server>/v1/sessions (https; the same URL forms as the client's).
 * Blocking, bounded by timeout_ms. err gets a one-line reason on failure. */
int rg_client_mint_token(const char *server, const struct rg_client_tls *tls, const char *app_key, const char *user,
                         uint32_t ttl_s, char *token, size_t cap, char *err, size_t err_cap);

/* ---- load generator (rtcgate-load) ---------------------------------------- */

struct rg_client_load_config {
  const char *server;
  struct rg_client_tls tls;
  const char *app_key;
  uint32_t calls;         /* concurrent calls (pairs of users) */
  double rate;            /* calls started per second; 0: all at once */
  uint32_t pps;           /* packets per second each way per call (50) */
  uint32_t payload;       /* RTP payload bytes (160) */
  double duration_s;      /* how long every call stays up once all are up (10) */
  int broker_pid;         /* 0: no CPU figure */
  uint32_t procs;         /* worker processes; 0: one, or more when the descriptor limit asks */
  /* Media sockets: RG_CLIENT_LOAD_UDP_AUTO uses one shared socket per worker
   * where the system allows it (each user still an address of its own, on
   * 127.64.0.0/10; docs/client.md), else one per user. */
  int udp;
  bool verbose;
};

enum rg_client_load_udp { RG_CLIENT_LOAD_UDP_AUTO = 0, RG_CLIENT_LOAD_UDP_SHARED, RG_CLIENT_LOAD_UDP_PER_USER };

struct rg_client_load_report {
  uint32_t calls_up, calls_failed;
  double setup_p50_ms, setup_p99_ms;
  uint64_t packets_sent, packets_received, packets_lost; /* whole calls, set-up included */
  double loss_pct;
  /* Packets sent once every call was up (the window, and the drain after
   * it): the steady state N concurrent calls are measured in. */
  uint64_t window_received, window_lost;
  double window_loss_pct;
  /* Datagrams the load generator's own sockets dropped in that time because
   * it fell behind reading them: loss of the measurement, not of the broker. */
  uint64_t window_load_overflows;
  double delay_p50_ms, delay_p99_ms;
  double measure_s;                /* steady-state window (all calls up) */
  uint64_t window_packets;         /* packets received in that window */
  double broker_cpu_s;             /* broker CPU in the window; -1 without pid */
  double broker_cpu_s_per_1k;      /* per 1,000 relayed packets; -1 without pid */
  double load_cpu_s;               /* the load generator's own CPU in that window (all workers) */
  bool udp_shared;                 /* media went through one shared socket per worker */
};

int rg_client_load_run(const struct rg_client_load_config *cfg, struct rg_client_load_report *out, char *err,
                       size_t err_cap);

#endif
