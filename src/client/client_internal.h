/* librtcgate-client internals, shared by src/client/client_*.c only. */
#ifndef RTCGATE_CLIENT_INTERNAL_H
#define RTCGATE_CLIENT_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"
#include "rtcgate/cert.h"
#include "rtcgate/client.h"
#include "rtcgate/client_media.h"
#include "client/media_internal.h"
#include "rtcgate/dtls.h"
#include "rtcgate/fingerprint.h"
#include "rtcgate/transport.h"

/* ---- limits ---------------------------------------------------------------- */

#define CL_HOST_MAX 256
#define CL_PATH_MAX 256
#define CL_WS_FRAME_MAX (1024u * 1024u)  /* one incoming message; the server's own cap is 256 KiB */
#define CL_WS_OUT_MAX (4u * 1024u * 1024u) /* queued outgoing bytes before the socket counts as stuck */
#define CL_WS_IN_CHUNK 16384
#define CL_HTTP_HEAD_MAX 8192           /* upgrade response head */
#define CL_CONNECT_TIMEOUT_US 10000000ull /* TCP + TLS + upgrade + auth */
#define CL_WS_PING_US 20000000ull        /* keep NATs and proxies from timing the socket out */
#define CL_SDP_MAX 65536
#define CL_UFRAG_LEN 8
#define CL_PWD_LEN 24
#define CL_CALL_ID_LEN 16
#define CL_FRAME_US 20000ull            /* 20 ms audio frames */
#define CL_SEND_CATCHUP_MAX 5           /* frames sent at once after a late wakeup */
#define CL_RTCP_INTERVAL_US 1000000ull  /* mean; randomised 0.5..1.5 (RFC 3550 §6.3.5) */
#define CL_MAX_GAP_PLC 5                /* lost frames concealed before a jump is taken as a reset */
#define CL_PKT_MAX 1500                 /* plaintext RTP/RTCP we build */
#define CL_DGRAM_MAX 2048
#define CL_RAW_PAYLOAD_MIN 16           /* send time (8) + sequence (4) + room */
#define CL_RAW_PAYLOAD_MAX 1200
#define CL_UDP_BATCH 8
/* The callee's leg exists at the broker only once the gateway has passed our
 * answer on; a check sent before is dropped and retried only after the
 * 500 ms STUN RTO. Holding the first check this long avoids that wait. */
#define CL_CALLEE_ICE_HOLD_US 20000ull
#define CL_PT_OPUS 111
#define CL_PT_PCMU 0

/* ---- URL and TLS (client_tls.c) --------------------------------------------- */

struct cl_url {
  char host[CL_HOST_MAX]; /* without brackets */
  bool host_is_ip;
  uint16_t port;
  char path[CL_PATH_MAX]; /* "" when the URL had none */
};

int cl_url_parse(const char *url, struct cl_url *out);
/* A client SSL_CTX that verifies as tls says (TLS 1.2+). */
int cl_tls_ctx_new(const struct rg_client_tls *tls, SSL_CTX **out, char *err, size_t err_cap);
/* Parses a pin: 64 hex digits, ':' allowed. */
int cl_pin_parse(const char *text, uint8_t out[32]);
/* A new SSL on fd for host, checking name/IP or pin as tls says. pin may be
 * NULL unless tls->verify is PIN; it must outlive the SSL. */
int cl_tls_ssl_new(SSL_CTX *ctx, const struct rg_client_tls *tls, const struct cl_url *u, const uint8_t *pin,
                   int fd, SSL **out);
/* Non-blocking TCP connect to host:port (name resolution blocks). */
int cl_tcp_connect(const struct cl_url *u, int *fd_out);
/* Why the last handshake failed, for messages. */
void cl_tls_error_text(SSL *ssl, int ret, char *buf, size_t cap);

/* ---- WebSocket client over TLS (client_ws.c) -------------------------------- */

/* Reader of a server's frame stream (client_ws_frame.c): pure, no I/O. */
#define CL_WS_OP_CONT 0x0
#define CL_WS_OP_TEXT 0x1
#define CL_WS_OP_BINARY 0x2
#define CL_WS_OP_CLOSE 0x8
#define CL_WS_OP_PING 0x9
#define CL_WS_OP_PONG 0xA

struct cl_ws_rx {
  uint8_t *msg; /* fragmented message being assembled */
  size_t msg_len;
  int msg_op; /* 0 between messages */
};

enum cl_ws_event_kind {
  CL_WS_EV_NONE = 0, /* a frame consumed, nothing to act on (pong, fragment, binary message) */
  CL_WS_EV_PING,     /* data/len: the payload to echo in a pong */
  CL_WS_EV_CLOSE,    /* code: the peer's (1005 when none); data/len: its reason, may be empty */
  CL_WS_EV_TEXT,     /* data/len: a complete text message, NUL-terminated, valid until the next call */
  CL_WS_EV_ERROR,    /* code: the close code to send (0: none); why: for messages */
};

struct cl_ws_event {
  int kind; /* enum cl_ws_event_kind */
  const uint8_t *data;
  size_t len;
  uint16_t code;
  const char *why;
};

/* Reads one frame at buf: returns the bytes consumed (ev says what it was),
 * 0 when more bytes are needed, or RG_ERR_CLOSED with ev an ERROR, after
 * which the connection must be closed. Messages are capped at max_msg. */
int cl_ws_rx_next(struct cl_ws_rx *rx, uint8_t *buf, size_t len, size_t max_msg, struct cl_ws_event *ev);
void cl_ws_rx_cleanup(struct cl_ws_rx *rx);

enum cl_ws_state {
  CL_WS_IDLE = 0,
  CL_WS_TCP,       /* connect() in progress */
  CL_WS_TLS,       /* TLS handshake */
  CL_WS_UPGRADE,   /* HTTP upgrade sent, reading the 101 */
  CL_WS_OPEN,
  CL_WS_CLOSED,
};

struct cl_ws {
  int state; /* enum cl_ws_state */
  int fd;
  SSL *ssl;
  struct cl_url url;
  uint8_t pin[32];
  char key[32]; /* Sec-WebSocket-Key (base64 of 16 random bytes) */
  uint8_t *in;  /* bytes read, not yet parsed */
  size_t in_len, in_cap;
  uint8_t *out; /* bytes to write */
  size_t out_len, out_cap;
  struct cl_ws_rx rx; /* the server's frames: a fragmented message being assembled */
  bool close_sent;
  uint16_t close_code; /* from the peer, 0 when none */
  char why[RG_CLIENT_TEXT_MAX];
};

/* on_text(arg, text, len) for each complete text message. */
typedef void (*cl_ws_text_cb)(void *arg, const char *text, size_t len);
typedef void (*cl_ws_open_cb)(void *arg);

int cl_ws_start(struct cl_ws *w, SSL_CTX *ctx, const struct rg_client_tls *tls, const struct cl_url *u);
/* Makes progress; RG_ERR_CLOSED (why filled) when the connection ended. */
int cl_ws_io(struct cl_ws *w, cl_ws_open_cb on_open, cl_ws_text_cb on_text, void *arg);
bool cl_ws_wants_write(const struct cl_ws *w);
int cl_ws_send_text(struct cl_ws *w, const char *text, size_t len);
int cl_ws_send_ping(struct cl_ws *w);
void cl_ws_close(struct cl_ws *w, uint16_t code);
void cl_ws_cleanup(struct cl_ws *w);
/* Frame codec, exposed for unit tests: parses one frame at buf; returns
 * bytes consumed, 0 when more bytes are needed, or a negative rg_err. */
struct cl_ws_frame {
  bool fin;
  int op;
  const uint8_t *payload;
  size_t len;
};
int cl_ws_parse_frame(uint8_t *buf, size_t len, size_t max_payload, struct cl_ws_frame *out);
/* Writes a masked client frame; returns its length or RG_ERR_BUFFER. */
int cl_ws_build_frame(uint8_t *out, size_t cap, int op, const uint8_t *payload, size_t len,
                      const uint8_t mask[4]);
/* Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2). */
void cl_ws_accept_for(const char *key, char out[32]);

/* ---- SDP (client_sdp.c) ----------------------------------------------------- */

struct cl_local_media {
  const char *ufrag, *pwd;
  const struct rg_fingerprint *fp;
  int setup; /* enum rg_sdp_setup */
  const struct rg_addr *addr;
  const char *ip;
  uint32_t ssrc;
  const char *cname, *msid_stream, *msid_track;
  int codec_first; /* enum rg_client_codec */
  int pt_first;    /* answering: the offer's payload type of codec_first (offering: 111 Opus, 0 PCMU) */
  bool both_codecs;
  const char *mid;
  /* Answering: the offer, whose every m-section the answer mirrors (RFC 3264
   * §6): offer->used is our audio section, the others are refused (port 0). */
  const struct cl_remote_media *offer;
};

#define CL_SDP_MAX_SECTIONS 16 /* m-sections of a remote SDP the client can answer */

/* One m-section of a remote SDP, as much as a refusal of it repeats. */
struct cl_sdp_section {
  char media[16], proto[32], fmt[32], mid[32];
};

/* What the client needs from the broker's SDP. */
struct cl_remote_media {
  char ufrag[RG_ICE_MAX_UFRAG + 1], pwd[RG_ICE_MAX_PWD + 1];
  struct rg_fingerprint fps[RG_DTLS_MAX_FINGERPRINTS];
  size_t n_fps;
  int setup;
  struct rg_addr cand;
  uint32_t cand_priority;
  uint32_t ssrcs[RG_TRANSPORT_MAX_SSRCS];
  size_t n_ssrcs;
  char mid[32];
  int codecs[4]; /* enum rg_client_codec in the section's format order */
  uint8_t pts[4];
  size_t n_codecs;
  struct cl_sdp_section sections[CL_SDP_MAX_SECTIONS]; /* every m-section, in order */
  size_t n_sections, used;                             /* used: the audio section read above */
};

int cl_sdp_build(const struct cl_local_media *lm, char **out, char *err, size_t err_cap);
int cl_sdp_read(const char *text, size_t len, struct cl_remote_media *out, char *err, size_t err_cap);

/* ---- the client ------------------------------------------------------------- */

enum cl_call_state {
  CL_CALL_NONE = 0,
  CL_CALL_OUTGOING, /* our offer sent */
  CL_CALL_INCOMING, /* the broker's offer here, not answered */
  CL_CALL_MEDIA,    /* transport running */
};

/* Field order is for the per-packet path (send, receive, the timer check): a
 * load run drives thousands of clients, and every line a packet reads is a
 * cache miss, so those fields come first and the rest (names, the SDP, the
 * 24 KB jitter buffer) after them. */
struct cl_call {
  struct rg_transport *t;
  int state;
  bool caller, secured, recording;
  uint8_t pt;
  uint32_t ssrc;
  uint32_t raw_seq;
  uint64_t next_send, next_rtcp, next_play;
  uint64_t ice_hold_until; /* callee: first ICE check not before this */
  struct rg_rtp_tx tx;
  struct rg_rtp_rx_stats rx;
  uint64_t rtp_sent, rtp_bytes_sent, rtp_received, rtp_bytes_received, late, dropped;
  uint64_t rtcp_sent, rtcp_received;
  const struct rg_codec_ops *ops;
  struct rg_codec *codec;
  uint64_t t_start, t_secured;
  struct rg_media_remote_report remote;
  char id[RG_CLIENT_ID_MAX], peer[RG_CLIENT_ID_MAX], display[RG_CLIENT_TEXT_MAX];
  char *remote_sdp; /* INCOMING: the broker's offer */
  char ufrag[CL_UFRAG_LEN + 1], pwd[CL_PWD_LEN + 1];
  struct rg_tone tone;
  size_t wav_pos;
  struct rg_wav_writer rec;
  struct rg_jb jb;
};

/* Delay histogram shared by the clients of a load run. */
#define CL_HIST_BUCKETS 20000 /* 10 µs each: 0..200 ms, last one is "more" */
#define CL_HIST_US 10
struct cl_hist {
  uint64_t n;
  uint64_t b[CL_HIST_BUCKETS];
};
void cl_hist_add(struct cl_hist *h, uint64_t us);
double cl_hist_quantile_ms(const struct cl_hist *h, double q);

struct rg_client {
  /* configuration (strings copied); raw_payload, raw_pps and user are read
   * per packet */
  struct rg_client_config cfg;
  /* per packet, with the hot part of call right after them */
  pthread_mutex_t mu;
  bool ready, closed, closed_reported;
  uint32_t hub_slot;
  struct cl_udp_hub *hub;     /* load mode: media through the hub, not udp_fd */
  struct cl_hist *delay_hist; /* load mode: one-way delays of raw payloads */
  uint64_t connect_deadline, next_ping;
  int ep, tfd, efd, udp_fd;
  bool shared_ep; /* ep belongs to the caller (load generator) */
  uint64_t armed; /* what the timerfd is set to */
  struct cl_call call;

  char *server, *token, *ca_file, *pin_text, *media_ip, *send_wav, *record_wav;
  struct cl_url url;
  uint8_t pin[32];

  SSL_CTX *tls_ctx;
  struct rg_cert *cert;
  struct rg_dtls_ctx *dtls_ctx;
  struct rg_fingerprint fp;
  bool owns_shared;
  bool media_ip_given; /* cfg media_ip set: the media socket stays where it was bound */

  struct rg_addr local;

  struct cl_ws ws;
  char user[RG_CLIENT_ID_MAX];

  struct rg_client_stats st;
  struct rg_pcm wav;     /* send_wav at the codec's rate (loaded per codec) */
  uint32_t wav_rate;

  pthread_t thread;
  bool thread_running;
  volatile int stop;

  uint8_t rx_buf[CL_UDP_BATCH][CL_DGRAM_MAX];
};

/* client_core.c */
/* A client whose sockets go into the caller's epoll set shared_ep; the
 * caller calls cl_process_ready on their events (cl_event_tag tells whose
 * and which) and at rg_client_next_timeout. With a hub, the client has no
 * UDP socket of its own: its media goes through the hub's (the caller reads
 * the hub, cl_udp_hub_read). */
int cl_client_new_in(struct rg_client **out, const struct rg_client_config *cfg, int shared_ep,
                     struct cl_udp_hub *hub);
int cl_process_ready(struct rg_client *c, uint64_t now, bool ws_ready, bool udp_ready);
/* One datagram the hub received for c (under c's lock, like a socket read).
 * False when it was RTP/RTCP, which leaves the client's timers as they were;
 * true when they may have moved (STUN, DTLS, a drop). */
bool cl_process_datagram(struct rg_client *c, uint64_t now, const struct rg_addr *from, uint8_t *data, size_t len);
/* Prefetch for a batch of packets over many clients (the load generator's
 * receive batch and send tick), as the broker does for its legs: stage 0 for
 * every client of the batch, then stage 1 for every one, and so on, each
 * stage reading only what the one before fetched, so that the cache misses
 * of one client overlap with the others' instead of coming one after the
 * other. rx: the lines a received SRTP or SRTCP datagram of ssrc will read;
 * else the lines sending the next RTP packet will read (ssrc and rtcp
 * unused: the client's own SSRC is read once stage 0 fetched it). It reads c->call without
 * the client's lock: only for clients that the caller's own loop drives (the
 * load generator's), never for one in thread mode. */
#define CL_CLIENT_PREFETCH_STAGES (1 + RG_TRANSPORT_PREFETCH_STAGES)
void cl_client_prefetch(const struct rg_client *c, int stage, bool rx, uint32_t ssrc, bool rtcp);
/* Sends a media datagram on the client's socket, or queues it on its hub. */
void cl_udp_send(struct rg_client *c, const uint8_t *data, size_t len, const struct rg_addr *to);
int cl_event_tag(uint64_t data, struct rg_client **c); /* 1: ws, 2: udp */
void cl_emit(struct rg_client *c, struct rg_client_event *ev);
int cl_send_json(struct rg_client *c, void *json); /* json_t *, stolen */
void cl_rand(void *buf, size_t len);
void cl_rand_text(char *out, size_t n); /* n chars of [A-Za-z0-9] + NUL */

/* client_udp_hub.c: one UDP socket for the many clients of a load run, each
 * client an address of its own on 127.64.0.0/10 (see the file). Single
 * threaded: the load generator's loop owns the hub and its clients. */
#define CL_HUB_BATCH 64 /* datagrams per sendmmsg / recvmmsg */
struct cl_udp_hub;
struct cl_udp_hub_stats {
  uint64_t tx_sent, tx_dropped; /* dropped: socket buffer full, or not IPv4 */
  uint64_t rx_delivered, rx_stray; /* stray: for no client's address, or truncated */
};
typedef void (*cl_udp_hub_done_cb)(void *arg, struct rg_client *c);
/* A hub for up to `clients` clients; err says why not (SO_BINDTODEVICE may
 * need CAP_NET_RAW on older kernels). */
int cl_udp_hub_new(struct cl_udp_hub **out, uint32_t clients, char *err, size_t err_cap);
void cl_udp_hub_free(struct cl_udp_hub *h); /* flushes; its clients must be gone */
int cl_udp_hub_fd(const struct cl_udp_hub *h);
/* The kernel granted the socket a receive buffer big enough to be shared by
 * thousands of users (without CAP_NET_ADMIN net.core.rmem_max caps it). */
bool cl_udp_hub_roomy(const struct cl_udp_hub *h);
void cl_udp_hub_get_stats(const struct cl_udp_hub *h, struct cl_udp_hub_stats *st);
/* Gives c a slot and its local address (127.64.0.0/10 + slot : the hub's port). */
int cl_udp_hub_attach(struct cl_udp_hub *h, struct rg_client *c, struct rg_addr *local);
void cl_udp_hub_detach(struct cl_udp_hub *h, struct rg_client *c);
/* Queues a datagram from c (copied); sent at the next flush, or at once when
 * the batch is full. */
int cl_udp_hub_send(struct cl_udp_hub *h, const struct rg_client *c, const uint8_t *data, size_t len,
                    const struct rg_addr *to);
void cl_udp_hub_flush(struct cl_udp_hub *h);
/* Reads what arrived (bounded), hands each datagram to its client, and
 * calls done(arg, client) after one that may have moved the client's timers
 * (not after media), so the caller can refresh when it next runs. */
void cl_udp_hub_read(struct cl_udp_hub *h, uint64_t now, cl_udp_hub_done_cb done, void *arg);

/* client_signal.c */
void cl_signal_on_text(struct rg_client *c, const char *text, size_t len);
void cl_signal_on_open(struct rg_client *c);
int cl_call_start(struct rg_client *c, const char *to, uint64_t now);
int cl_call_answer(struct rg_client *c, const char *id, uint64_t now);
int cl_call_reject(struct rg_client *c, const char *id, const char *reason);
/* Ends the call: tells the server (send_hangup), stops media, emits HANGUP. */
void cl_call_end(struct rg_client *c, const char *reason, bool local, bool send_hangup);

/* client_media.c */
/* The application's error event for a call whose media cannot be set up
 * (reason "media_failed"); ending the call is the caller's business. */
/* With no media_ip given: binds the media socket again, on the address the
 * kernel sends from toward the broker, when it cannot reach it from where it
 * is (client_core.c). Leaves it as it is otherwise, or when that fails. */
void cl_media_socket_follow(struct rg_client *c, const struct rg_addr *broker);
void cl_report_media_failed(struct rg_client *c, const char *message);
int cl_media_start(struct rg_client *c, const struct cl_remote_media *rm, int codec, uint8_t pt, int dtls_role,
                   uint64_t now, char *err, size_t err_cap);
void cl_media_stop(struct rg_client *c, uint64_t now);
/* True when it was media (SRTP/SRTCP that passed every check). */
bool cl_media_on_datagram(struct rg_client *c, uint64_t now, const struct rg_addr *from, uint8_t *data,
                          size_t len);
void cl_media_timers(struct rg_client *c, uint64_t now);
uint64_t cl_media_next_timeout(const struct rg_client *c);
/* Sends what the transport has queued (datagrams) and handles its events. */
void cl_media_drain(struct rg_client *c, uint64_t now);

/* client_rtp.c: audio frames, RTP, RTCP, receive statistics */
int cl_audio_prepare(struct rg_client *c, int codec);
void cl_rtp_send_due(struct rg_client *c, uint64_t now);
void cl_rtp_play_due(struct rg_client *c, uint64_t now);
void cl_rtp_on_rtp(struct rg_client *c, uint64_t now, const uint8_t *pkt, size_t len);
void cl_rtcp_send(struct rg_client *c, uint64_t now);
void cl_rtcp_on_rtcp(struct rg_client *c, uint64_t now, const uint8_t *pkt, size_t len);
void cl_rx_fill_stats(struct rg_client *c);

#endif
