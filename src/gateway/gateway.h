/* rtcgate — the gateway: HTTPS + WSS signalling server of `rtcgate serve`.
 *
 * tools/rtcgate.c parses the command line into a struct rg_gw_config (flags
 * and config-file lines go through the same rg_gw_config_set, so a config
 * file holds exactly the settings the flags do) and calls rg_gw_run, which
 * owns the libwebsockets context (one thread) and the media brokers (one per
 * media worker thread, src/broker/broker.h, src/gateway/gw_media.c) until SIGINT or SIGTERM.
 * The protocol is documented in docs/protocol.md, the settings in
 * docs/config.md.
 */
#ifndef RTCGATE_GATEWAY_H
#define RTCGATE_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_GW_VERSION "0.1.0"
#define RG_GW_PATH_MAX 1024
#define RG_GW_IP_MAX 64
#define RG_GW_MEDIA_WORKERS_MAX 16

struct rg_gw_config {
  char listen_ip[RG_GW_IP_MAX]; /* HTTPS/WSS address (127.0.0.1) */
  uint16_t listen_port;         /* 8443; 0: an ephemeral port, printed */
  char media_ip[RG_GW_IP_MAX];  /* broker UDP address (127.0.0.1) */
  uint16_t media_port;          /* 10000; 0: an ephemeral port, printed */
  char cert_file[RG_GW_PATH_MAX]; /* empty: <state_dir>/cert.pem, made on first start */
  char key_file[RG_GW_PATH_MAX];  /* empty: <state_dir>/key.pem */
  char state_dir[RG_GW_PATH_MAX]; /* ./var */
  char web_dir[RG_GW_PATH_MAX];   /* RG_SOURCE_DIR/web */
  bool demo;                      /* serve / and POST /demo/token (loopback only) */
  uint32_t auth_timeout_ms;       /* first frame must be auth within this (10000) */
  uint32_t ring_timeout_ms;       /* unanswered call: hangup timeout (60000) */
  uint32_t media_timeout_ms;      /* leg not secured this long after the answer: media_failed (10000) */
  uint32_t max_calls;             /* concurrent calls (1000) */
  uint32_t consent_timeout_ms;    /* secured leg without ICE checks this long: hangup timeout (30000) */
  uint32_t max_unauth_sockets;    /* WebSockets open but not yet authenticated (1000) */
  uint32_t max_token_ttl_s;       /* a token lives at most this long, whatever ttl_s asks (86400) */
  uint32_t media_receive_buffer;  /* bytes for the media socket's receive queue; 0: 4 MB within rmem_max */
  uint32_t media_workers;         /* media worker threads, worker i on udp media_port + i (1) */
};

void rg_gw_config_defaults(struct rg_gw_config *cfg);
/* One setting by name ("listen", "media-port", ...; '_' may stand for '-').
 * Returns 0 or RG_ERR_INVAL / RG_ERR_NOT_FOUND with a message in err. */
int rg_gw_config_set(struct rg_gw_config *cfg, const char *key, const char *value, char *err, size_t err_cap);
/* Reads `key = value` lines ('#' comments, blank lines) into cfg. */
int rg_gw_config_load_file(struct rg_gw_config *cfg, const char *path, char *err, size_t err_cap);

/* Runs the server until SIGINT/SIGTERM; returns the process exit status. */
int rg_gw_run(const struct rg_gw_config *cfg);

#endif
