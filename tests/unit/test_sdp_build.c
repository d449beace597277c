/* SDP builder: an SDP made from scratch writes the expected text, parses
 * back and passes the WebRTC check; a browser offer's transport can be
 * replaced in place; caller text cannot inject lines; the arena cap holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/sdp.h"
#include "test_sdp_util.h"

static char *write_str(const struct rg_sdp *sdp)
{
  size_t n = rg_sdp_write_len(sdp), got;
  char *s = malloc(n + 1);
  assert_int_equal(rg_sdp_write(sdp, s, n + 1, &got), RG_OK);
  return s;
}

static struct rg_fingerprint test_fp(uint8_t first)
{
  struct rg_fingerprint fp = {.hash = RG_HASH_SHA256, .len = 32};
  for (int i = 0; i < 32; i++)
    fp.value[i] = (uint8_t)(first + i);
  return fp;
}

#define FP_TEXT "sha-256 10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20:21:22:23:24:25:26:27:28:29:2A:2B:2C:2D:2E:2F"

static void builder_makes_a_webrtc_answer_that_parses_back(void **state)
{
  static const char expected[] =
    "v=0\r\no=rtcgate 42 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=ice-lite\r\n"
    "m=audio 40000 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 127.0.0.1\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=fingerprint:" FP_TEXT "\r\na=setup:active\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n"
    "a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=ssrc:1234 cname:rtcgate\r\n";
  struct rg_sdp *sdp, *back;
  struct rg_sdp_media *m;
  const char *fmts[] = {"111", "0"};
  struct rg_fingerprint fp = test_fp(0x10);
  struct rg_sdp_candidate cand = {.foundation = "1", .component = 1, .transport = "udp",
                                  .priority = 2130706431u, .address = "127.0.0.1",
                                  .port = 40000, .type = "host"};
  struct rg_sdp_transport_spec spec = {.ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl",
                                       .n_fingerprints = 1, .fingerprints = &fp,
                                       .setup = RG_SDP_SETUP_ACTIVE, .n_candidates = 1,
                                       .candidates = &cand, .end_of_candidates = true};
  assert_int_equal(rg_sdp_new(&sdp, "42"), RG_OK);
  assert_int_equal(rg_sdp_set_origin(sdp, "rtcgate", "42", 3, "127.0.0.1"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, NULL, "group", "BUNDLE 0"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, NULL, "ice-lite", NULL), RG_OK);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 40000, "UDP/TLS/RTP/SAVPF", fmts, 2, &m), RG_OK);
  assert_int_equal(rg_sdp_set_conn(sdp, m, "127.0.0.1"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "mid", "0"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "sendrecv", NULL), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "rtcp-mux", NULL), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "rtpmap", "111 opus/48000/2"), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "ssrc", "1234 cname:rtcgate"), RG_OK);
  assert_int_equal(rg_sdp_set_direction(sdp, m, RG_SDP_DIR_RECVONLY), RG_OK);
  assert_int_equal(rg_sdp_set_transport(sdp, m, &spec), RG_OK);
  /* Typed, exactly as if parsed. */
  assert_int_equal(m->attrs.count[RG_SDP_ATTR_RTPMAP], 1);
  assert_int_equal(m->attrs.n_ssrcs, 1);
  char *out = write_str(sdp);
  assert_string_equal(out, expected);

  struct rg_sdp_error err;
  assert_int_equal(rg_sdp_parse(out, strlen(out), 0, &back, &err), RG_OK);
  assert_int_equal(rg_sdp_check_webrtc(back, &err), RG_OK);
  struct rg_sdp_transport t;
  assert_int_equal(rg_sdp_media_transport(back, 0, &t), RG_OK);
  assert_true(t.ice_lite);
  assert_int_equal(t.setup, RG_SDP_SETUP_ACTIVE);
  assert_int_equal(t.n_fingerprints, 1);
  assert_memory_equal(t.fingerprints[0].value, fp.value, 32);
  free(out);
  rg_sdp_free(back);
  rg_sdp_free(sdp);
}

static void set_transport_rewrites_one_section_of_a_browser_offer_in_place(void **state)
{
  size_t len;
  char *text = sdp_load(CHROMIUM_OFFER, &len);
  struct rg_sdp *sdp;
  struct rg_fingerprint fps[2] = {test_fp(0x10), test_fp(0x80)};
  struct rg_sdp_candidate cand = {.foundation = "x1", .component = 1, .transport = "udp",
                                  .priority = 1, .address = "::1", .port = 5000, .type = "srflx",
                                  .raddr = "0.0.0.0", .rport = 0, .rest = "generation 0"};
  struct rg_sdp_transport_spec spec = {.ice_ufrag = "WXYZ", .ice_pwd = "broker-password-0123456789",
                                       .ice_options = "trickle", .n_fingerprints = 2,
                                       .fingerprints = fps, .setup = RG_SDP_SETUP_PASSIVE,
                                       .n_candidates = 1, .candidates = &cand};
  assert_int_equal(rg_sdp_parse(text, len, 0, &sdp, NULL), RG_OK);
  size_t n_before = sdp->media[0]->attrs.n;
  assert_int_equal(rg_sdp_set_transport(sdp, sdp->media[0], &spec), RG_OK);
  /* 2 candidates, ufrag, pwd, options, 1 fingerprint, setup -> ufrag, pwd,
   * options, 2 fingerprints, setup, 1 candidate: as many lines as before. */
  assert_int_equal(sdp->media[0]->attrs.n, n_before);
  struct rg_sdp_transport t;
  assert_int_equal(rg_sdp_media_transport(sdp, 0, &t), RG_OK);
  assert_string_equal(t.ice_ufrag, "WXYZ");
  assert_int_equal(t.setup, RG_SDP_SETUP_PASSIVE);
  assert_int_equal(t.n_fingerprints, 2);
  assert_int_equal(t.fingerprints[1].value[0], 0x80);
  const struct rg_sdp_attr *c = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_CANDIDATE, NULL);
  assert_int_equal(c->u.candidate.addr.family, RG_AF_INET6);
  assert_null(rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_CANDIDATE, c));
  /* Section 1 keeps the browser's transport. */
  assert_int_equal(rg_sdp_media_transport(sdp, 1, &t), RG_OK);
  assert_string_equal(t.ice_ufrag, "J07l");

  char *out = write_str(sdp);
  /* The new transport sits where the old one began: right after a=rtcp. */
  assert_non_null(strstr(out, "a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:WXYZ\r\n"
                              "a=ice-pwd:broker-password-0123456789\r\na=ice-options:trickle\r\n"
                              "a=fingerprint:" FP_TEXT "\r\n"));
  assert_non_null(strstr(out, "a=setup:passive\r\na=candidate:x1 1 udp 1 ::1 5000 typ srflx raddr "
                              "0.0.0.0 rport 0 generation 0\r\na=mid:0\r\n"));
  free(out);
  free(text);
  rg_sdp_free(sdp);
}

static void remove_attrs_updates_counts_and_ssrcs(void **state)
{
  size_t len, n;
  char *text = sdp_load(CHROMIUM_OFFER, &len);
  struct rg_sdp *sdp;
  uint32_t ids[8];
  assert_int_equal(rg_sdp_parse(text, len, 0, &sdp, NULL), RG_OK);
  struct rg_sdp_media *v = sdp->media[1];
  assert_int_equal(rg_sdp_remove_attrs(sdp, v, RG_SDP_ATTR_SSRC), 4);
  assert_int_equal(v->attrs.count[RG_SDP_ATTR_SSRC], 0);
  assert_int_equal(rg_sdp_media_ssrcs(v, ids, 8, &n), RG_OK);
  assert_int_equal(n, 2); /* still named by a=ssrc-group */
  assert_int_equal(rg_sdp_remove_attrs(sdp, v, RG_SDP_ATTR_SSRC_GROUP), 1);
  assert_int_equal(rg_sdp_media_ssrcs(v, ids, 8, &n), RG_OK);
  assert_int_equal(n, 0);
  assert_int_equal(rg_sdp_ssrcs(sdp, ids, 8, &n), RG_OK);
  assert_int_equal(n, 1);
  assert_int_equal(rg_sdp_remove_attrs(sdp, v, RG_SDP_ATTR_SSRC), 0);
  free(text);
  rg_sdp_free(sdp);
}

static void builder_refuses_line_breaks_and_bad_values(void **state)
{
  struct rg_sdp *sdp;
  struct rg_sdp_media *m;
  const char *fmts[] = {"0"}, *bad_fmts[] = {"0 1"};
  assert_int_equal(rg_sdp_new(&sdp, "12x"), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_new(&sdp, NULL), RG_OK);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF", bad_fmts, 1, &m), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 9, "RTP AVP", fmts, 1, &m), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF", fmts, 0, &m), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF", fmts, 1, &m), RG_OK);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "mid", "0\r\na=evil"), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "x\ny", NULL), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "mid:0", NULL), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_add_attr(sdp, m, "rtpmap", "xx"), RG_ERR_MALFORMED);
  assert_int_equal(rg_sdp_set_conn(sdp, m, "1.2.3.4 5"), RG_ERR_INVAL);
  struct rg_sdp_candidate cand = {.foundation = "1 2", .component = 1, .transport = "udp",
                                  .address = "127.0.0.1", .type = "host"};
  assert_int_equal(rg_sdp_add_candidate(sdp, m, &cand), RG_ERR_INVAL);
  cand.foundation = "1";
  cand.rest = "ok\r\nbad";
  assert_int_equal(rg_sdp_add_candidate(sdp, m, &cand), RG_ERR_INVAL);
  struct rg_fingerprint fp = {.hash = RG_HASH_NONE};
  assert_int_equal(rg_sdp_add_fingerprint(sdp, m, &fp), RG_ERR_INVAL);
  assert_int_equal(rg_sdp_set_direction(sdp, m, RG_SDP_DIR_NONE), RG_ERR_INVAL);
  struct rg_sdp_transport_spec spec = {.ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl",
                                       .setup = RG_SDP_SETUP_UNKNOWN};
  assert_int_equal(rg_sdp_set_transport(sdp, m, &spec), RG_ERR_INVAL);
  /* Nothing was added by any refused call. */
  assert_int_equal(m->attrs.n, 0);
  char *out = write_str(sdp);
  assert_string_equal(out, "v=0\r\no=- 0 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n");
  free(out);
  rg_sdp_free(sdp);
}

static void repeated_rewrites_stop_at_the_arena_cap(void **state)
{
  struct rg_sdp *sdp;
  struct rg_sdp_media *m;
  const char *fmts[] = {"0"};
  struct rg_sdp_candidate cands[RG_SDP_MAX_CANDIDATES];
  struct rg_sdp_transport_spec spec = {.ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl",
                                       .setup = RG_SDP_SETUP_ACTPASS,
                                       .n_candidates = RG_SDP_MAX_CANDIDATES, .candidates = cands};
  for (size_t i = 0; i < RG_SDP_MAX_CANDIDATES; i++)
    cands[i] = (struct rg_sdp_candidate){.foundation = "1", .component = 1, .transport = "udp",
                                         .address = "127.0.0.1", .port = 9, .type = "host"};
  assert_int_equal(rg_sdp_new(&sdp, NULL), RG_OK);
  assert_int_equal(rg_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF", fmts, 1, &m), RG_OK);
  int rc = RG_OK;
  size_t i;
  for (i = 0; i < 100000 && rc == RG_OK; i++)
    rc = rg_sdp_set_transport(sdp, m, &spec);
  assert_int_equal(rc, RG_ERR_TOO_LARGE);
  assert_true(i > 10);
  rg_sdp_free(sdp);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(builder_makes_a_webrtc_answer_that_parses_back),
    cmocka_unit_test(set_transport_rewrites_one_section_of_a_browser_offer_in_place),
    cmocka_unit_test(remove_attrs_updates_counts_and_ssrcs),
    cmocka_unit_test(builder_refuses_line_breaks_and_bad_values),
    cmocka_unit_test(repeated_rewrites_stop_at_the_arena_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
