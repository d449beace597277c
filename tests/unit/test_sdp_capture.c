/* SDP core against verbatim browser SDPs captured from Debian's Chromium
 * 156.0.8078.108 and firefox-esr 153.7.0esr (tests/data/sdp/capture/: each
 * browser offers audio + video + a data channel with fake devices, a second
 * peer connection answers). The Firefox captures have no candidates: inside
 * the capture's network namespace (lo only) Firefox gathered none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/sdp.h"
#include "test_sdp_util.h"

static struct rg_sdp *parse_file(const char *name, char **text, size_t *len)
{
  struct rg_sdp *sdp = NULL;
  struct rg_sdp_error err;
  *text = sdp_load(name, len);
  int rc = rg_sdp_parse(*text, *len, 0, &sdp, &err);
  if (rc)
    fprintf(stderr, "%s: line %u: %s\n", name, err.line, err.reason);
  assert_int_equal(rc, RG_OK);
  return sdp;
}

static void assert_roundtrip(const char *name)
{
  size_t len, out_len;
  char *text;
  struct rg_sdp *sdp = parse_file(name, &text, &len);
  assert_int_equal(rg_sdp_write_len(sdp), len);
  char *out = malloc(len + 1);
  assert_int_equal(rg_sdp_write(sdp, out, len + 1, &out_len), RG_OK);
  assert_int_equal(out_len, len);
  assert_memory_equal(out, text, len);
  /* One byte short of the NUL is refused, not truncated silently. */
  assert_int_equal(rg_sdp_write(sdp, out, len, &out_len), RG_ERR_BUFFER);
  free(out);
  free(text);
  rg_sdp_free(sdp);
}

static void chromium_offer_writes_back_byte_identical(void **state) { assert_roundtrip(CHROMIUM_OFFER); }
static void chromium_answer_writes_back_byte_identical(void **state) { assert_roundtrip(CHROMIUM_ANSWER); }
static void firefox_offer_writes_back_byte_identical(void **state) { assert_roundtrip(FIREFOX_OFFER); }
static void firefox_answer_writes_back_byte_identical(void **state) { assert_roundtrip(FIREFOX_ANSWER); }

static void lf_only_input_parses_and_writes_crlf(void **state)
{
  size_t len, out_len;
  char *text = sdp_load(CHROMIUM_OFFER, &len);
  char *lf = sdp_replace(text, "\r\n", "\n");
  struct rg_sdp *sdp;
  assert_int_equal(rg_sdp_parse(lf, strlen(lf), 0, &sdp, NULL), RG_OK);
  char *out = malloc(len + 1);
  assert_int_equal(rg_sdp_write(sdp, out, len + 1, &out_len), RG_OK);
  assert_string_equal(out, text);
  free(out);
  free(lf);
  free(text);
  rg_sdp_free(sdp);
}

static void chromium_offer_model_values_are_pinned(void **state)
{
  size_t len, n;
  char *text;
  struct rg_sdp *sdp = parse_file(CHROMIUM_OFFER, &text, &len);
  const struct rg_sdp_attr *a;

  assert_string_equal(sdp->origin.username, "-");
  assert_string_equal(sdp->origin.sess_id, "7228324628554523361");
  assert_int_equal(sdp->origin.sess_version, 2);
  assert_string_equal(sdp->origin.address, "127.0.0.1");
  assert_string_equal(sdp->name, "-");

  a = rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_GROUP, NULL);
  assert_non_null(a);
  assert_string_equal(a->u.group.semantics, "BUNDLE");
  assert_int_equal(a->u.group.n_mids, 3);
  assert_string_equal(a->u.group.mids[0], "0");
  assert_string_equal(a->u.group.mids[2], "2");
  assert_non_null(rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_EXTMAP_ALLOW_MIXED, NULL));
  a = rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_MSID_SEMANTIC, NULL);
  assert_string_equal(a->value, " WMS 05e696d7-97fc-41bf-997f-5f4daf96b4fe");

  assert_int_equal(sdp->n_media, 3);
  const struct rg_sdp_media *au = sdp->media[0], *vi = sdp->media[1], *dc = sdp->media[2];
  assert_int_equal(au->kind, RG_SDP_MEDIA_AUDIO);
  assert_int_equal(au->port, 38055);
  assert_string_equal(au->proto, "UDP/TLS/RTP/SAVPF");
  assert_int_equal(au->n_formats, 8);
  assert_string_equal(au->formats[0], "111");
  assert_string_equal(au->formats[7], "126");
  assert_int_equal(au->line, 8);
  assert_true(au->has_conn);
  assert_string_equal(au->conn.address, "127.0.0.1");
  assert_string_equal(rg_sdp_media_mid(au), "0");
  assert_int_equal(rg_sdp_media_direction(au), RG_SDP_DIR_SENDRECV);
  assert_int_equal(vi->kind, RG_SDP_MEDIA_VIDEO);
  assert_int_equal(vi->n_formats, 23);
  assert_int_equal(dc->kind, RG_SDP_MEDIA_APPLICATION);
  assert_string_equal(dc->proto, "UDP/DTLS/SCTP");
  assert_string_equal(dc->formats[0], "webrtc-datachannel");
  assert_string_equal(rg_sdp_attr_find_name(&dc->attrs, "sctp-port")->value, "5000");
  assert_int_equal(rg_sdp_find_mid(sdp, "1"), 1);
  assert_int_equal(rg_sdp_find_mid(sdp, "9"), -1);

  /* a=rtcp:9 IN IP4 0.0.0.0 */
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_RTCP, NULL);
  assert_int_equal(a->u.rtcp.port, 9);
  assert_string_equal(a->u.rtcp.address, "0.0.0.0");

  /* Candidates, parsed. */
  assert_int_equal(au->attrs.count[RG_SDP_ATTR_CANDIDATE], 2);
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_CANDIDATE, NULL);
  const struct rg_sdp_candidate *c = &a->u.candidate;
  assert_string_equal(c->foundation, "240943171");
  assert_int_equal(c->component, 1);
  assert_string_equal(c->transport, "udp");
  assert_int_equal(c->priority, 2122260223u);
  assert_string_equal(c->address, "127.0.0.1");
  assert_int_equal(c->port, 38055);
  assert_int_equal(c->addr.family, RG_AF_INET4);
  assert_int_equal(c->addr.port, 38055);
  assert_int_equal(c->addr.ip[0], 127);
  assert_string_equal(c->type, "host");
  assert_null(c->raddr);
  assert_string_equal(c->rest, "generation 0 network-id 1 network-cost 50");
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_CANDIDATE, a);
  assert_string_equal(a->u.candidate.transport, "tcp");
  assert_int_equal(a->u.candidate.port, 9);
  assert_string_equal(a->u.candidate.rest, "tcptype active generation 0 network-id 1 network-cost 50");

  /* Transport view: all media-level in Chromium. */
  struct rg_sdp_transport t;
  assert_int_equal(rg_sdp_media_transport(sdp, 1, &t), RG_OK);
  assert_string_equal(t.ice_ufrag, "J07l");
  assert_string_equal(t.ice_pwd, "hq0QvLrreBRjKm+SSEtoHrKY");
  assert_string_equal(t.ice_options, "trickle");
  assert_false(t.ice_lite);
  assert_int_equal(t.setup, RG_SDP_SETUP_ACTPASS);
  assert_true(t.rtcp_mux);
  assert_int_equal(t.n_fingerprints, 1);
  assert_int_equal(t.fingerprints[0].hash, RG_HASH_SHA256);
  assert_int_equal(t.fingerprints[0].value[0], 0x8D);
  assert_int_equal(t.fingerprints[0].value[31], 0x37);
  assert_int_equal(rg_sdp_media_transport(sdp, 3, &t), RG_ERR_INVAL);

  /* Codecs and header extensions. */
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_RTPMAP, NULL);
  assert_int_equal(a->u.rtpmap.pt, 111);
  assert_string_equal(a->u.rtpmap.encoding, "opus");
  assert_int_equal(a->u.rtpmap.clock_rate, 48000);
  assert_int_equal(a->u.rtpmap.channels, 2);
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_FMTP, NULL);
  assert_string_equal(a->u.fmtp.format, "111");
  assert_string_equal(a->u.fmtp.params, "minptime=10;useinbandfec=1");
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_RTCP_FB, NULL);
  assert_string_equal(a->u.rtcp_fb.format, "111");
  assert_string_equal(a->u.rtcp_fb.value, "transport-cc");
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_EXTMAP, NULL);
  assert_int_equal(a->u.extmap.id, 1);
  assert_int_equal(a->u.extmap.direction, RG_SDP_DIR_NONE);
  assert_string_equal(a->u.extmap.uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  a = rg_sdp_attr_find(&au->attrs, RG_SDP_ATTR_MSID, NULL);
  assert_string_equal(a->u.msid.id, "05e696d7-97fc-41bf-997f-5f4daf96b4fe");
  assert_string_equal(a->u.msid.appdata, "acd488cb-ba97-4344-92a1-e30aaf8d24dd");
  /* Unknown attributes stay verbatim and in place. */
  a = rg_sdp_attr_find_name(&au->attrs, "rtcp-xr");
  assert_string_equal(a->value, "rcvr-rtt=all");

  /* SSRCs: a=ssrc-group:FID 2420620123 154204676 comes first in video. */
  uint32_t ids[8];
  assert_int_equal(rg_sdp_media_ssrcs(au, ids, 8, &n), RG_OK);
  assert_int_equal(n, 1);
  assert_int_equal(ids[0], 2886161804u);
  assert_int_equal(rg_sdp_media_ssrcs(vi, ids, 8, &n), RG_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 2420620123u);
  assert_int_equal(ids[1], 154204676u);
  a = rg_sdp_attr_find(&vi->attrs, RG_SDP_ATTR_SSRC_GROUP, NULL);
  assert_string_equal(a->u.ssrc_group.semantics, "FID");
  assert_int_equal(a->u.ssrc_group.n_ids, 2);
  a = rg_sdp_attr_find(&vi->attrs, RG_SDP_ATTR_SSRC, NULL);
  assert_int_equal(a->u.ssrc.id, 2420620123u);
  assert_string_equal(a->u.ssrc.attribute, "cname");
  assert_string_equal(a->u.ssrc.value, "5Jb7itDPPLQciZih");
  assert_int_equal(rg_sdp_media_ssrcs(dc, ids, 8, &n), RG_OK);
  assert_int_equal(n, 0);
  assert_int_equal(rg_sdp_ssrcs(sdp, ids, 8, &n), RG_OK);
  assert_int_equal(n, 3);
  assert_int_equal(ids[2], 154204676u);
  assert_int_equal(rg_sdp_ssrcs(sdp, ids, 2, &n), RG_ERR_BUFFER);
  assert_int_equal(n, 3);

  free(text);
  rg_sdp_free(sdp);
}

static void firefox_offer_session_level_fingerprint_applies_to_every_section(void **state)
{
  size_t len, n;
  char *text;
  struct rg_sdp *sdp = parse_file(FIREFOX_OFFER, &text, &len);
  struct rg_sdp_transport t;
  const struct rg_sdp_attr *a;
  assert_string_equal(sdp->origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
  assert_int_equal(sdp->n_media, 3);
  assert_int_equal(sdp->attrs.count[RG_SDP_ATTR_FINGERPRINT], 1);
  assert_int_equal(sdp->media[0]->attrs.count[RG_SDP_ATTR_FINGERPRINT], 0);
  assert_string_equal(rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_MSID_SEMANTIC, NULL)->value, "WMS *");
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(rg_sdp_media_transport(sdp, i, &t), RG_OK);
    assert_int_equal(t.n_fingerprints, 1);
    assert_int_equal(t.fingerprints[0].hash, RG_HASH_SHA256);
    assert_int_equal(t.fingerprints[0].value[0], 0x93);
    assert_string_equal(t.ice_ufrag, "a711d715");
    assert_string_equal(t.ice_pwd, "32123e5badc5422018b6b27a0564102c");
    assert_string_equal(t.ice_options, "trickle"); /* session level */
    assert_int_equal(t.setup, RG_SDP_SETUP_ACTPASS);
  }
  /* a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level */
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_EXTMAP, NULL);
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_EXTMAP, a);
  assert_int_equal(a->u.extmap.id, 2);
  assert_int_equal(a->u.extmap.direction, RG_SDP_DIR_RECVONLY);
  /* a=rtpmap:9 G722/8000/1 keeps its explicit channel count. */
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_RTPMAP, NULL);
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_RTPMAP, a);
  assert_int_equal(a->u.rtpmap.pt, 9);
  assert_int_equal(a->u.rtpmap.channels, 1);
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_MSID, NULL);
  assert_string_equal(a->u.msid.id, "{2129afd9-c836-4bbe-92d2-58ef395a42ae}");
  /* Video: a=ssrc-group:FID after the a=ssrc lines. */
  uint32_t ids[4];
  assert_int_equal(rg_sdp_media_ssrcs(sdp->media[1], ids, 4, &n), RG_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 1028538232u);
  assert_int_equal(ids[1], 678895301u);
  assert_int_equal(rg_sdp_ssrcs(sdp, ids, 4, &n), RG_OK);
  assert_int_equal(n, 3);
  assert_int_equal(ids[0], 2529165105u);
  free(text);
  rg_sdp_free(sdp);
}

static void answers_take_the_active_dtls_role(void **state)
{
  const char *names[] = {CHROMIUM_ANSWER, FIREFOX_ANSWER};
  for (size_t k = 0; k < 2; k++) {
    size_t len;
    char *text;
    struct rg_sdp *sdp = parse_file(names[k], &text, &len);
    struct rg_sdp_transport t;
    assert_int_equal(sdp->n_media, 3);
    for (size_t i = 0; i < sdp->n_media; i++) {
      assert_int_equal(rg_sdp_media_transport(sdp, i, &t), RG_OK);
      assert_int_equal(t.setup, RG_SDP_SETUP_ACTIVE);
      assert_int_equal(t.n_fingerprints, 1);
    }
    free(text);
    rg_sdp_free(sdp);
  }
}

static void check_webrtc_accepts_every_capture(void **state)
{
  const char *names[] = {CHROMIUM_OFFER, CHROMIUM_ANSWER, FIREFOX_OFFER, FIREFOX_ANSWER};
  for (size_t k = 0; k < 4; k++) {
    size_t len;
    char *text;
    struct rg_sdp_error err;
    struct rg_sdp *sdp = parse_file(names[k], &text, &len);
    int rc = rg_sdp_check_webrtc(sdp, &err);
    if (rc)
      fprintf(stderr, "%s: %s\n", names[k], err.reason);
    assert_int_equal(rc, RG_OK);
    free(text);
    rg_sdp_free(sdp);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(chromium_offer_writes_back_byte_identical),
    cmocka_unit_test(chromium_answer_writes_back_byte_identical),
    cmocka_unit_test(firefox_offer_writes_back_byte_identical),
    cmocka_unit_test(firefox_answer_writes_back_byte_identical),
    cmocka_unit_test(lf_only_input_parses_and_writes_crlf),
    cmocka_unit_test(chromium_offer_model_values_are_pinned),
    cmocka_unit_test(firefox_offer_session_level_fingerprint_applies_to_every_section),
    cmocka_unit_test(answers_take_the_active_dtls_role),
    cmocka_unit_test(check_webrtc_accepts_every_capture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
