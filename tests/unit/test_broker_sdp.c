/* The broker's SDP rules on real browser captures: what it reads from a
 * client's SDP (credentials, fingerprints, SSRC allow-list) and the SDP it
 * writes for the other client (the peer's media, the broker's transport). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/broker_internal.h"
#include "rtcgate/cert.h"
#include "rtcgate/error.h"
#include "test_sdp_util.h"

#define NOW_UNIX 1764000000ull

struct fx {
  struct rg_broker b; /* only media_ip, bound and fp are used by the SDP code */
  struct rg_broker_leg leg;
  char err[RG_BROKER_ERR_MAX];
};

static void fx_init(struct fx *f)
{
  struct rg_cert *cert;
  memset(f, 0, sizeof *f);
  snprintf(f->b.media_ip, sizeof f->b.media_ip, "127.0.0.1");
  assert_int_equal(rg_addr_parse_ip(&f->b.bound, "127.0.0.1", 9, 10000), RG_OK);
  assert_int_equal(rg_cert_generate(&cert, RG_CERT_ECDSA_P256, "b", 1, NOW_UNIX, 0), RG_OK);
  assert_int_equal(rg_cert_fingerprint(cert, RG_HASH_SHA256, &f->b.fp), RG_OK);
  rg_cert_free(cert);
  snprintf(f->leg.ufrag, sizeof f->leg.ufrag, "Brk0UFRG");
  snprintf(f->leg.pwd, sizeof f->leg.pwd, "brokerPWD0123456789abcde");
}

static bool has_ssrc(const struct rg_broker_remote *r, uint32_t ssrc, uint8_t kind, const char *mid)
{
  for (size_t i = 0; i < r->n_ssrcs; i++)
    if (r->ssrcs[i].ssrc == ssrc)
      return r->ssrcs[i].kind == kind && r->ssrcs[i].mid_len == strlen(mid) &&
             memcmp(r->ssrcs[i].mid, mid, r->ssrcs[i].mid_len) == 0;
  return false;
}

static void chromium_offer_gives_credentials_fingerprint_and_ssrcs(void **state)
{
  struct fx f;
  struct rg_sdp *s;
  struct rg_broker_remote r;
  size_t len;
  char *text = sdp_load(CHROMIUM_OFFER, &len);
  fx_init(&f);
  assert_int_equal(rg_broker_sdp_read_(text, len, false, &s, &r, f.err, sizeof f.err), RG_OK);
  assert_string_equal(r.ufrag, "J07l");
  assert_string_equal(r.pwd, "hq0QvLrreBRjKm+SSEtoHrKY");
  assert_int_equal(r.setup, RG_SDP_SETUP_ACTPASS);
  assert_int_equal(r.n_fps, 1);
  assert_int_equal(r.fps[0].hash, RG_HASH_SHA256);
  assert_int_equal(r.fps[0].value[0], 0x8D);
  assert_int_equal(r.kinds, 3);
  assert_int_equal(r.n_media, 3);
  assert_true(has_ssrc(&r, 2886161804u, RG_MEDIA_AUDIO, "0"));
  /* Both video SSRCs (the FID group's RTX too) are allowed. */
  assert_int_equal(r.n_ssrcs, 3);
  assert_int_equal(r.n_rtcp_senders, 0);
  rg_sdp_free(s);
  free(text);
}

static void section_without_ssrc_allows_libwebrtc_rtcp_sender(void **state)
{
  struct fx f;
  struct rg_sdp *s;
  struct rg_broker_remote r;
  char *orig = sdp_load(CHROMIUM_OFFER, NULL);
  char *text = sdp_drop_lines(orig, "a=ssrc");
  fx_init(&f);
  assert_int_equal(rg_broker_sdp_read_(text, strlen(text), false, &s, &r, f.err, sizeof f.err), RG_OK);
  assert_int_equal(r.n_ssrcs, 0);
  assert_int_equal(r.n_rtcp_senders, 2);
  assert_int_equal(r.rtcp_senders[0], RG_SSRC_LIBWEBRTC_AUDIO_RTCP);
  assert_int_equal(r.rtcp_senders[1], RG_SSRC_LIBWEBRTC_VIDEO_RTCP);
  rg_sdp_free(s);
  free(text);
  free(orig);
}

/* The rewritten SDP must itself be a valid WebRTC SDP the broker would accept. */
static void check_rewritten(struct fx *f, const char *out, int setup)
{
  struct rg_sdp *s;
  struct rg_broker_remote r;
  char fp_line[RG_FINGERPRINT_STRLEN + 16], fp_text[RG_FINGERPRINT_STRLEN];
  assert_int_equal(rg_fingerprint_format(&f->b.fp, fp_text, sizeof fp_text) > 0, 1);
  snprintf(fp_line, sizeof fp_line, "a=fingerprint:%s\r\n", fp_text);
  assert_int_equal(rg_broker_sdp_read_(out, strlen(out), setup != RG_SDP_SETUP_ACTPASS, &s, &r, f->err,
                                       sizeof f->err), RG_OK);
  assert_string_equal(r.ufrag, "Brk0UFRG");
  assert_string_equal(r.pwd, "brokerPWD0123456789abcde");
  assert_int_equal(r.setup, setup);
  assert_int_equal(r.n_fps, 1);
  assert_true(rg_fingerprint_equal(&r.fps[0], &f->b.fp));
  assert_true(s->attrs.count[RG_SDP_ATTR_ICE_LITE] == 1);
  assert_non_null(strstr(out, fp_line));
  assert_non_null(strstr(out, "a=candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host\r\n"));
  assert_non_null(strstr(out, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(out, "m=application 0 "));
  assert_null(strstr(out, "a=ice-options"));
  assert_null(strstr(out, "a=rtcp:"));
  assert_null(strstr(out, "a=crypto"));
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(s->media[i]->port, 10000);
    assert_int_equal(s->media[i]->attrs.count[RG_SDP_ATTR_CANDIDATE], 1);
    assert_int_equal(s->media[i]->attrs.count[RG_SDP_ATTR_RTCP_MUX], 1);
  }
  rg_sdp_free(s);
}

static void chromium_offer_rewritten_keeps_media_and_replaces_transport(void **state)
{
  struct fx f;
  struct rg_sdp *s;
  struct rg_broker_remote r;
  char *out = NULL;
  size_t len;
  char *text = sdp_load(CHROMIUM_OFFER, &len);
  fx_init(&f);
  assert_int_equal(rg_broker_sdp_read_(text, len, false, &s, &r, f.err, sizeof f.err), RG_OK);
  assert_int_equal(rg_broker_sdp_rewrite_(&f.b, s, &f.leg, RG_SDP_SETUP_ACTPASS, &out), RG_OK);
  check_rewritten(&f, out, RG_SDP_SETUP_ACTPASS);
  /* The caller's media description travels unchanged. */
  assert_non_null(strstr(out, "a=ssrc:2886161804 cname:5Jb7itDPPLQciZih\r\n"));
  assert_non_null(strstr(out, "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"));
  assert_non_null(strstr(out, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
  assert_non_null(strstr(out, "a=msid:05e696d7-97fc-41bf-997f-5f4daf96b4fe acd488cb-ba97-4344-92a1-e30aaf8d24dd\r\n"));
  assert_non_null(strstr(out, "a=sendrecv\r\n"));
  /* Nothing of the caller's transport does. */
  assert_null(strstr(out, "J07l"));
  assert_null(strstr(out, "hq0QvLrreBRjKm"));
  assert_null(strstr(out, "8D:F6:CC"));
  assert_null(strstr(out, "38055"));
  rg_sdp_free(s);
  free(out);
  free(text);
}

static void firefox_offer_with_session_fingerprint_is_rewritten(void **state)
{
  struct fx f;
  struct rg_sdp *s;
  struct rg_broker_remote r;
  char *out = NULL;
  size_t len;
  char *text = sdp_load(FIREFOX_OFFER, &len);
  fx_init(&f);
  assert_int_equal(rg_broker_sdp_read_(text, len, false, &s, &r, f.err, sizeof f.err), RG_OK);
  assert_string_equal(r.ufrag, "a711d715");
  assert_int_equal(r.n_fps, 1);
  assert_int_equal(r.fps[0].value[0], 0x93);
  assert_true(has_ssrc(&r, 678895301u, RG_MEDIA_VIDEO, "1"));
  assert_int_equal(rg_broker_sdp_rewrite_(&f.b, s, &f.leg, RG_SDP_SETUP_ACTPASS, &out), RG_OK);
  check_rewritten(&f, out, RG_SDP_SETUP_ACTPASS);
  assert_null(strstr(out, "93:70:74:CB")); /* Firefox's session-level fingerprint is gone */
  assert_non_null(strstr(out, "a=ssrc-group:FID 1028538232 678895301\r\n"));
  rg_sdp_free(s);
  free(out);
  free(text);
}

static void browser_answers_are_read_and_rewritten_active(void **state)
{
  static const char *const names[] = {CHROMIUM_ANSWER, FIREFOX_ANSWER};
  for (size_t i = 0; i < 2; i++) {
    struct fx f;
    struct rg_sdp *s;
    struct rg_broker_remote r;
    char *out = NULL;
    size_t len;
    char *text = sdp_load(names[i], &len);
    fx_init(&f);
    assert_int_equal(rg_broker_sdp_read_(text, len, true, &s, &r, f.err, sizeof f.err), RG_OK);
    assert_int_equal(r.setup, RG_SDP_SETUP_ACTIVE);
    assert_int_equal(r.kinds, 3);
    assert_int_equal(rg_broker_sdp_rewrite_(&f.b, s, &f.leg, RG_SDP_SETUP_ACTIVE, &out), RG_OK);
    check_rewritten(&f, out, RG_SDP_SETUP_ACTIVE);
    rg_sdp_free(s);
    free(out);
    free(text);
  }
}

static void offer_as_answer_and_answer_as_offer_are_refused(void **state)
{
  struct fx f;
  struct rg_sdp *s = NULL;
  struct rg_broker_remote r;
  size_t len;
  char *offer = sdp_load(CHROMIUM_OFFER, &len);
  char *answer = sdp_load(CHROMIUM_ANSWER, NULL);
  fx_init(&f);
  /* actpass in an answer leaves the roles open; active in an offer would make the broker passive. */
  assert_int_equal(rg_broker_sdp_read_(offer, len, true, &s, &r, f.err, sizeof f.err), RG_ERR_MALFORMED);
  assert_non_null(strstr(f.err, "setup"));
  assert_int_equal(rg_broker_sdp_read_(answer, strlen(answer), false, &s, &r, f.err, sizeof f.err),
                   RG_ERR_MALFORMED);
  assert_null(s);
  free(offer);
  free(answer);
}

static void sdes_only_and_crypto_lines_follow_the_contract(void **state)
{
  struct fx f;
  struct rg_sdp *s = NULL;
  struct rg_broker_remote r;
  char *out = NULL;
  char *orig = sdp_load(CHROMIUM_OFFER, NULL);
  char *with_crypto = sdp_replace(orig, "a=mid:0\r\n",
                                  "a=mid:0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                  "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
  char *sdes_only = sdp_drop_lines(with_crypto, "a=fingerprint");
  fx_init(&f);
  /* a=crypto beside a fingerprint is ignored, and never written back. */
  assert_int_equal(rg_broker_sdp_read_(with_crypto, strlen(with_crypto), false, &s, &r, f.err, sizeof f.err), RG_OK);
  assert_int_equal(rg_broker_sdp_rewrite_(&f.b, s, &f.leg, RG_SDP_SETUP_ACTPASS, &out), RG_OK);
  assert_null(strstr(out, "a=crypto"));
  rg_sdp_free(s);
  free(out);
  s = NULL;
  /* SDES without DTLS is refused with the check's text. */
  assert_int_equal(rg_broker_sdp_read_(sdes_only, strlen(sdes_only), false, &s, &r, f.err, sizeof f.err),
                   RG_ERR_MALFORMED);
  assert_null(s);
  assert_true(strlen(f.err) > 8);
  free(orig);
  free(with_crypto);
  free(sdes_only);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(chromium_offer_gives_credentials_fingerprint_and_ssrcs),
      cmocka_unit_test(section_without_ssrc_allows_libwebrtc_rtcp_sender),
      cmocka_unit_test(chromium_offer_rewritten_keeps_media_and_replaces_transport),
      cmocka_unit_test(firefox_offer_with_session_fingerprint_is_rewritten),
      cmocka_unit_test(browser_answers_are_read_and_rewritten_active),
      cmocka_unit_test(offer_as_answer_and_answer_as_offer_are_refused),
      cmocka_unit_test(sdes_only_and_crypto_lines_follow_the_contract),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
