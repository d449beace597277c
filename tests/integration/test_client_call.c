/* librtcgate-client end to end: two native clients call each other through a
 * real `rtcgate serve` (gateway + broker) on loopback. Each sends a tone and
 * records what it receives; the recording's dominant frequency must be the
 * other side's tone (±5 Hz), with Opus and with PCMU, and with the broker's
 * media on IPv6 (::1), where clients with no media_ip follow the broker to
 * ::1. The caller runs in event-loop mode on the test's thread, the callee in
 * thread mode. A client whose media_ip cannot reach the broker's address
 * fails the call at once, saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <unistd.h>

#include "io/io_udp.h"
#include "rtcgate/addr.h"
#include "rtcgate/client_media.h"
#include "test_client_util.h"

#define AUDIO_MS 2000u   /* of tone after the call is secured */
#define TOL_HZ 5.0
#define SKIP_MS 200u     /* jitter-buffer priming and codec warm-up at the start */

struct fx {
  struct gw_server srv;
  const char *media_ip; /* the clients' media_ip (NULL: the SDK's default) */
  char url[64], ca[300];
  char tok_alice[RG_CLIENT_TOKEN_MAX], tok_bob[RG_CLIENT_TOKEN_MAX];
  char rec_alice[320], rec_bob[320];
};

static int fx_start(struct fx *f, const char *const *extra)
{
  memset(f, 0, sizeof *f);
  if (gw_server_start(&f->srv, extra) != 0)
    return -1;
  tcu_server_url(&f->srv, f->url, sizeof f->url);
  tcu_ca_file(&f->srv, f->ca, sizeof f->ca);
  tcu_mint(&f->srv, "alice", f->tok_alice, sizeof f->tok_alice);
  tcu_mint(&f->srv, "bob", f->tok_bob, sizeof f->tok_bob);
  snprintf(f->rec_alice, sizeof f->rec_alice, "%s/alice.wav", f->srv.dir);
  snprintf(f->rec_bob, sizeof f->rec_bob, "%s/bob.wav", f->srv.dir);
  return 0;
}

static int setup(void **state)
{
  static struct fx f;
  if (fx_start(&f, NULL) != 0)
    return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  assert_int_equal(gw_server_stop(&f->srv), 0); /* SIGTERM: clean exit */
  return 0;
}

static void assert_dominant(const char *path, double want_hz)
{
  struct rg_pcm pcm;
  struct rg_audio_peak peak;
  size_t skip;
  assert_int_equal(rg_wav_read_file(path, 0, &pcm), RG_OK);
  skip = (size_t)pcm.rate * SKIP_MS / 1000u;
  assert_true(pcm.n > skip + RG_AUDIO_FFT_MIN);
  assert_int_equal(rg_audio_dominant(pcm.samples + skip, pcm.n - skip, pcm.rate, &peak), RG_OK);
  if (fabs(peak.hz - want_hz) > TOL_HZ)
    fail_msg("%s: dominant %.1f Hz (share %.2f), want %.1f Hz", path, peak.hz, peak.share, want_hz);
  rg_pcm_free(&pcm);
}

struct both_secured {
  struct tcu_client *a, *b;
};

static bool done_both_secured(void *arg)
{
  struct both_secured *w = arg;
  return tcu_saw(w->a, RG_CLIENT_EV_SECURED, NULL) && tcu_saw(w->b, RG_CLIENT_EV_SECURED, NULL);
}

static bool done_both_ready(void *arg)
{
  struct both_secured *w = arg;
  return tcu_saw(w->a, RG_CLIENT_EV_READY, NULL) && tcu_saw(w->b, RG_CLIENT_EV_READY, NULL);
}

static void tone_call(struct fx *f, int codec, double alice_hz, double bob_hz)
{
  struct tcu_client alice, bob, *cs[2] = {&alice, &bob};
  struct rg_client_config ca, cb;
  struct both_secured w = {&alice, &bob};
  struct rg_client_stats sa, sb;
  struct tcu_ev ev;
  char id[RG_CLIENT_ID_MAX];
  tcu_config(&ca, &alice, f->url, f->tok_alice, f->ca);
  ca.codec = codec;
  ca.tone_hz = alice_hz;
  ca.record_wav = f->rec_alice;
  ca.media_ip = f->media_ip;
  tcu_config(&cb, &bob, f->url, f->tok_bob, f->ca);
  cb.media_ip = f->media_ip;
  cb.codec = codec;
  cb.tone_hz = bob_hz;
  cb.record_wav = f->rec_bob;
  cb.auto_answer = true;
  tcu_start(&alice, &ca, false);
  tcu_start(&bob, &cb, true);
  assert_true(tcu_pump(cs, 2, TCU_WAIT_MS, done_both_ready, &w));
  assert_int_equal(rg_client_call(alice.c, "bob", id, sizeof id), RG_OK);
  assert_int_equal(strlen(id), 16);
  assert_true(tcu_pump(cs, 2, TCU_WAIT_MS, done_both_secured, &w));
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_RINGING, NULL));
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_ANSWER, NULL));
  assert_true(tcu_saw(&bob, RG_CLIENT_EV_INCOMING, &ev));
  assert_string_equal(ev.call_id, id);
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_SECURED, &ev));
  assert_string_equal(ev.dtls_version, "DTLS 1.2");
  (void)tcu_pump(cs, 2, AUDIO_MS, NULL, NULL);
  /* The broker reports our leg secured too. */
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_BROKER_SECURED, &ev));
  assert_string_equal(ev.dtls_version, "DTLS 1.2");
  assert_int_equal(rg_client_hangup(alice.c), RG_OK);
  assert_true(tcu_wait_for(cs, 2, &bob, RG_CLIENT_EV_HANGUP, TCU_WAIT_MS));
  assert_true(tcu_saw(&bob, RG_CLIENT_EV_HANGUP, &ev));
  assert_string_equal(ev.reason, "normal");
  assert_false(ev.local);
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_HANGUP, &ev));
  assert_true(ev.local);
  rg_client_get_stats(alice.c, &sa);
  rg_client_get_stats(bob.c, &sb);
  assert_true(sa.secured && sb.secured);
  assert_string_equal(sa.codec, codec == RG_CLIENT_CODEC_OPUS ? "opus" : "PCMU");
  assert_string_equal(sb.codec, sa.codec);
  assert_string_equal(sa.srtp_profile, sb.srtp_profile);
  /* 50 packets/s for AUDIO_MS; loopback loses nothing. */
  assert_true(sa.packets_sent >= 80 && sb.packets_sent >= 80);
  assert_true(sa.packets_received >= 80 && sb.packets_received >= 80);
  assert_int_equal(sa.packets_lost, 0);
  assert_int_equal(sb.packets_lost, 0);
  assert_int_equal(sa.packets_dropped, 0);
  assert_true(sa.rtcp_received >= 1 && sb.rtcp_received >= 1);
  assert_true(sa.have_remote_report);
  assert_true(alice.audio_frames >= 80 && bob.audio_frames >= 80);
  tcu_stop(&alice);
  tcu_stop(&bob);
  assert_dominant(f->rec_bob, alice_hz);
  assert_dominant(f->rec_alice, bob_hz);
}

/* Distinct tones each way, so a recording cannot pass on its own tone. */
static void opus_tone_440_from_caller_is_dominant_at_callee(void **state)
{
  tone_call(*state, RG_CLIENT_CODEC_OPUS, 440.0, 660.0);
}

static void opus_tone_440_from_callee_is_dominant_at_caller(void **state)
{
  tone_call(*state, RG_CLIENT_CODEC_OPUS, 660.0, 440.0);
}

static void pcmu_tone_440_from_caller_is_dominant_at_callee(void **state)
{
  tone_call(*state, RG_CLIENT_CODEC_PCMU, 440.0, 660.0);
}

static void pcmu_tone_440_from_callee_is_dominant_at_caller(void **state)
{
  tone_call(*state, RG_CLIENT_CODEC_PCMU, 660.0, 440.0);
}

/* Whether this host has IPv6 loopback (a UDP socket binds on ::1). */
static bool have_ipv6_loopback(void)
{
  struct rg_addr a;
  struct rg_addr bound;
  int fd = -1;
  if (rg_addr_parse_ip(&a, "::1", 3, 0) != RG_OK || rg_udp_bind(&a, &fd, &bound) != RG_OK)
    return false;
  close(fd);
  return true;
}

static const char *const media_on_ipv6[] = {"--media-address", "::1", NULL};

/* A tone call through a server whose broker has its media on ::1, the
 * clients' media_ip as given; skipped where ::1 does not bind. */
static void ipv6_tone_call(const char *media_ip, int codec, double alice_hz, double bob_hz)
{
  static struct fx f6;
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "no IPv6 loopback on this host (::1 does not bind): skipped\n");
    skip();
  }
  assert_int_equal(fx_start(&f6, media_on_ipv6), 0);
  f6.media_ip = media_ip;
  tone_call(&f6, codec, alice_hz, bob_hz);
  assert_int_equal(gw_server_stop(&f6.srv), 0);
}

/* The clients' media sockets on ::1: ICE, DTLS and SRTP over IPv6, the tone
 * dominant both ways. */
static void ipv6_media_carries_a_call_both_ways(void **state)
{
  (void)state;
  ipv6_tone_call("::1", RG_CLIENT_CODEC_OPUS, 440.0, 660.0);
}

/* No media_ip: both clients start on 127.0.0.1 and follow the broker to ::1
 * when its SDP names it (the caller after its offer named 127.0.0.1: the
 * ICE-lite broker takes the address from the checks). */
static void clients_with_no_media_ip_follow_the_broker_to_ipv6(void **state)
{
  (void)state;
  ipv6_tone_call(NULL, RG_CLIENT_CODEC_PCMU, 660.0, 440.0);
}

/* The broker's media on ::1, the clients' media_ip set to 127.0.0.1: the
 * callee's client cannot reach the broker, so it refuses the call at once
 * with an error that names media_ip, and the caller gets hangup
 * media_failed, long before the broker's 10 s setup timeout. */
static void a_media_ip_that_cannot_reach_the_broker_fails_the_call_at_once_saying_why(void **state)
{
  (void)state;
  static struct fx f6;
  struct tcu_client alice, bob, *cs[2] = {&alice, &bob};
  struct rg_client_config ca, cb;
  struct both_secured w = {&alice, &bob};
  struct tcu_ev ev;
  char id[RG_CLIENT_ID_MAX];
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "no IPv6 loopback on this host (::1 does not bind): skipped\n");
    skip();
  }
  assert_int_equal(fx_start(&f6, media_on_ipv6), 0);
  tcu_config(&ca, &alice, f6.url, f6.tok_alice, f6.ca);
  tcu_config(&cb, &bob, f6.url, f6.tok_bob, f6.ca);
  ca.media_ip = cb.media_ip = "127.0.0.1";
  cb.auto_answer = true;
  tcu_start(&alice, &ca, false);
  tcu_start(&bob, &cb, true);
  assert_true(tcu_pump(cs, 2, TCU_WAIT_MS, done_both_ready, &w));
  uint64_t t0 = gws_now_ms();
  assert_int_equal(rg_client_call(alice.c, "bob", id, sizeof id), RG_OK);
  assert_true(tcu_wait_for(cs, 2, &alice, RG_CLIENT_EV_HANGUP, TCU_WAIT_MS));
  assert_true(gws_now_ms() - t0 < 3000);
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_HANGUP, &ev));
  assert_string_equal(ev.reason, "media_failed");
  assert_true(tcu_saw(&bob, RG_CLIENT_EV_ERROR, &ev));
  assert_string_equal(ev.reason, "media_failed");
  if (!strstr(ev.message, "[::1]") || !strstr(ev.message, "media_ip"))
    fail_msg("error message does not say why: %s", ev.message);
  assert_false(tcu_saw(&bob, RG_CLIENT_EV_SECURED, NULL));
  tcu_stop(&alice);
  tcu_stop(&bob);
  assert_int_equal(gw_server_stop(&f6.srv), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(opus_tone_440_from_caller_is_dominant_at_callee),
      cmocka_unit_test(opus_tone_440_from_callee_is_dominant_at_caller),
      cmocka_unit_test(pcmu_tone_440_from_caller_is_dominant_at_callee),
      cmocka_unit_test(pcmu_tone_440_from_callee_is_dominant_at_caller),
      cmocka_unit_test(ipv6_media_carries_a_call_both_ways),
      cmocka_unit_test(clients_with_no_media_ip_follow_the_broker_to_ipv6),
      cmocka_unit_test(a_media_ip_that_cannot_reach_the_broker_fails_the_call_at_once_saying_why),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
