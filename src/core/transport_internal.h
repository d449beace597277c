/* Private state of struct rg_transport, shared by transport.c (control plane)
 * and transport_media.c (per-packet path). */
#ifndef RTCGATE_TRANSPORT_INTERNAL_H
#define RTCGATE_TRANSPORT_INTERNAL_H

#include "rtcgate/transport.h"

struct rg_srtp;

#define RG_TRANSPORT_EVENT_QUEUE 16

/* Field order is for the per-packet path: state, the SRTP contexts, the
 * nominated peer and the packet counters share the first two cache lines;
 * the ICE agent (~4.7 KB), the SSRC policy and the event queue follow. A
 * relay touches thousands of transports, so every line read is a miss. */
struct rg_transport {
  int mode;  /* enum rg_transport_ice_mode */
  int state; /* enum rg_transport_state */
  bool ice_ready;
  bool verified;
  bool have_peer;
  bool have_latest;
  /* Settled: the last poll found nothing to send and no event, and nothing
   * that could make some (a STUN or DTLS datagram, a timer, close) has
   * happened since; the next poll returns "none" without asking ICE or DTLS.
   * due: the earliest ICE/DTLS deadline, recomputed by every entry point
   * that can move one. A client asks for both after every packet it sends;
   * media never moves them. */
  bool settled;
  uint8_t n_validated, next_validated;
  uint64_t due;
  struct rg_srtp *tx; /* protect, keyed with our exporter half */
  struct rg_srtp *rx; /* unprotect, keyed with the peer's half */
  /* The nominated peer (lite) or remote (controlling). */
  struct rg_addr peer;
  uint64_t rx_datagrams, tx_datagrams, rx_unknown_source, rx_other, tx_refused;
  struct rg_ssrc_policy policy;
  /* ICE-validated source addresses (lite mode), newest replaces oldest. */
  struct rg_addr validated[RG_TRANSPORT_MAX_VALIDATED];
  struct rg_addr latest_validated;
  struct rg_dtls *dtls;
  int dtls_role;
  bool dtls_started;
  uint32_t srtp_max_streams;
  uint32_t srtp_replay_window;
  union {
    struct rg_ice_lite lite;
    struct rg_ice_agent agent;
  } ice;
  struct rg_transport_event events[RG_TRANSPORT_EVENT_QUEUE];
  uint8_t ev_head, ev_count;
  uint64_t fingerprint_mismatches, events_dropped;
};

bool rg_transport_source_ok(const struct rg_transport *t, const struct rg_addr *from);
bool rg_transport_dest(const struct rg_transport *t, struct rg_addr *dest);
int rg_transport_handle_media(struct rg_transport *t, const struct rg_addr *from, uint8_t *data, size_t len,
                              bool rtcp, struct rg_transport_media *media);

#endif
