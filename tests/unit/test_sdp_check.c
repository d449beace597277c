/* rg_sdp_check_webrtc(): DESIGN.md security contract item 2. Each violation
 * is made by editing a real Chromium 156 offer, so everything else in the
 * SDP is what a browser really sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/sdp.h"
#include "test_sdp_util.h"

#define CHROMIUM_FP "8D:F6:CC:61:64:D4:F6:F3:8E:FE:29:0F:5C:ED:B6:96:12:54:1B:80:75:11:34:8F:A5:B2:40:D5:A9:65:1B:37"
#define SHA1_FP "8D:F6:CC:61:64:D4:F6:F3:8E:FE:29:0F:5C:ED:B6:96:12:54:1B:80"
#define MD5_FP "8D:F6:CC:61:64:D4:F6:F3:8E:FE:29:0F:5C:ED:B6:96"

static char *offer;

static int setup(void **state)
{
  offer = sdp_load(CHROMIUM_OFFER, NULL);
  return 0;
}

static int teardown(void **state)
{
  free(offer);
  return 0;
}

/* Parses text (freeing it) and runs the check; expects check/line/reason. */
static void run_check(char *text, int check, int media_index, const char *why)
{
  struct rg_sdp *sdp;
  struct rg_sdp_error err;
  assert_int_equal(rg_sdp_parse(text, strlen(text), 0, &sdp, &err), RG_OK);
  int rc = rg_sdp_check_webrtc(sdp, &err);
  if (err.check != check || !strstr(err.reason, why))
    fprintf(stderr, "got check %d: %s\n", err.check, err.reason);
  if (check == RG_SDP_CHECK_OK) {
    assert_int_equal(rc, RG_OK);
  } else {
    assert_int_equal(rc, RG_ERR_UNSUPPORTED);
    assert_int_equal(err.code, RG_ERR_UNSUPPORTED);
    assert_int_equal(err.check, check);
    assert_non_null(strstr(err.reason, why));
    if (media_index >= 0)
      assert_int_equal(err.line, sdp->media[media_index]->line);
  }
  rg_sdp_free(sdp);
  free(text);
}

static void check_refuses_offer_without_fingerprint(void **state)
{
  run_check(sdp_drop_lines(offer, "a=fingerprint:"), RG_SDP_CHECK_NO_FINGERPRINT, 0,
               "m-section 0 (mid 0): no a=fingerprint");
}

static void check_refuses_md5_fingerprint_and_accepts_sha1(void **state)
{
  run_check(sdp_replace(offer, "sha-256 " CHROMIUM_FP, "md5 " MD5_FP), RG_SDP_CHECK_BAD_HASH, 0,
               "md5 is refused");
  run_check(sdp_replace(offer, "sha-256 " CHROMIUM_FP, "sha-1 " SHA1_FP), RG_SDP_CHECK_OK, -1, "");
}

static void check_refuses_missing_or_unknown_setup(void **state)
{
  run_check(sdp_drop_lines(offer, "a=setup:"), RG_SDP_CHECK_NO_SETUP, 0, "no a=setup");
  run_check(sdp_replace(offer, "a=setup:actpass", "a=setup:sideways"), RG_SDP_CHECK_BAD_SETUP, 0,
               "a=setup is not actpass, active, passive or holdconn");
}

static void check_refuses_missing_or_bad_ice_credentials(void **state)
{
  run_check(sdp_drop_lines(offer, "a=ice-ufrag:"), RG_SDP_CHECK_NO_ICE, 0, "no a=ice-ufrag");
  run_check(sdp_drop_lines(offer, "a=ice-pwd:"), RG_SDP_CHECK_NO_ICE, 0, "no a=ice-pwd");
  run_check(sdp_replace(offer, "a=ice-pwd:hq0QvLrreBRjKm+SSEtoHrKY", "a=ice-pwd:short"),
               RG_SDP_CHECK_BAD_ICE, 0, "a=ice-pwd must be 22-256 ice-chars");
  run_check(sdp_replace(offer, "a=ice-ufrag:J07l", "a=ice-ufrag:J0_l"), RG_SDP_CHECK_BAD_ICE, 0,
               "a=ice-ufrag must be 4-256 ice-chars");
}

static void check_refuses_rtp_section_without_rtcp_mux(void **state)
{
  /* Only the video section loses it: the error names section 1. */
  run_check(sdp_replace(offer, "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtcp-xr:rcvr-rtt=all\r\na=rtpmap:96",
                           "a=rtcp-rsize\r\na=rtcp-xr:rcvr-rtt=all\r\na=rtpmap:96"),
               RG_SDP_CHECK_NO_RTCP_MUX, 1, "m-section 1 (mid 1): no a=rtcp-mux on an RTP section");
}

static void check_refuses_plain_rtp(void **state)
{
  run_check(sdp_replace(offer, "UDP/TLS/RTP/SAVPF", "RTP/AVP"), RG_SDP_CHECK_PLAIN_RTP, 0,
               "proto RTP/AVP is plain RTP");
  run_check(sdp_replace(offer, "UDP/TLS/RTP/SAVPF", "RTP/AVPF"), RG_SDP_CHECK_PLAIN_RTP, 0,
               "proto RTP/AVPF is plain RTP");
}

static void check_refuses_sdes_only_keying(void **state)
{
  char *a = sdp_replace(offer, "UDP/TLS/RTP/SAVPF", "RTP/SAVPF");
  char *b = sdp_drop_lines(a, "a=fingerprint:");
  char *c = sdp_replace(b, "a=mid:0\r\n",
                        "a=mid:0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                        "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n");
  run_check(c, RG_SDP_CHECK_SDES_ONLY, 0, "SDES-only keying");
  free(a);
  free(b);
}

static void check_accepts_legacy_savpf_name_with_fingerprint(void **state)
{
  run_check(sdp_replace(offer, "UDP/TLS/RTP/SAVPF", "RTP/SAVPF"), RG_SDP_CHECK_OK, -1, "");
}

static void check_refuses_unknown_proto(void **state)
{
  run_check(sdp_replace(offer, "UDP/DTLS/SCTP", "UDP/SCTP"), RG_SDP_CHECK_BAD_PROTO, 2,
               "proto UDP/SCTP is not DTLS-SRTP or DTLS-SCTP");
}

static void check_ignores_rejected_sections_but_not_bundle_only_plain_rtp(void **state)
{
  size_t n = strlen(offer);
  char *a = malloc(n + 64), *b = malloc(n + 64);
  snprintf(a, n + 64, "%sm=audio 0 RTP/AVP 0\r\n", offer);
  snprintf(b, n + 64, "%sm=audio 0 RTP/AVP 0\r\na=bundle-only\r\n", offer);
  run_check(a, RG_SDP_CHECK_OK, -1, "");
  run_check(b, RG_SDP_CHECK_PLAIN_RTP, 3, "bundle-only section asks for plain RTP");
}

static void check_media_level_attributes_override_session_level(void **state)
{
  /* Firefox puts a=fingerprint at session level; an md5 one there is
   * harmless when every section carries its own sha-256. */
  char *ff = sdp_load(FIREFOX_OFFER, NULL);
  run_check(sdp_drop_lines(ff, "a=fingerprint:"), RG_SDP_CHECK_NO_FINGERPRINT, 0, "no a=fingerprint");
  char *b = sdp_replace(ff, "a=fingerprint:sha-256", "a=fingerprint:md5 " MD5_FP "\r\na=x:");
  run_check(sdp_replace(b, "a=setup:actpass\r\n",
                           "a=setup:actpass\r\na=fingerprint:sha-256 " CHROMIUM_FP "\r\n"),
               RG_SDP_CHECK_OK, -1, "");
  run_check(b, RG_SDP_CHECK_BAD_HASH, 0, "md5 is refused");
  free(ff);
}

static void check_refuses_sdp_without_media(void **state)
{
  run_check(strdup("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"), RG_SDP_CHECK_NO_MEDIA, -1,
               "no active m-section");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(check_refuses_offer_without_fingerprint),
    cmocka_unit_test(check_refuses_md5_fingerprint_and_accepts_sha1),
    cmocka_unit_test(check_refuses_missing_or_unknown_setup),
    cmocka_unit_test(check_refuses_missing_or_bad_ice_credentials),
    cmocka_unit_test(check_refuses_rtp_section_without_rtcp_mux),
    cmocka_unit_test(check_refuses_plain_rtp),
    cmocka_unit_test(check_refuses_sdes_only_keying),
    cmocka_unit_test(check_accepts_legacy_savpf_name_with_fingerprint),
    cmocka_unit_test(check_refuses_unknown_proto),
    cmocka_unit_test(check_ignores_rejected_sections_but_not_bundle_only_plain_rtp),
    cmocka_unit_test(check_media_level_attributes_override_session_level),
    cmocka_unit_test(check_refuses_sdp_without_media),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
