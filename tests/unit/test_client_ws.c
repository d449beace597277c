/* librtcgate-client pieces without a network: the WebSocket frame codec
 * (RFC 6455 examples verbatim), URL and pin parsing, and the client's own
 * SDP read back by the same rules it applies to the broker's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/sdp.h"

/* RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives this accept value. */
static void accept_key_matches_rfc6455_section_1_3(void **state)
{
  char out[32];
  (void)state;
  cl_ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", out);
  assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

/* RFC 6455 §5.7: a masked text frame "Hello" with mask 37 fa 21 3d. */
static void masked_hello_matches_rfc6455_section_5_7(void **state)
{
  static const uint8_t want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t out[32];
  (void)state;
  assert_int_equal(cl_ws_build_frame(out, sizeof out, 1, (const uint8_t *)"Hello", 5, mask), (int)sizeof want);
  assert_memory_equal(out, want, sizeof want);
  assert_int_equal(cl_ws_build_frame(out, 10, 1, (const uint8_t *)"Hello", 5, mask), RG_ERR_BUFFER);
}

/* RFC 6455 §5.7: unmasked "Hello", then the fragmented "Hel" + "lo". */
static void unmasked_frames_of_rfc6455_section_5_7_parse(void **state)
{
  uint8_t one[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  uint8_t frag[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
  struct cl_ws_frame f;
  (void)state;
  assert_int_equal(cl_ws_parse_frame(one, sizeof one, 1024, &f), 7);
  assert_true(f.fin);
  assert_int_equal(f.op, 1);
  assert_int_equal(f.len, 5);
  assert_memory_equal(f.payload, "Hello", 5);
  assert_int_equal(cl_ws_parse_frame(frag, sizeof frag, 1024, &f), 5);
  assert_false(f.fin);
  assert_int_equal(f.op, 1);
  assert_memory_equal(f.payload, "Hel", 3);
  assert_int_equal(cl_ws_parse_frame(frag + 5, 4, 1024, &f), 4);
  assert_true(f.fin);
  assert_int_equal(f.op, 0);
  assert_memory_equal(f.payload, "lo", 2);
}

static void parse_waits_for_the_whole_frame(void **state)
{
  uint8_t one[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  struct cl_ws_frame f;
  (void)state;
  for (size_t n = 0; n < sizeof one; n++)
    assert_int_equal(cl_ws_parse_frame(one, n, 1024, &f), 0);
}

/* RFC 6455 §5.7: 256 bytes with a 16-bit length, 65536 with a 64-bit one. */
static void extended_lengths_parse(void **state)
{
  uint8_t *buf = calloc(1, 65536 + 10);
  struct cl_ws_frame f;
  (void)state;
  assert_non_null(buf);
  buf[0] = 0x82;
  buf[1] = 0x7e;
  buf[2] = 0x01;
  buf[3] = 0x00;
  assert_int_equal(cl_ws_parse_frame(buf, 4 + 256, 1024, &f), 4 + 256);
  assert_int_equal(f.len, 256);
  memset(buf, 0, 10);
  buf[0] = 0x82;
  buf[1] = 0x7f;
  buf[7] = 0x01; /* 0x0000000000010000 */
  assert_int_equal(cl_ws_parse_frame(buf, 10 + 65536, 65536, &f), 10 + 65536);
  assert_int_equal(f.len, 65536);
  assert_int_equal(cl_ws_parse_frame(buf, 10 + 65536, 65535, &f), RG_ERR_TOO_LARGE);
  free(buf);
}

static void parse_refuses_what_a_server_must_not_send(void **state)
{
  uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  uint8_t rsv[] = {0xc1, 0x00};
  uint8_t long_ping[2 + 126 + 2] = {0x89, 0x7e, 0x00, 0x7e};
  uint8_t frag_ping[] = {0x09, 0x00};
  struct cl_ws_frame f;
  (void)state;
  assert_int_equal(cl_ws_parse_frame(masked, sizeof masked, 1024, &f), RG_ERR_MALFORMED);
  assert_int_equal(cl_ws_parse_frame(rsv, sizeof rsv, 1024, &f), RG_ERR_MALFORMED);
  assert_int_equal(cl_ws_parse_frame(long_ping, sizeof long_ping, 1024, &f), RG_ERR_MALFORMED);
  assert_int_equal(cl_ws_parse_frame(frag_ping, sizeof frag_ping, 1024, &f), RG_ERR_MALFORMED);
}

/* Fragments of a text message (RFC 6455 §5.4) with a ping between them
 * (§5.5: control frames may be injected in the middle). */
static void reader_reassembles_fragments_around_a_ping(void **state)
{
  uint8_t in[] = {0x01, 0x03, 'H', 'e', 'l', 0x89, 0x02, 'r', 'g', 0x80, 0x02, 'l', 'o'};
  struct cl_ws_rx rx;
  struct cl_ws_event ev;
  (void)state;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(cl_ws_rx_next(&rx, in, sizeof in, 1024, &ev), 5);
  assert_int_equal(ev.kind, CL_WS_EV_NONE);
  assert_int_equal(cl_ws_rx_next(&rx, in + 5, sizeof in - 5, 1024, &ev), 4);
  assert_int_equal(ev.kind, CL_WS_EV_PING);
  assert_int_equal(ev.len, 2);
  assert_memory_equal(ev.data, "rg", 2);
  assert_int_equal(cl_ws_rx_next(&rx, in + 9, 3, 1024, &ev), 0); /* incomplete */
  assert_int_equal(cl_ws_rx_next(&rx, in + 9, sizeof in - 9, 1024, &ev), 4);
  assert_int_equal(ev.kind, CL_WS_EV_TEXT);
  assert_int_equal(ev.len, 5);
  assert_string_equal((const char *)ev.data, "Hello");
  assert_int_equal(rx.msg_op, 0);
  cl_ws_rx_cleanup(&rx);
}

static void reader_refuses_bad_fragmentation(void **state)
{
  uint8_t lone_cont[] = {0x80, 0x01, 'x'};
  uint8_t text_in_text[] = {0x01, 0x01, 'a', 0x81, 0x01, 'b'};
  struct cl_ws_rx rx;
  struct cl_ws_event ev;
  (void)state;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(cl_ws_rx_next(&rx, lone_cont, sizeof lone_cont, 1024, &ev), RG_ERR_CLOSED);
  assert_int_equal(ev.kind, CL_WS_EV_ERROR);
  assert_int_equal(ev.code, 1002);
  assert_int_equal(cl_ws_rx_next(&rx, text_in_text, sizeof text_in_text, 1024, &ev), 3);
  assert_int_equal(cl_ws_rx_next(&rx, text_in_text + 3, 3, 1024, &ev), RG_ERR_CLOSED);
  assert_int_equal(ev.code, 1002);
  cl_ws_rx_cleanup(&rx);
}

/* The cap holds for the whole message, not only for each fragment. */
static void reader_caps_a_message_across_fragments(void **state)
{
  uint8_t in[] = {0x01, 0x03, 'a', 'b', 'c', 0x80, 0x02, 'd', 'e'};
  struct cl_ws_rx rx;
  struct cl_ws_event ev;
  (void)state;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(cl_ws_rx_next(&rx, in, sizeof in, 4, &ev), 5);
  assert_int_equal(cl_ws_rx_next(&rx, in + 5, 4, 4, &ev), RG_ERR_CLOSED);
  assert_int_equal(ev.kind, CL_WS_EV_ERROR);
  assert_int_equal(ev.code, 1009);
  cl_ws_rx_cleanup(&rx);
}

static void reader_reads_close_code_and_reason(void **state)
{
  uint8_t with[] = {0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'};
  uint8_t without[] = {0x88, 0x00};
  struct cl_ws_rx rx;
  struct cl_ws_event ev;
  (void)state;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(cl_ws_rx_next(&rx, with, sizeof with, 1024, &ev), 7);
  assert_int_equal(ev.kind, CL_WS_EV_CLOSE);
  assert_int_equal(ev.code, 1000);
  assert_int_equal(ev.len, 3);
  assert_memory_equal(ev.data, "bye", 3);
  assert_int_equal(cl_ws_rx_next(&rx, without, sizeof without, 1024, &ev), 2);
  assert_int_equal(ev.code, 1005); /* §7.1.5: no status code */
  assert_int_equal(ev.len, 0);
  cl_ws_rx_cleanup(&rx);
}

/* RFC 6455 §5.5.1 and §7.4: a 1-byte close body and codes that must not
 * travel (or are unassigned) are protocol errors, answered with 1002 rather
 * than echoed; registered and application codes are read as sent. */
static void reader_refuses_bad_close_frames(void **state)
{
  uint8_t one_byte[] = {0x88, 0x01, 0x03};
  const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
  const uint16_t good[] = {1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4401, 4999};
  struct cl_ws_rx rx;
  struct cl_ws_event ev;
  (void)state;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(cl_ws_rx_next(&rx, one_byte, sizeof one_byte, 1024, &ev), RG_ERR_CLOSED);
  assert_int_equal(ev.kind, CL_WS_EV_ERROR);
  assert_int_equal(ev.code, 1002);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t f[] = {0x88, 0x02, (uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
    assert_int_equal(cl_ws_rx_next(&rx, f, sizeof f, 1024, &ev), RG_ERR_CLOSED);
    assert_int_equal(ev.kind, CL_WS_EV_ERROR);
    assert_int_equal(ev.code, 1002);
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    uint8_t f[] = {0x88, 0x02, (uint8_t)(good[i] >> 8), (uint8_t)good[i]};
    assert_int_equal(cl_ws_rx_next(&rx, f, sizeof f, 1024, &ev), 4);
    assert_int_equal(ev.kind, CL_WS_EV_CLOSE);
    assert_int_equal(ev.code, good[i]);
  }
  cl_ws_rx_cleanup(&rx);
}

static void url_parse_takes_tls_urls_only(void **state)
{
  struct cl_url u;
  (void)state;
  assert_int_equal(cl_url_parse("wss://127.0.0.1:8443", &u), RG_OK);
  assert_string_equal(u.host, "127.0.0.1");
  assert_true(u.host_is_ip);
  assert_int_equal(u.port, 8443);
  assert_string_equal(u.path, "");
  assert_int_equal(cl_url_parse("wss://[::1]:9/v1/ws", &u), RG_OK);
  assert_string_equal(u.host, "::1");
  assert_true(u.host_is_ip);
  assert_string_equal(u.path, "/v1/ws");
  assert_int_equal(cl_url_parse("https://example.org", &u), RG_OK);
  assert_false(u.host_is_ip);
  assert_int_equal(u.port, 443);
  assert_int_equal(cl_url_parse("ws://127.0.0.1:8443", &u), RG_ERR_UNSUPPORTED);
  assert_int_equal(cl_url_parse("wss://127.0.0.1:70000", &u), RG_ERR_MALFORMED);
  assert_int_equal(cl_url_parse("wss://:1", &u), RG_ERR_MALFORMED);
  assert_int_equal(cl_url_parse("wss://h/a b", &u), RG_ERR_MALFORMED);
}

static void pin_parse_takes_64_hex_digits(void **state)
{
  const char *hex = "13629C188C8D5F2CA5C18D8FED7D4BCA133A10ACC0AB47C31F377770819520C4";
  const char *colons = "13:62:9c:18:8c:8d:5f:2c:a5:c1:8d:8f:ed:7d:4b:ca:13:3a:10:ac:c0:ab:47:c3:1f:37:77:70:81:95:20:c4";
  uint8_t a[32], b[32];
  char prefixed[120];
  (void)state;
  assert_int_equal(cl_pin_parse(hex, a), RG_OK);
  assert_int_equal(a[0], 0x13);
  assert_int_equal(a[31], 0xc4);
  assert_int_equal(cl_pin_parse(colons, b), RG_OK);
  assert_memory_equal(a, b, 32);
  snprintf(prefixed, sizeof prefixed, "sha-256 %s", colons);
  assert_int_equal(cl_pin_parse(prefixed, b), RG_OK);
  assert_memory_equal(a, b, 32);
  assert_int_equal(cl_pin_parse("1362", b), RG_ERR_MALFORMED);
  assert_int_equal(cl_pin_parse("zz629C188C8D5F2CA5C18D8FED7D4BCA133A10ACC0AB47C31F377770819520C4", b),
                   RG_ERR_MALFORMED);
}

/* The offer the client builds passes the WebRTC check and reads back with
 * its transport, SSRC and codec order. */
static void built_offer_reads_back(void **state)
{
  struct rg_fingerprint fp;
  struct rg_addr addr;
  struct cl_local_media lm;
  struct cl_remote_media rm;
  char *sdp = NULL, err[128];
  (void)state;
  memset(&fp, 0, sizeof fp);
  fp.hash = RG_HASH_SHA256;
  fp.len = 32;
  for (int i = 0; i < 32; i++)
    fp.value[i] = (uint8_t)i;
  assert_int_equal(rg_addr_parse_ip(&addr, "127.0.0.1", 9, 40000), RG_OK);
  memset(&lm, 0, sizeof lm);
  lm.ufrag = "abcdEFGH";
  lm.pwd = "0123456789abcdefghijklmn";
  lm.fp = &fp;
  lm.setup = RG_SDP_SETUP_ACTPASS;
  lm.addr = &addr;
  lm.ip = "127.0.0.1";
  lm.ssrc = 0x11223344u;
  lm.cname = "alice";
  lm.msid_stream = "rtcgate";
  lm.msid_track = "audio-x";
  lm.codec_first = RG_CLIENT_CODEC_PCMU;
  lm.both_codecs = true;
  lm.mid = "0";
  assert_int_equal(cl_sdp_build(&lm, &sdp, err, sizeof err), RG_OK);
  assert_non_null(strstr(sdp, "m=audio 40000 UDP/TLS/RTP/SAVPF 0 111\r\n"));
  assert_non_null(strstr(sdp, "a=group:BUNDLE 0\r\n"));
  assert_non_null(strstr(sdp, "a=rtcp-mux\r\n"));
  assert_non_null(strstr(sdp, "a=msid:rtcgate audio-x\r\n"));
  assert_int_equal(cl_sdp_read(sdp, strlen(sdp), &rm, err, sizeof err), RG_OK);
  assert_string_equal(rm.ufrag, "abcdEFGH");
  assert_string_equal(rm.pwd, "0123456789abcdefghijklmn");
  assert_int_equal(rm.n_fps, 1);
  assert_true(rg_fingerprint_equal(&rm.fps[0], &fp));
  assert_int_equal(rm.setup, RG_SDP_SETUP_ACTPASS);
  assert_int_equal(rm.cand.port, 40000);
  assert_int_equal(rm.n_ssrcs, 1);
  assert_int_equal(rm.ssrcs[0], 0x11223344u);
  assert_int_equal(rm.n_codecs, 2);
  assert_int_equal(rm.codecs[0], RG_CLIENT_CODEC_PCMU);
  assert_int_equal(rm.pts[0], 0);
  assert_int_equal(rm.codecs[1], RG_CLIENT_CODEC_OPUS);
  assert_int_equal(rm.pts[1], 111);
  free(sdp);
}

static void broker_sdp_without_fingerprint_is_refused(void **state)
{
  const char *sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n"
                    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\na=setup:active\r\na=rtcp-mux\r\n"
                    "a=rtpmap:111 opus/48000/2\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n";
  struct cl_remote_media rm;
  char err[128];
  (void)state;
  assert_int_not_equal(cl_sdp_read(sdp, strlen(sdp), &rm, err, sizeof err), RG_OK);
  assert_non_null(strstr(err, "refused"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accept_key_matches_rfc6455_section_1_3),
      cmocka_unit_test(masked_hello_matches_rfc6455_section_5_7),
      cmocka_unit_test(unmasked_frames_of_rfc6455_section_5_7_parse),
      cmocka_unit_test(parse_waits_for_the_whole_frame),
      cmocka_unit_test(extended_lengths_parse),
      cmocka_unit_test(parse_refuses_what_a_server_must_not_send),
      cmocka_unit_test(reader_reassembles_fragments_around_a_ping),
      cmocka_unit_test(reader_refuses_bad_fragmentation),
      cmocka_unit_test(reader_caps_a_message_across_fragments),
      cmocka_unit_test(reader_reads_close_code_and_reason),
      cmocka_unit_test(reader_refuses_bad_close_frames),
      cmocka_unit_test(url_parse_takes_tls_urls_only),
      cmocka_unit_test(pin_parse_takes_64_hex_digits),
      cmocka_unit_test(built_offer_reads_back),
      cmocka_unit_test(broker_sdp_without_fingerprint_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
