/* rtcgate gateway — shared-internal types and functions (not installed).
 *
 * Threading: everything here runs on the libwebsockets service thread except
 * gw_events_push, which the media workers' threads call (it only copies the event
 * under gw->ev_lock and wakes the service loop).
 */
#ifndef RTCGATE_GW_INTERNAL_H
#define RTCGATE_GW_INTERNAL_H

#include <libwebsockets.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "broker/broker.h"
#include "gateway/gateway.h"

/* ---- limits (each one is documented in docs/protocol.md) ---- */
#define GW_USER_MAX 64            /* [A-Za-z0-9._-]{1,64} */
#define GW_DISPLAY_MAX 128        /* bytes of UTF-8 */
#define GW_DEST_MAX 32            /* allowed_destinations entries */
#define GW_TTL_MIN_S 60
#define GW_TTL_MAX_S 86400
#define GW_TTL_DEFAULT_S 3600
#define GW_TOKEN_BYTES 32         /* 256 bits from RAND_bytes */
#define GW_TOKEN_TEXT_LEN 43      /* base64url of 32 bytes, no padding */
#define GW_TOKENS_MAX 10000       /* live tokens kept (hashes + claims) */
#define GW_TOKEN_BUCKETS 4096
#define GW_HTTP_BODY_MAX 65536    /* request bodies */
#define GW_HTTP_AUTH_MAX 512      /* Authorization header bytes */
#define GW_WS_FRAME_MAX (256 * 1024) /* one WebSocket message */
/* Before auth the only good message is an auth frame (~80 bytes), so a
 * socket that has not authenticated gets this much and no more: with
 * GW_WS_UNAUTH_DEFAULT of them that bounds what strangers can make us hold. */
#define GW_WS_PREAUTH_MSG_MAX 4096
#define GW_WS_UNAUTH_DEFAULT 1000 /* open WebSockets not yet authenticated (max-unauthenticated-sockets) */
#define GW_EXPIRY_SWEEP_US 1000000 /* expired tokens purged and their sockets closed this often */
#define GW_WS_BAD_MAX 20          /* bad frames in a row before close */
#define GW_WS_RATE_PER_S 50       /* frames per second, sustained */
#define GW_WS_RATE_BURST 100      /* frames, burst */
#define GW_WS_TXQ_MAX_MSGS 256    /* queued outgoing frames per socket */
#define GW_WS_TXQ_MAX_BYTES (4u * 1024 * 1024)
#define GW_EVENTS_MAX 4096        /* broker events waiting for the service thread */
#define GW_TICK_US 100000         /* timer sweep period */
#define GW_CLOSE_GRACE_S 3        /* a socket being closed is dropped after this */
#define GW_APP_KEY_BYTES 32
#define GW_WS_CONNS_MAX 10000     /* open WebSockets */

/* WebSocket close codes (docs/protocol.md). */
#define GW_CLOSE_UNAUTHORIZED 4401
#define GW_CLOSE_REPLACED 4409
#define GW_CLOSE_BAD_FRAMES 4400
#define GW_CLOSE_RATE 4429
#define GW_CLOSE_SLOW 4408
#define GW_CLOSE_SHUTDOWN 1001

struct gw_claims {
  char user[GW_USER_MAX + 1];
  char display_name[GW_DISPLAY_MAX + 1];
  bool dest_any; /* "*" */
  unsigned n_dest;
  char dest[GW_DEST_MAX][GW_USER_MAX + 1];
  unsigned media; /* bit 0 audio, bit 1 video (as rg_broker_offer reports) */
  int64_t expires_at; /* unix seconds */
};
#define GW_MEDIA_AUDIO 1u
#define GW_MEDIA_VIDEO 2u

struct gw_token {
  uint8_t hash[32]; /* SHA-256 of the token text; the token itself is never kept */
  struct gw_claims claims;
  struct gw_token *next;
};

struct gw_tokens {
  struct gw_token *buckets[GW_TOKEN_BUCKETS];
  size_t count;
};

struct gw_msg {
  struct gw_msg *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes */
};

struct gw_call;

struct gw_conn {
  struct gw *gw;
  struct lws *wsi;
  struct gw_conn *prev, *next;
  bool authed;
  bool preauth_counted; /* counted in gw->n_unauthed (until it authenticates or closes) */
  struct gw_claims claims;
  uint8_t token_hash[32];
  uint64_t auth_deadline_us;
  /* receive: one message assembled from fragments */
  char *rx;
  size_t rx_len, rx_cap;
  bool rx_overflow, rx_binary;
  /* send queue */
  struct gw_msg *txq_head, *txq_tail;
  size_t txq_msgs, txq_bytes;
  int close_code; /* nonzero: close after the queue drains */
  char close_reason[64];
  bool aborted; /* killed without a close frame */
  /* abuse control */
  double bucket;
  uint64_t bucket_us;
  unsigned bad_streak;
  struct gw_call *call; /* a user is in at most one call */
};

enum gw_call_state { GW_CALL_RINGING = 1, GW_CALL_ACTIVE = 2 };

struct gw_call {
  struct gw *gw;
  struct gw_call *prev, *next;
  char id[RG_CALL_ID_MAX + 1];
  struct gw_conn *leg[2]; /* RG_LEG_CALLER, RG_LEG_CALLEE */
  char user[2][GW_USER_MAX + 1];
  int state;
  uint64_t ring_deadline_us;
  int64_t created_at;
  unsigned worker; /* the media worker (gw->broker index) holding both legs */
};

struct gw_event_node {
  struct gw_event_node *next;
  struct rg_broker_event ev;
};

struct gw_metrics {
  uint64_t tokens_issued, tokens_rejected, app_key_rejected;
  uint64_t calls_started, calls_answered, calls_failed;
  uint64_t ws_connections, ws_bad_frames, ws_closed_abuse;
  uint64_t ws_refused_unauth; /* upgrades refused: too many unauthenticated sockets */
  uint64_t sessions_expired;  /* sockets closed because their token expired */
  uint64_t events_dropped;
  uint64_t broker_metrics_fetches; /* round trips to the broker's worker for /metrics */
};

struct gw {
  struct rg_gw_config cfg;
  struct lws_context *ctx;
  struct ev_loop *loop; /* libev on epoll: lws's own poll() walks every socket per wake */
  void *foreign_loops[1]; /* what lws is handed: {loop} */
  struct rg_broker_metrics bm_cache; /* broker counters for /metrics, and when they were fetched */
  uint64_t bm_cache_us;
  struct rg_broker *broker[RG_GW_MEDIA_WORKERS_MAX]; /* one per media worker (gw_media.c), [0, n_brokers) */
  unsigned n_brokers;
  size_t worker_calls[RG_GW_MEDIA_WORKERS_MAX]; /* calls placed on each worker */
  bool worker_stopped[RG_GW_MEDIA_WORKERS_MAX]; /* its thread died (it said RG_ERR_CLOSED): no new calls */
  unsigned n_workers_stopped;
  uint16_t media_ports[RG_GW_MEDIA_WORKERS_MAX]; /* the UDP port each worker bound */
  uint8_t app_key_hash[32];
  struct gw_tokens tokens;
  struct gw_conn *conns; /* every WebSocket, authenticated or not */
  size_t n_conns;
  size_t n_unauthed; /* of n_conns, not (yet) authenticated */
  uint64_t next_expiry_sweep_us;
  struct gw_call *calls;
  size_t n_calls;
  struct gw_metrics m;
  lws_sorted_usec_list_t tick;
  uint16_t bound_port;
  /* broker thread -> service thread */
  pthread_mutex_t ev_lock;
  struct gw_event_node *ev_head, *ev_tail;
  size_t ev_count;
  bool ev_accept; /* false once the context is going away */
  bool stopping;
};

/* gw_util.c */
uint64_t gw_now_us(void); /* monotonic */
int64_t gw_unix_now(void);
bool gw_valid_user(const char *s, size_t len);
bool gw_valid_call_id(const char *s, size_t len);
size_t gw_b64url(const uint8_t *in, size_t len, char *out, size_t cap);
void gw_sha256(const void *data, size_t len, uint8_t out[32]);
void gw_rfc3339(int64_t t, char out[32]);
bool gw_reason_valid(const char *r);

/* gw_media.c: the media workers, one rg_broker each */
int gw_media_start(struct gw *gw); /* cfg.media_workers brokers started, or -1 (printed) */
void gw_media_stop(struct gw *gw);
void gw_media_free(struct gw *gw);
/* The worker a new call goes to: the running one holding the fewest calls
 * (ties: the lowest index); n_brokers when none runs. */
unsigned gw_media_pick(const struct gw *gw);
/* The caller's offer (rg_broker_offer) to the worker gw_media_pick names;
 * a worker found stopped is marked so and the next one tried. *worker: where
 * the call went (when the result is not RG_ERR_CLOSED). */
int gw_media_offer(struct gw *gw, const char *id, const char *sdp, size_t len, char **offer, unsigned *kinds,
                   char *err, size_t cap, unsigned *worker);
/* A worker answered RG_ERR_CLOSED: no new calls for it (logged once). */
void gw_media_stopped(struct gw *gw, unsigned worker);
/* "10000" or "10000,10001": the workers' ports in order. */
void gw_media_ports_text(const struct gw *gw, char *out, size_t cap);
/* Every worker's counters summed (one round trip to each worker). */
void gw_media_metrics(struct gw *gw, struct rg_broker_metrics *sum);

/* gw_state.c: state dir, TLS certificate, application key */
int gw_state_prepare(struct gw *gw, char *cert_path, char *key_path, size_t cap);

/* gw_token.c */
void gw_tokens_init(struct gw_tokens *t);
void gw_tokens_cleanup(struct gw_tokens *t);
/* Stores the claims under a fresh token; writes the token text (NUL-ended). */
int gw_tokens_issue(struct gw_tokens *t, const struct gw_claims *c, int64_t now, char token[GW_TOKEN_TEXT_LEN + 1]);
/* Finds an unexpired token; copies its claims and hash. RG_ERR_AUTH if none. */
int gw_tokens_check(struct gw_tokens *t, const char *token, size_t len, int64_t now, struct gw_claims *c,
                    uint8_t hash[32]);
int gw_tokens_revoke(struct gw_tokens *t, const char *token, size_t len, uint8_t hash[32]);
/* Frees every token whose expiry is <= now; returns how many. */
size_t gw_tokens_purge(struct gw_tokens *t, int64_t now);

/* gw_claims.c: the POST /v1/sessions body */
/* A request body as JSON (duplicate keys refused); NULL with a message in
 * err when empty or not JSON. The caller json_decrefs the result. */
json_t *gw_body_parse(const char *body, size_t len, char *err, size_t err_cap);
/* The body's claims and ttl; RG_ERR_MALFORMED with a message in err. */
int gw_claims_parse(json_t *body, struct gw_claims *c, int64_t *ttl_s, char *err, size_t err_cap);

/* gw_http.c: one HTTP request (kept until its response is written) */
#define GW_URI_MAX 512
enum gw_method { GW_GET = 1, GW_POST, GW_DELETE, GW_OTHER };
struct gw_http_req {
  int method;
  char uri[GW_URI_MAX];
  char auth[GW_HTTP_AUTH_MAX + 1];
  bool auth_ok_len; /* the header was present and fit */
  bool loopback;    /* the peer is 127.0.0.0/8 or ::1 */
  char *body;
  size_t body_len;
  bool body_too_large;
  unsigned char *resp; /* LWS_PRE headroom, then resp_len bytes */
  size_t resp_len;
  bool close_after;
};

/* The per-socket user data lws allocates for our one protocol. */
struct gw_pss {
  struct gw_http_req *req;
  struct gw_conn *conn;
};

/* Whether a peer address is loopback: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z.
 * Pure (no socket), so it is tested on its own. */
bool gw_addr_is_loopback(const struct sockaddr *sa, socklen_t len);
int gw_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int gw_http_respond(struct lws *wsi, struct gw_http_req *req, unsigned status, const char *type, const char *body,
                    size_t len);
int gw_http_json(struct lws *wsi, struct gw_http_req *req, unsigned status, json_t *obj); /* steals obj */
int gw_http_error(struct lws *wsi, struct gw_http_req *req, unsigned status, const char *code, const char *detail);
bool gw_http_app_key_ok(struct gw *gw, const struct gw_http_req *req);

/* route handlers: each returns the lws callback result */
int gw_route_sessions_post(struct gw *gw, struct lws *wsi, struct gw_http_req *req);
int gw_route_sessions_delete(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *token);
int gw_route_demo_token(struct gw *gw, struct lws *wsi, struct gw_http_req *req);
int gw_route_health(struct gw *gw, struct lws *wsi, struct gw_http_req *req);
int gw_route_metrics(struct gw *gw, struct lws *wsi, struct gw_http_req *req);
int gw_route_call_get(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *call_id);
int gw_route_static(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *uri);

/* gw_ws.c: one WebSocket */
int gw_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
void gw_conn_send(struct gw_conn *c, json_t *obj); /* steals obj */
void gw_conn_send_error(struct gw_conn *c, const char *call_id, const char *code, const char *message);
void gw_conn_close(struct gw_conn *c, int code, const char *reason);
struct gw_conn *gw_conn_find_user(struct gw *gw, const char *user);
/* The socket authenticated: it no longer counts against the unauthenticated cap. */
void gw_conn_preauth_done(struct gw_conn *c);
/* Purges expired tokens and closes (4401) every socket whose token expired. */
void gw_sessions_expire(struct gw *gw, int64_t now);

/* gw_signal_parse.c: one text frame checked into a message (pure, fuzzed) */
enum gw_sig_type { GW_SIG_NONE = 0, GW_SIG_AUTH, GW_SIG_CALL, GW_SIG_ANSWER, GW_SIG_REJECT, GW_SIG_HANGUP };
#define GW_SIG_FIRST_FRAME "the first frame must be {\"type\":\"auth\",\"token\":T}"
struct gw_sig_msg {
  json_t *json;     /* the parsed frame (or NULL); the strings below point into it */
  int type;         /* enum gw_sig_type; set whenever "type" is a known one */
  const char *error; /* constant text for error bad_message (or, for auth, unauthorized) */
  const char *call_id; /* set once it matched [A-Za-z0-9_-]{8,64} */
  size_t call_id_len;
  const char *token; /* auth */
  size_t token_len;
  const char *to;    /* call: a valid user name */
  size_t to_len;
  const char *sdp;   /* call, answer: non-empty */
  size_t sdp_len;
  const char *reason; /* reject, hangup: a valid reason, or NULL when absent */
};
/* 0: a valid message of m->type; RG_ERR_MALFORMED: m->error says why (and
 * m->type, m->call_id say how far it got). Either way gw_signal_msg_free(m). */
int gw_signal_parse(const char *text, size_t len, struct gw_sig_msg *m);
void gw_signal_msg_free(struct gw_sig_msg *m);

/* gw_signal.c: one text frame from a client */
void gw_signal_handle(struct gw_conn *c, const char *text, size_t len);

/* gw_call.c: the per-call state machine */
struct gw_call *gw_call_find(struct gw *gw, const char *id);
void gw_call_start(struct gw_conn *caller, const char *id, const char *to, const char *sdp, size_t sdp_len);
void gw_call_answer(struct gw_conn *callee, const char *id, const char *sdp, size_t sdp_len);
void gw_call_reject(struct gw_conn *c, const char *id, const char *reason);
void gw_call_hangup(struct gw_conn *c, const char *id, const char *reason);
/* Ends the call: the legs other than `except` get hangup `reason`. */
void gw_call_end(struct gw_call *call, const char *reason, const struct gw_conn *except);
void gw_call_on_event(struct gw *gw, const struct rg_broker_event *ev);
void gw_call_tick(struct gw *gw, uint64_t now_us);
const char *gw_call_state_name(int state);

/* gw_events.c */
void gw_events_push(void *arg, const struct rg_broker_event *ev); /* broker thread */
void gw_events_drain(struct gw *gw);                              /* service thread */
void gw_events_close(struct gw *gw);

#endif
