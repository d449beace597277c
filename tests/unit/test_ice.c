/* Pins the ICE agents: the controlling agent against the lite agent in
 * memory on a virtual clock (no sockets), with scripted loss, silence and
 * address changes; and the lite agent's answers to hand-made requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/ice.h"
#include "rtcgate/stun.h"

#define SEC 1000000ull
#define MS 1000ull

#define BROKER_UFRAG "brkr"
#define BROKER_PWD "broker-password-0123456789"
#define CLIENT_UFRAG "clnt"
#define CLIENT_PWD "client-password-9876543210"

static struct rg_ice_credentials creds(const char *lu, const char *lp, const char *ru, const char *rp)
{
  struct rg_ice_credentials c = {lu, strlen(lu), lp, strlen(lp), ru, strlen(ru), rp, strlen(rp)};
  return c;
}

static struct rg_addr addr4(uint8_t last, uint16_t port)
{
  struct rg_addr a = {.family = RG_AF_INET4, .port = port, .ip = {10, 0, 0, last}};
  return a;
}

/* ---- the in-memory network ---- */

#define MAX_LOG 512

struct log_entry {
  uint64_t t;
  uint8_t event;
  struct rg_addr addr;
};

struct sim {
  struct rg_ice_agent ctl;   /* native client */
  struct rg_ice_lite lite;   /* media broker */
  struct rg_addr client, broker;
  uint64_t now;
  bool cut_to_lite, cut_to_ctl; /* drop everything one way */
  unsigned loss_pct;
  uint64_t rng;
  uint64_t last_check_delivered, last_response_delivered;
  size_t nctl_ev, nlite_ev, nsent;
  struct log_entry ctl_ev[MAX_LOG], lite_ev[MAX_LOG];
  uint64_t sent_at[MAX_LOG]; /* when ctl emitted each datagram */
};

static bool lose(struct sim *s)
{
  s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)((s->rng >> 33) % 100) < s->loss_pct;
}

static void pump(struct sim *s)
{
  uint8_t buf[RG_ICE_MAX_DATAGRAM];
  struct rg_ice_output o;
  for (int busy = 1; busy;) {
    busy = 0;
    while (rg_ice_agent_poll(&s->ctl, &o, buf, sizeof buf) == RG_OK && o.kind != RG_ICE_OUT_NONE) {
      busy = 1;
      if (o.kind == RG_ICE_OUT_EVENT) {
        assert_true(s->nctl_ev < MAX_LOG);
        s->ctl_ev[s->nctl_ev++] = (struct log_entry){s->now, o.event, o.addr};
        continue;
      }
      if (s->nsent < MAX_LOG)
        s->sent_at[s->nsent++] = s->now;
      if (!rg_addr_equal(&o.addr, &s->broker) || s->cut_to_lite || lose(s))
        continue;
      if (rg_ice_lite_handle_stun(&s->lite, s->now, &s->client, buf, o.len) == RG_OK)
        s->last_check_delivered = s->now;
    }
    while (rg_ice_lite_poll(&s->lite, &o, buf, sizeof buf) == RG_OK && o.kind != RG_ICE_OUT_NONE) {
      busy = 1;
      if (o.kind == RG_ICE_OUT_EVENT) {
        assert_true(s->nlite_ev < MAX_LOG);
        s->lite_ev[s->nlite_ev++] = (struct log_entry){s->now, o.event, o.addr};
        continue;
      }
      if (!rg_addr_equal(&o.addr, &s->client) || s->cut_to_ctl || lose(s))
        continue;
      if (rg_ice_agent_handle_stun(&s->ctl, s->now, &s->broker, buf, o.len) == RG_OK)
        s->last_response_delivered = s->now;
    }
  }
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static void run_until(struct sim *s, uint64_t end)
{
  pump(s);
  for (;;) {
    uint64_t t = min_u64(rg_ice_agent_next_timeout(&s->ctl), rg_ice_lite_next_timeout(&s->lite));
    if (t > end)
      break;
    if (t > s->now)
      s->now = t;
    if (rg_ice_agent_next_timeout(&s->ctl) <= s->now)
      rg_ice_agent_handle_timeout(&s->ctl, s->now);
    if (rg_ice_lite_next_timeout(&s->lite) <= s->now)
      rg_ice_lite_handle_timeout(&s->lite, s->now);
    pump(s);
  }
  s->now = end;
}

static void sim_init_consent(struct sim *s, const char *ctl_remote_ufrag, const char *ctl_remote_pwd, bool silent,
                             uint64_t seed, uint64_t lite_consent_us, uint64_t ctl_consent_us)
{
  memset(s, 0, sizeof *s);
  s->client = addr4(1, 5000);
  s->broker = addr4(2, 6000);
  s->rng = seed;
  struct rg_ice_lite_config lc = {creds(BROKER_UFRAG, BROKER_PWD, CLIENT_UFRAG, CLIENT_PWD), silent,
                                  lite_consent_us};
  assert_int_equal(rg_ice_lite_init(&s->lite, &lc), RG_OK);
  struct rg_ice_candidate cand = {s->broker, 2130706431u};
  struct rg_ice_agent_config ac = {
    .creds = creds(CLIENT_UFRAG, CLIENT_PWD, ctl_remote_ufrag, ctl_remote_pwd),
    .remote = &cand,
    .n_remote = 1,
    .tie_breaker = 0x1122334455667788ull,
    .seeded = true,
    .seed = seed,
    .consent_timeout_us = ctl_consent_us,
  };
  assert_int_equal(rg_ice_agent_init(&s->ctl, &ac, 0), RG_OK);
}

static void sim_init_with(struct sim *s, const char *ctl_remote_ufrag, const char *ctl_remote_pwd, bool silent,
                          uint64_t seed)
{
  sim_init_consent(s, ctl_remote_ufrag, ctl_remote_pwd, silent, seed, 0, 0);
}

static void sim_init(struct sim *s) { sim_init_with(s, BROKER_UFRAG, BROKER_PWD, false, 42); }

static size_t count_events(const struct log_entry *ev, size_t n, uint8_t type)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += ev[i].event == type;
  return k;
}

static const struct log_entry *find_event(const struct log_entry *ev, size_t n, uint8_t type)
{
  for (size_t i = 0; i < n; i++)
    if (ev[i].event == type)
      return &ev[i];
  return NULL;
}

/* ---- both agents together ---- */

static void controlling_agent_connects_to_lite_agent(void **state)
{
  static struct sim s;
  sim_init(&s);
  run_until(&s, 1 * SEC);
  const struct log_entry *c = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONNECTED);
  const struct log_entry *l = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_SELECTED);
  assert_non_null(c);
  assert_non_null(l);
  assert_int_equal(c->t, 0);
  assert_true(rg_addr_equal(&c->addr, &s.broker));
  assert_true(rg_addr_equal(&l->addr, &s.client));
  struct rg_addr peer;
  assert_true(rg_ice_lite_peer(&s.lite, &peer));
  assert_true(rg_addr_equal(&peer, &s.client));
  assert_true(rg_ice_agent_remote(&s.ctl, &peer));
  assert_true(rg_addr_equal(&peer, &s.broker));
  assert_int_equal(rg_ice_lite_stats(&s.lite)->checks_answered, 1);
  assert_int_equal(rg_ice_agent_stats(&s.ctl)->responses_accepted, 1);
}

static void consent_is_kept_alive_over_120_seconds(void **state)
{
  static struct sim s;
  sim_init(&s);
  run_until(&s, 120 * SEC);
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_ADDRESS_CHANGED), 0);
  /* One check, then a consent check every 4-6 s (RFC 7675 §5.1). */
  assert_true(s.nsent >= 1 + 120 / 6 && s.nsent <= 1 + 120 / 4);
  for (size_t i = 1; i < s.nsent; i++) {
    uint64_t gap = s.sent_at[i] - s.sent_at[i - 1];
    assert_true(gap >= 4 * SEC && gap <= 6 * SEC);
  }
  assert_int_equal(rg_ice_agent_stats(&s.ctl)->retransmissions, 0);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->checks_answered, s.nsent);
}

static void controlling_reports_consent_lost_30s_after_lite_stops_answering(void **state)
{
  static struct sim s;
  sim_init(&s);
  run_until(&s, 10 * SEC);
  s.cut_to_ctl = true;
  uint64_t last = s.last_response_delivered;
  assert_true(last > 0);
  run_until(&s, 100 * SEC);
  const struct log_entry *e = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, last + 30 * SEC);
  assert_true(rg_addr_equal(&e->addr, &s.broker));
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST), 1);
  /* Inert afterwards: no timeout, input refused and counted. */
  assert_true(rg_ice_agent_next_timeout(&s.ctl) == RG_ICE_NO_TIMEOUT);
  uint8_t junk[20] = {0};
  assert_int_equal(rg_ice_agent_handle_stun(&s.ctl, s.now, &s.broker, junk, sizeof junk), RG_ERR_CLOSED);
  assert_int_equal(rg_ice_agent_stats(&s.ctl)->rx_after_close, 1);
  /* The lite side kept receiving checks until the client gave up. */
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 1);
  assert_true(rg_ice_agent_stats(&s.ctl)->retransmissions > 0);
}

static void lite_reports_consent_lost_30s_after_checks_stop(void **state)
{
  static struct sim s;
  sim_init(&s);
  run_until(&s, 10 * SEC);
  s.cut_to_lite = true;
  uint64_t last = s.last_check_delivered;
  run_until(&s, 200 * SEC);
  const struct log_entry *e = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, last + 30 * SEC);
  assert_true(rg_addr_equal(&e->addr, &s.client));
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 1); /* once */
  assert_true(rg_ice_lite_next_timeout(&s.lite) == RG_ICE_NO_TIMEOUT);
}

/* The consent timeout is configurable (tests of the whole server shorten it);
 * both agents honour it and the client's checks keep RFC 7675's ratio. */
static void configured_consent_timeout_is_kept_alive_then_lost_after_it(void **state)
{
  static struct sim s;
  sim_init_consent(&s, BROKER_UFRAG, BROKER_PWD, false, 42, 1500 * MS, 1500 * MS);
  run_until(&s, 10 * SEC);
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  /* 1.5 s / 6 * [0.8, 1.2] = 200..300 ms between consent checks. */
  assert_true(s.nsent >= 1 + 10000 / 300 && s.nsent <= 1 + 10000 / 200);
  for (size_t i = 1; i < s.nsent; i++) {
    uint64_t gap = s.sent_at[i] - s.sent_at[i - 1];
    assert_true(gap >= 200 * MS && gap <= 300 * MS);
  }
  s.cut_to_lite = true;
  uint64_t last = s.last_check_delivered;
  run_until(&s, 20 * SEC);
  const struct log_entry *e = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, last + 1500 * MS);
  assert_true(rg_addr_equal(&e->addr, &s.client));
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 1);
  /* The client hears no answers either (its checks never arrive). */
  e = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, s.last_response_delivered + 1500 * MS);
}

static void lite_with_configured_timeout_arms_it_on_a_nominated_check(void **state)
{
  static struct sim s;
  /* Only the lite side is shortened: the client checks every 4-6 s, so a
   * 2 s lite timeout runs out after the first check; 60 s one does not. */
  sim_init_consent(&s, BROKER_UFRAG, BROKER_PWD, false, 42, 2 * SEC, 0);
  run_until(&s, 1 * SEC);
  assert_int_equal(rg_ice_lite_next_timeout(&s.lite), 0 + 2 * SEC);
  run_until(&s, 10 * SEC);
  const struct log_entry *e = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, 2 * SEC);

  sim_init_consent(&s, BROKER_UFRAG, BROKER_PWD, false, 42, 60 * SEC, 0);
  run_until(&s, 200 * SEC);
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  s.cut_to_lite = true;
  uint64_t last = s.last_check_delivered;
  run_until(&s, 300 * SEC);
  e = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST);
  assert_non_null(e);
  assert_int_equal(e->t, last + 60 * SEC);
}

static void consent_timeout_outside_its_range_is_refused(void **state)
{
  struct rg_ice_lite l;
  struct rg_ice_agent a;
  struct rg_ice_candidate cand = {addr4(2, 6000), 1};
  struct rg_ice_lite_config lc = {creds(BROKER_UFRAG, BROKER_PWD, CLIENT_UFRAG, CLIENT_PWD), false,
                                  RG_ICE_CONSENT_TIMEOUT_MIN_US - 1};
  struct rg_ice_agent_config ac = {.creds = creds(CLIENT_UFRAG, CLIENT_PWD, BROKER_UFRAG, BROKER_PWD),
                                   .remote = &cand, .n_remote = 1,
                                   .consent_timeout_us = RG_ICE_CONSENT_TIMEOUT_MAX_US + 1};
  assert_int_equal(rg_ice_lite_init(&l, &lc), RG_ERR_INVAL);
  lc.consent_timeout_us = RG_ICE_CONSENT_TIMEOUT_MAX_US + 1;
  assert_int_equal(rg_ice_lite_init(&l, &lc), RG_ERR_INVAL);
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_ERR_INVAL);
  ac.consent_timeout_us = RG_ICE_CONSENT_TIMEOUT_MIN_US - 1;
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_ERR_INVAL);
  /* The bounds themselves are accepted. */
  lc.consent_timeout_us = RG_ICE_CONSENT_TIMEOUT_MIN_US;
  assert_int_equal(rg_ice_lite_init(&l, &lc), RG_OK);
  rg_ice_lite_cleanup(&l);
  ac.consent_timeout_us = RG_ICE_CONSENT_TIMEOUT_MAX_US;
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_OK);
  rg_ice_agent_cleanup(&a);
}

static void lite_follows_peer_address_change(void **state)
{
  static struct sim s;
  sim_init(&s);
  run_until(&s, 20 * SEC);
  struct rg_addr old = s.client;
  s.client = addr4(1, 5001); /* NAT rebinding: same host, new port */
  run_until(&s, 40 * SEC);
  const struct log_entry *e = find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_ADDRESS_CHANGED);
  assert_non_null(e);
  assert_true(rg_addr_equal(&e->addr, &s.client));
  assert_false(rg_addr_equal(&e->addr, &old));
  assert_true(e->t > 20 * SEC && e->t <= 26 * SEC);
  struct rg_addr peer;
  assert_true(rg_ice_lite_peer(&s.lite, &peer));
  assert_true(rg_addr_equal(&peer, &s.client));
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
}

static void wrong_password_is_rejected_with_401(void **state)
{
  static struct sim s;
  sim_init_with(&s, BROKER_UFRAG, "not-the-broker-password!", false, 7);
  run_until(&s, 60 * SEC);
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONNECTED), 0);
  assert_int_equal(s.nlite_ev, 0);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->rx_bad_integrity, 1);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->errors_sent, 1);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->checks_answered, 0);
  /* The 401 ends the only check at once. */
  const struct log_entry *f = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_FAILED);
  assert_non_null(f);
  assert_int_equal(f->t, 0);
  assert_int_equal(rg_ice_agent_stats(&s.ctl)->rx_error_responses, 1);
}

static void wrong_username_is_rejected_with_401(void **state)
{
  static struct sim s;
  sim_init_with(&s, "nope", BROKER_PWD, false, 8);
  run_until(&s, 60 * SEC);
  assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONNECTED), 0);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->rx_bad_username, 1);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->rx_bad_integrity, 0);
  assert_non_null(find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_FAILED));
}

static void silent_lite_drops_bad_checks_and_client_retransmits_on_rfc8489_schedule(void **state)
{
  static struct sim s;
  sim_init_with(&s, BROKER_UFRAG, "not-the-broker-password!", true, 9);
  run_until(&s, 60 * SEC);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->errors_sent, 0);
  assert_int_equal(rg_ice_lite_stats(&s.lite)->rx_bad_integrity, RG_ICE_RC);
  /* RTO 500 ms doubling, Rc = 7 (RFC 8489 §6.2.1). */
  static const uint64_t want[RG_ICE_RC] = {0, 500 * MS, 1500 * MS, 3500 * MS, 7500 * MS, 15500 * MS, 31500 * MS};
  assert_int_equal(s.nsent, RG_ICE_RC);
  for (size_t i = 0; i < RG_ICE_RC; i++)
    assert_int_equal(s.sent_at[i], want[i]);
  /* Failure after the last wait of Rm * RTO = 8 s. */
  const struct log_entry *f = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_FAILED);
  assert_non_null(f);
  assert_int_equal(f->t, 39500 * MS);
  assert_int_equal(rg_ice_agent_stats(&s.ctl)->retransmissions, RG_ICE_RC - 1);
}

static void ten_percent_loss_still_connects_and_keeps_consent(void **state)
{
  static struct sim s;
  for (uint64_t seed = 1; seed <= 25; seed++) {
    sim_init_with(&s, BROKER_UFRAG, BROKER_PWD, false, seed);
    s.loss_pct = 10;
    run_until(&s, 120 * SEC);
    const struct log_entry *c = find_event(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONNECTED);
    assert_non_null(c);
    assert_true(c->t < 8 * SEC);
    assert_non_null(find_event(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_SELECTED));
    assert_int_equal(count_events(s.ctl_ev, s.nctl_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
    assert_int_equal(count_events(s.lite_ev, s.nlite_ev, RG_ICE_EVENT_CONSENT_LOST), 0);
  }
}

static void checks_go_highest_priority_first_and_are_paced(void **state)
{
  struct rg_ice_agent a;
  struct rg_ice_candidate cands[3] = {
    {addr4(3, 1000), 100}, {addr4(4, 1000), 300}, {addr4(5, 1000), 200}};
  struct rg_ice_agent_config ac = {creds(CLIENT_UFRAG, CLIENT_PWD, BROKER_UFRAG, BROKER_PWD), cands, 3, 1, 0, true,
                                   5, false, 0};
  assert_int_equal(rg_ice_agent_init(&a, &ac, 1000), RG_OK);
  assert_int_equal(rg_ice_agent_next_timeout(&a), 1000);
  uint8_t buf[RG_ICE_MAX_DATAGRAM];
  struct rg_ice_output o;
  static const uint8_t order[3] = {4, 5, 3};
  for (int i = 0; i < 3; i++) {
    uint64_t t = rg_ice_agent_next_timeout(&a);
    assert_int_equal(t, 1000 + (uint64_t)i * RG_ICE_TA_US);
    rg_ice_agent_handle_timeout(&a, t);
    assert_int_equal(rg_ice_agent_poll(&a, &o, buf, sizeof buf), RG_OK);
    assert_int_equal(o.kind, RG_ICE_OUT_DATAGRAM);
    assert_int_equal(o.addr.ip[3], order[i]);
    /* The check carries what RFC 8445 §7.2.2 asks for. */
    struct rg_stun_msg m;
    assert_int_equal(rg_stun_parse(&m, buf, o.len), RG_OK);
    assert_int_equal(m.cls, RG_STUN_REQUEST);
    assert_memory_equal(m.username.ptr, BROKER_UFRAG ":" CLIENT_UFRAG, 9);
    assert_true(m.has_priority && m.use_candidate && m.has_ice_controlling);
    assert_true(m.ice_controlling == 1);
    assert_int_equal(m.priority, (110u << 24) | (65535u << 8) | 255u);
    assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)BROKER_PWD, strlen(BROKER_PWD)), RG_OK);
    assert_int_equal(rg_stun_check_fingerprint(&m), RG_OK);
    assert_int_equal(rg_ice_agent_poll(&a, &o, buf, sizeof buf), RG_OK);
    assert_int_equal(o.kind, RG_ICE_OUT_NONE);
  }
  rg_ice_agent_cleanup(&a);
}

/* ---- the lite agent against hand-made requests ---- */

struct req_opts {
  const char *username;
  const char *pwd;
  bool use_candidate, controlling, controlled, no_mi, no_fp, bad_fp;
  uint16_t unknown_attr;
};

static size_t make_request(uint8_t *buf, size_t cap, const uint8_t tid[12], const struct req_opts *o)
{
  struct rg_stun_writer w;
  size_t len = 0;
  rg_stun_writer_init(&w, buf, cap, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  if (o->username)
    rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, o->username, strlen(o->username));
  rg_stun_write_u32(&w, RG_STUN_ATTR_PRIORITY, 12345);
  if (o->controlling)
    rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLING, 77);
  if (o->controlled)
    rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLED, 77);
  if (o->use_candidate)
    rg_stun_write_attr(&w, RG_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  if (o->unknown_attr)
    rg_stun_write_u32(&w, o->unknown_attr, 1);
  if (!o->no_mi)
    rg_stun_write_integrity(&w, (const uint8_t *)o->pwd, strlen(o->pwd));
  if (!o->no_fp)
    rg_stun_write_fingerprint(&w);
  assert_int_equal(rg_stun_writer_finish(&w, &len), RG_OK);
  if (o->bad_fp)
    buf[len - 1] ^= 1;
  return len;
}

static void lite_init(struct rg_ice_lite *a, bool silent)
{
  struct rg_ice_lite_config lc = {creds(BROKER_UFRAG, BROKER_PWD, CLIENT_UFRAG, CLIENT_PWD), silent, 0};
  assert_int_equal(rg_ice_lite_init(a, &lc), RG_OK);
}

/* Polls one datagram and parses it; returns false if there is none. */
static bool poll_response(struct rg_ice_lite *a, uint8_t *buf, struct rg_stun_msg *m, struct rg_addr *to)
{
  struct rg_ice_output o;
  do {
    assert_int_equal(rg_ice_lite_poll(a, &o, buf, RG_ICE_MAX_DATAGRAM), RG_OK);
  } while (o.kind == RG_ICE_OUT_EVENT);
  if (o.kind == RG_ICE_OUT_NONE)
    return false;
  *to = o.addr;
  assert_int_equal(rg_stun_parse(m, buf, o.len), RG_OK);
  assert_int_equal(rg_stun_check_fingerprint(m), RG_OK);
  return true;
}

static const struct req_opts good = {BROKER_UFRAG ":" CLIENT_UFRAG, CLIENT_PWD, true, true, false, false, false,
                                     false, 0};

static void lite_answers_valid_check_with_mapped_address_and_integrity(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {1, 2, 3};
  struct req_opts o = good;
  o.pwd = BROKER_PWD; /* checks are signed with the receiver's password */
  struct rg_addr from = {.family = RG_AF_INET6, .port = 40000, .ip = {0x20, 0x01, 0x0d, 0xb8, [15] = 9}}, to;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 5, &from, req, n), RG_OK);
  struct rg_stun_msg m;
  assert_true(poll_response(&a, resp, &m, &to));
  assert_true(rg_addr_equal(&to, &from));
  assert_int_equal(m.cls, RG_STUN_SUCCESS);
  assert_memory_equal(m.tid, tid, 12);
  assert_true(m.has_xor_mapped);
  assert_true(rg_addr_equal(&m.xor_mapped, &from));
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)BROKER_PWD, strlen(BROKER_PWD)), RG_OK);
  assert_int_equal(rg_ice_lite_next_timeout(&a), 5 + RG_ICE_CONSENT_TIMEOUT_US);
  rg_ice_lite_cleanup(&a);
}

static void lite_answers_420_for_unknown_comprehension_required_attribute(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {4};
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.unknown_attr = 0x7FF0;
  struct rg_addr from = addr4(1, 5000), to, peer;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_UNSUPPORTED);
  struct rg_stun_msg m;
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.cls, RG_STUN_ERROR);
  assert_int_equal(m.error_code, 420);
  assert_int_equal(m.nunknown_listed, 1);
  assert_int_equal(m.unknown_listed[0], 0x7FF0);
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)BROKER_PWD, strlen(BROKER_PWD)), RG_OK);
  assert_false(rg_ice_lite_peer(&a, &peer)); /* not nominated */
  assert_int_equal(rg_ice_lite_stats(&a)->rx_unknown_attrs, 1);
  /* A comprehension-optional unknown attribute is ignored. */
  o.unknown_attr = 0xC0DE;
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_OK);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.cls, RG_STUN_SUCCESS);
}

static void lite_answers_400_without_integrity_and_401_for_bad_credentials(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {5};
  struct rg_addr from = addr4(1, 5000), to;
  struct rg_stun_msg m;
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.no_mi = true;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_AUTH);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.error_code, 400);
  assert_true(m.mi_index < 0); /* RFC 8489 §9.1.3: no MI on 400/401 */

  o = good;
  o.pwd = CLIENT_PWD; /* signed with the wrong password */
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_AUTH);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.error_code, 401);
  assert_true(m.mi_index < 0);

  o.pwd = BROKER_PWD;
  o.username = CLIENT_UFRAG ":" BROKER_UFRAG; /* reversed */
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_AUTH);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.error_code, 401);

  const struct rg_ice_stats *st = rg_ice_lite_stats(&a);
  assert_int_equal(st->rx_missing_auth, 1);
  assert_int_equal(st->rx_bad_integrity, 1);
  assert_int_equal(st->rx_bad_username, 1);
  assert_int_equal(st->errors_sent, 3);
  assert_int_equal(st->checks_answered, 0);
  assert_true(rg_ice_lite_next_timeout(&a) == RG_ICE_NO_TIMEOUT);
}

static void lite_drops_bad_fingerprint_and_garbage_silently(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {6};
  struct rg_addr from = addr4(1, 5000), to;
  struct rg_stun_msg m;
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.bad_fp = true;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_MALFORMED);
  o.bad_fp = false;
  o.no_fp = true;
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_ERR_MALFORMED);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, 7), RG_ERR_MALFORMED);
  assert_false(poll_response(&a, resp, &m, &to));
  const struct rg_ice_stats *st = rg_ice_lite_stats(&a);
  assert_int_equal(st->rx_bad_fingerprint, 1);
  assert_int_equal(st->rx_no_fingerprint, 1);
  assert_int_equal(st->rx_malformed, 1);
}

static void lite_answers_ice_controlled_peer_without_487_and_without_nominating(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {7};
  struct rg_addr from = addr4(1, 5000), to, peer;
  struct rg_stun_msg m;
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.controlling = false;
  o.controlled = true;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_OK);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(m.cls, RG_STUN_SUCCESS);
  assert_int_equal(rg_ice_lite_stats(&a)->role_conflicts, 1);
  assert_false(rg_ice_lite_peer(&a, &peer));
}

static void lite_arms_consent_on_an_unnominated_check_and_reports_its_loss(void **state)
{
  /* A peer may secure a leg over a validated pair it never nominates; it
   * must still be torn down 30 s after its last check (RFC 7675). */
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {9};
  struct rg_addr from = addr4(1, 5000), to, peer;
  struct rg_stun_msg m;
  struct rg_ice_output out;
  uint8_t buf[RG_ICE_MAX_DATAGRAM];
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.use_candidate = false;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_next_timeout(&a), RG_ICE_NO_TIMEOUT);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 1 * SEC, &from, req, n), RG_OK);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_false(rg_ice_lite_peer(&a, &peer));
  assert_int_equal(rg_ice_lite_next_timeout(&a), 1 * SEC + RG_ICE_CONSENT_TIMEOUT_US);
  /* A later check refreshes it; then silence. */
  tid[0] = 10;
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 5 * SEC, &from, req, n), RG_OK);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_int_equal(rg_ice_lite_handle_timeout(&a, 5 * SEC + RG_ICE_CONSENT_TIMEOUT_US - 1), RG_OK);
  assert_int_equal(rg_ice_lite_poll(&a, &out, buf, sizeof buf), RG_OK);
  assert_int_equal(out.kind, RG_ICE_OUT_NONE);
  assert_int_equal(rg_ice_lite_handle_timeout(&a, 5 * SEC + RG_ICE_CONSENT_TIMEOUT_US), RG_OK);
  assert_int_equal(rg_ice_lite_poll(&a, &out, buf, sizeof buf), RG_OK);
  assert_int_equal(out.kind, RG_ICE_OUT_EVENT);
  assert_int_equal(out.event, RG_ICE_EVENT_CONSENT_LOST);
}

static void lite_keeps_selection_on_unnominated_check_from_elsewhere(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {8};
  struct rg_addr first = addr4(1, 5000), other = addr4(9, 9000), to, peer;
  struct rg_stun_msg m;
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 1 * SEC, &first, req, n), RG_OK);
  o.use_candidate = false;
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 2 * SEC, &other, req, n), RG_OK);
  assert_true(rg_ice_lite_peer(&a, &peer));
  assert_true(rg_addr_equal(&peer, &first));
  /* A check from elsewhere does not refresh the selected pair's consent. */
  assert_int_equal(rg_ice_lite_next_timeout(&a), 1 * SEC + RG_ICE_CONSENT_TIMEOUT_US);
  struct rg_ice_output out;
  assert_int_equal(rg_ice_lite_poll(&a, &out, resp, sizeof resp), RG_OK);
  assert_int_equal(out.kind, RG_ICE_OUT_EVENT);
  assert_int_equal(out.event, RG_ICE_EVENT_SELECTED);
  assert_true(poll_response(&a, resp, &m, &to));
  assert_true(poll_response(&a, resp, &m, &to));
  assert_true(rg_addr_equal(&to, &other));
  assert_false(poll_response(&a, resp, &m, &to));
}

static void poll_keeps_datagram_when_buffer_too_small(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], resp[RG_ICE_MAX_DATAGRAM], tid[12] = {10};
  struct rg_addr from = addr4(1, 5000), to;
  struct rg_stun_msg m;
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.use_candidate = false;
  size_t n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_OK);
  struct rg_ice_output out;
  assert_int_equal(rg_ice_lite_poll(&a, &out, resp, 10), RG_ERR_BUFFER);
  assert_true(poll_response(&a, resp, &m, &to));
}

static void lite_counts_queue_overflow(void **state)
{
  struct rg_ice_lite a;
  lite_init(&a, false);
  uint8_t req[256], tid[12] = {11};
  struct rg_addr from = addr4(1, 5000);
  struct req_opts o = good;
  o.pwd = BROKER_PWD;
  o.use_candidate = false;
  size_t n = make_request(req, sizeof req, tid, &o);
  for (int i = 0; i < RG_ICE_OUT_QUEUE + 2; i++)
    assert_int_equal(rg_ice_lite_handle_stun(&a, 0, &from, req, n), RG_OK);
  assert_int_equal(rg_ice_lite_stats(&a)->tx_queue_full, 2);
  assert_int_equal(rg_ice_lite_stats(&a)->checks_answered, RG_ICE_OUT_QUEUE);
}

/* ---- the controlling agent's server side and response checks ---- */

static void controlling_agent_answers_peer_requests_and_wins_role_conflict(void **state)
{
  struct rg_ice_agent a;
  struct rg_ice_candidate cand = {addr4(2, 6000), 1};
  struct rg_ice_agent_config ac = {creds(CLIENT_UFRAG, CLIENT_PWD, BROKER_UFRAG, BROKER_PWD), &cand, 1, 1000, 0,
                                   true, 3, false, 0};
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_OK);
  uint8_t req[256], buf[RG_ICE_MAX_DATAGRAM], tid[12] = {12};
  struct req_opts o = {CLIENT_UFRAG ":" BROKER_UFRAG, CLIENT_PWD, false, false, true, false, false, false, 0};
  size_t n = make_request(req, sizeof req, tid, &o);
  struct rg_ice_output out;
  struct rg_stun_msg m;
  assert_int_equal(rg_ice_agent_handle_stun(&a, 0, &cand.addr, req, n), RG_OK);
  assert_int_equal(rg_ice_agent_poll(&a, &out, buf, sizeof buf), RG_OK);
  assert_int_equal(out.kind, RG_ICE_OUT_DATAGRAM);
  assert_int_equal(rg_stun_parse(&m, buf, out.len), RG_OK);
  assert_int_equal(m.cls, RG_STUN_SUCCESS);
  assert_int_equal(rg_stun_check_integrity(&m, (const uint8_t *)CLIENT_PWD, strlen(CLIENT_PWD)), RG_OK);
  /* Peer claims controlling with a smaller tie-breaker (77 < 1000): 487. */
  o.controlled = false;
  o.controlling = true;
  n = make_request(req, sizeof req, tid, &o);
  assert_int_equal(rg_ice_agent_handle_stun(&a, 0, &cand.addr, req, n), RG_ERR_STATE);
  assert_int_equal(rg_ice_agent_poll(&a, &out, buf, sizeof buf), RG_OK);
  assert_int_equal(rg_stun_parse(&m, buf, out.len), RG_OK);
  assert_int_equal(m.error_code, 487);
  assert_int_equal(rg_ice_agent_stats(&a)->role_conflicts, 1);
}

static void controlling_agent_drops_forged_or_misrouted_responses(void **state)
{
  struct rg_ice_agent a;
  struct rg_ice_candidate cand = {addr4(2, 6000), 1};
  struct rg_ice_agent_config ac = {creds(CLIENT_UFRAG, CLIENT_PWD, BROKER_UFRAG, BROKER_PWD), &cand, 1, 1000, 0,
                                   true, 4, false, 0};
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_OK);
  rg_ice_agent_handle_timeout(&a, 0);
  uint8_t buf[RG_ICE_MAX_DATAGRAM], resp[256];
  struct rg_ice_output out;
  struct rg_stun_msg check;
  assert_int_equal(rg_ice_agent_poll(&a, &out, buf, sizeof buf), RG_OK);
  assert_int_equal(rg_stun_parse(&check, buf, out.len), RG_OK);
  struct rg_addr client = addr4(1, 5000);
  const char *pwds[2] = {"wrong-password-wrong-pw", BROKER_PWD};
  for (int i = 0; i < 2; i++) {
    struct rg_stun_writer w;
    size_t n;
    rg_stun_writer_init(&w, resp, sizeof resp, RG_STUN_METHOD_BINDING, RG_STUN_SUCCESS, check.tid);
    rg_stun_write_xor_addr(&w, RG_STUN_ATTR_XOR_MAPPED_ADDRESS, &client);
    rg_stun_write_integrity(&w, (const uint8_t *)pwds[i], strlen(pwds[i]));
    rg_stun_write_fingerprint(&w);
    assert_int_equal(rg_stun_writer_finish(&w, &n), RG_OK);
    if (i == 0) {
      assert_int_equal(rg_ice_agent_handle_stun(&a, 10, &cand.addr, resp, n), RG_ERR_AUTH);
      continue;
    }
    struct rg_addr elsewhere = addr4(2, 6001);
    assert_int_equal(rg_ice_agent_handle_stun(&a, 10, &elsewhere, resp, n), RG_ERR_AUTH);
    uint8_t other_tid[RG_STUN_TID_LEN];
    memcpy(other_tid, check.tid, sizeof other_tid);
    other_tid[0] ^= 1; /* another transaction */
    rg_stun_writer_init(&w, resp, sizeof resp, RG_STUN_METHOD_BINDING, RG_STUN_SUCCESS, other_tid);
    rg_stun_write_integrity(&w, (const uint8_t *)pwds[i], strlen(pwds[i]));
    rg_stun_write_fingerprint(&w);
    rg_stun_writer_finish(&w, &n);
    assert_int_equal(rg_ice_agent_handle_stun(&a, 10, &cand.addr, resp, n), RG_ERR_NOT_FOUND);
  }
  const struct rg_ice_stats *st = rg_ice_agent_stats(&a);
  assert_int_equal(st->rx_bad_integrity, 1);
  assert_int_equal(st->rx_bad_source, 1);
  assert_int_equal(st->rx_unknown_transaction, 1);
  struct rg_addr r;
  assert_false(rg_ice_agent_remote(&a, &r));
}

static void agent_init_rejects_bad_config(void **state)
{
  struct rg_ice_agent a;
  struct rg_ice_lite l;
  struct rg_ice_candidate cand = {{0}, 1};
  struct rg_ice_agent_config ac = {creds(CLIENT_UFRAG, CLIENT_PWD, BROKER_UFRAG, BROKER_PWD), &cand, 1, 1, 0, true,
                                   1, false, 0};
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_ERR_INVAL); /* no address family */
  ac.n_remote = 0;
  assert_int_equal(rg_ice_agent_init(&a, &ac, 0), RG_ERR_INVAL);
  struct rg_ice_lite_config lc = {creds("", BROKER_PWD, CLIENT_UFRAG, CLIENT_PWD), false, 0};
  assert_int_equal(rg_ice_lite_init(&l, &lc), RG_ERR_INVAL);
  char big[RG_ICE_MAX_PWD + 2];
  memset(big, 'p', sizeof big - 1);
  big[sizeof big - 1] = 0;
  lc.creds = creds(BROKER_UFRAG, big, CLIENT_UFRAG, CLIENT_PWD);
  assert_int_equal(rg_ice_lite_init(&l, &lc), RG_ERR_INVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(controlling_agent_connects_to_lite_agent),
    cmocka_unit_test(consent_is_kept_alive_over_120_seconds),
    cmocka_unit_test(controlling_reports_consent_lost_30s_after_lite_stops_answering),
    cmocka_unit_test(lite_reports_consent_lost_30s_after_checks_stop),
    cmocka_unit_test(configured_consent_timeout_is_kept_alive_then_lost_after_it),
    cmocka_unit_test(lite_with_configured_timeout_arms_it_on_a_nominated_check),
    cmocka_unit_test(consent_timeout_outside_its_range_is_refused),
    cmocka_unit_test(lite_follows_peer_address_change),
    cmocka_unit_test(wrong_password_is_rejected_with_401),
    cmocka_unit_test(wrong_username_is_rejected_with_401),
    cmocka_unit_test(silent_lite_drops_bad_checks_and_client_retransmits_on_rfc8489_schedule),
    cmocka_unit_test(ten_percent_loss_still_connects_and_keeps_consent),
    cmocka_unit_test(checks_go_highest_priority_first_and_are_paced),
    cmocka_unit_test(lite_answers_valid_check_with_mapped_address_and_integrity),
    cmocka_unit_test(lite_answers_420_for_unknown_comprehension_required_attribute),
    cmocka_unit_test(lite_answers_400_without_integrity_and_401_for_bad_credentials),
    cmocka_unit_test(lite_drops_bad_fingerprint_and_garbage_silently),
    cmocka_unit_test(lite_answers_ice_controlled_peer_without_487_and_without_nominating),
    cmocka_unit_test(lite_keeps_selection_on_unnominated_check_from_elsewhere),
    cmocka_unit_test(lite_arms_consent_on_an_unnominated_check_and_reports_its_loss),
    cmocka_unit_test(poll_keeps_datagram_when_buffer_too_small),
    cmocka_unit_test(lite_counts_queue_overflow),
    cmocka_unit_test(controlling_agent_answers_peer_requests_and_wins_role_conflict),
    cmocka_unit_test(controlling_agent_drops_forged_or_misrouted_responses),
    cmocka_unit_test(agent_init_rejects_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
