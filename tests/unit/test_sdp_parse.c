/* SDP parser: grammar errors and limits come back as an error with the line
 * number and reason; unknown lines and attributes are kept; a=crypto can be
 * dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/sdp.h"
#include "test_sdp_util.h"

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" /* lines 1-4 */
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"             /* line 5 */

/* Parses text, expects failure with code at line and reason containing why. */
static void expect_error(const char *text, size_t len, int code, unsigned line, const char *why)
{
  struct rg_sdp *sdp = (struct rg_sdp *)0x1;
  struct rg_sdp_error err;
  int rc = rg_sdp_parse(text, len, 0, &sdp, &err);
  if (rc != code || err.line != line || !strstr(err.reason, why))
    fprintf(stderr, "got rc %d line %u reason '%s'\n", rc, err.line, err.reason);
  assert_int_equal(rc, code);
  assert_int_equal(err.code, code);
  assert_int_equal(err.line, line);
  assert_non_null(strstr(err.reason, why));
  assert_ptr_equal(sdp, (struct rg_sdp *)0x1); /* out-parameter untouched */
}

static void expect_malformed(const char *text, unsigned line, const char *why)
{
  expect_error(text, strlen(text), RG_ERR_MALFORMED, line, why);
}

static struct rg_sdp *parse_ok(const char *text)
{
  struct rg_sdp *sdp;
  struct rg_sdp_error err;
  int rc = rg_sdp_parse(text, strlen(text), 0, &sdp, &err);
  if (rc)
    fprintf(stderr, "line %u: %s\n", err.line, err.reason);
  assert_int_equal(rc, RG_OK);
  return sdp;
}

/* Writes sdp into a malloc'd string. */
static char *write_str(const struct rg_sdp *sdp)
{
  size_t n = rg_sdp_write_len(sdp), got;
  char *s = malloc(n + 1);
  assert_int_equal(rg_sdp_write(sdp, s, n + 1, &got), RG_OK);
  assert_int_equal(got, n);
  return s;
}

static void parse_rejects_bad_structure_with_line_numbers(void **state)
{
  expect_malformed("", 0, "empty SDP");
  expect_malformed("v=1\r\n", 1, "must start with v=0");
  expect_malformed("o=- 1 1 IN IP4 0.0.0.0\r\n", 1, "must start with v=0");
  expect_malformed("v=0\r\ns=-\r\nt=0 0\r\n" AUDIO, 4, "missing o= line before m=");
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", 0, "missing t= line");
  expect_malformed(HEAD "o=- 1 1 IN IP4 0.0.0.0\r\n", 5, "duplicate o= line");
  expect_malformed(HEAD "garbage\r\n", 5, "expected <type>=<value>");
  expect_malformed(HEAD "x=1\r\n", 5, "unknown line type");
  expect_malformed(HEAD AUDIO "s=late\r\n", 6, "not allowed in a media section");
  expect_malformed(HEAD AUDIO "c=IN IP4\r\n", 6, "c= line needs 3 fields");
  expect_malformed(HEAD AUDIO "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", 7, "duplicate c= line");
  expect_malformed(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", 5, "without formats");
  expect_malformed(HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 0\r\n", 5, "bad m= port");
  expect_malformed("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", 2, "session id is not a number");
  expect_malformed("v=0\r\no=- 1 1 IN IP4\r\n", 2, "o= line needs 6 fields");
  expect_malformed(HEAD "b=AS\r\n", 5, "b= line needs <type>:<value>");
  expect_malformed(HEAD "a=mid:0\ra=x\r\n", 5, "CR or NUL inside a line");
  expect_error(HEAD "a=mid:0\0\r\n", sizeof(HEAD "a=mid:0\0\r\n") - 1, RG_ERR_MALFORMED, 5,
               "CR or NUL inside a line");
}

static void parse_rejects_malformed_known_attributes(void **state)
{
  expect_malformed(HEAD AUDIO "a=candidate:1 1 udp high 127.0.0.1 9 typ host\r\n", 6,
                   "bad a=candidate priority");
  expect_malformed(HEAD AUDIO "a=candidate:1 1 udp 1 127.0.0.1 9 host\r\n", 6, "without typ");
  expect_malformed(HEAD AUDIO "a=candidate:1 1 udp 1 127.0.0.1 9 typ srflx raddr 1.2.3.4\r\n", 6,
                   "raddr without rport");
  expect_malformed(HEAD AUDIO "a=rtpmap:111 opus\r\n", 6, "<encoding>/<clock rate>");
  expect_malformed(HEAD AUDIO "a=rtpmap:200 opus/48000\r\n", 6, "payload type");
  expect_malformed(HEAD AUDIO "a=fingerprint:sha-256 AB:CD\r\n", 6, "bad a=fingerprint value");
  expect_malformed(HEAD AUDIO "a=ssrc:123\r\n", 6, "a=ssrc without attribute");
  expect_malformed(HEAD AUDIO "a=ssrc:4294967296 cname:x\r\n", 6, "bad a=ssrc id");
  expect_malformed(HEAD AUDIO "a=ssrc-group:FID 1 x\r\n", 6, "bad a=ssrc-group id");
  expect_malformed(HEAD AUDIO "a=extmap:0 urn:x\r\n", 6, "bad a=extmap id");
  expect_malformed(HEAD AUDIO "a=extmap:1/sideways urn:x\r\n", 6, "bad a=extmap direction");
  expect_malformed(HEAD AUDIO "a=mid:0 1\r\n", 6, "bad a=mid");
  expect_malformed(HEAD AUDIO "a=mid\r\n", 6, "attribute needs a value");
  expect_malformed(HEAD AUDIO "a=:x\r\n", 6, "bad attribute name");
  expect_malformed(HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", 6, "without key parameters");
}

static void parse_keeps_unknown_attributes_and_lines_verbatim(void **state)
{
  const char *text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=a session\r\ni=info\r\n"
                     "c=IN IP4 0.0.0.0\r\nb=AS:100\r\nt=0 0\r\nr=7d 1h 0 25h\r\n"
                     "a=flag\r\na=empty:\r\na=spaced: x  y\r\na=rtcp-mux:odd\r\n"
                     "m=audio 9/2 UDP/TLS/RTP/SAVPF 0 8\r\ni=media info\r\nb=TIAS:64000\r\n"
                     "a=setup:sideways\r\na=fingerprint:md5 AB:CD\r\n";
  struct rg_sdp *sdp = parse_ok(text);
  char *out = write_str(sdp);
  assert_string_equal(out, text);
  const struct rg_sdp_attr *a = rg_sdp_attr_find_name(&sdp->attrs, "flag");
  assert_null(a->value);
  assert_string_equal(rg_sdp_attr_find_name(&sdp->attrs, "empty")->value, "");
  assert_string_equal(rg_sdp_attr_find_name(&sdp->attrs, "spaced")->value, " x  y");
  /* A known flag written with a value is not the flag. */
  assert_null(rg_sdp_attr_find(&sdp->attrs, RG_SDP_ATTR_RTCP_MUX, NULL));
  assert_string_equal(rg_sdp_attr_find_name(&sdp->attrs, "rtcp-mux")->value, "odd");
  assert_int_equal(sdp->n_bandwidths, 1);
  assert_string_equal(sdp->bandwidths[0].type, "AS");
  assert_int_equal(sdp->bandwidths[0].value, 100);
  assert_int_equal(sdp->media[0]->port_count, 2);
  assert_int_equal(sdp->media[0]->bandwidths[0].value, 64000);
  /* Unknown setup and md5 fingerprints are kept for the check to name. */
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_SETUP, NULL);
  assert_int_equal(a->u.setup, RG_SDP_SETUP_UNKNOWN);
  assert_string_equal(a->value, "sideways");
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_FINGERPRINT, NULL);
  assert_int_equal(a->u.fingerprint.hash, RG_HASH_NONE);
  assert_string_equal(a->value, "md5 AB:CD");
  free(out);
  rg_sdp_free(sdp);
}

static void parse_normalizes_then_writes_a_fixed_point(void **state)
{
  /* Runs of spaces, leading zeros, lower-case hex and a missing final line
   * end are read; the written form is canonical and parses to itself. */
  const char *text =
    HEAD AUDIO "a=candidate:1  1 UDP 0002122260223 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport 0\n"
               "a=candidate:2 1 udp 1 abcd.local 9 typ host\n"
               "a=fingerprint:sha-1 ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01";
  struct rg_sdp *sdp = parse_ok(text);
  char *out = write_str(sdp);
  assert_non_null(strstr(out, "a=candidate:1 1 UDP 2122260223 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport 0\r\n"));
  assert_non_null(strstr(out, "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01\r\n"));
  const struct rg_sdp_attr *a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_CANDIDATE, NULL);
  assert_string_equal(a->u.candidate.type, "srflx");
  assert_string_equal(a->u.candidate.raddr, "0.0.0.0");
  assert_int_equal(a->u.candidate.rport, 0);
  assert_null(a->u.candidate.rest);
  a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_CANDIDATE, a);
  assert_int_equal(a->u.candidate.addr.family, RG_AF_NONE); /* mDNS name */
  struct rg_sdp *again = parse_ok(out);
  char *out2 = write_str(again);
  assert_string_equal(out, out2);
  free(out);
  free(out2);
  rg_sdp_free(again);
  rg_sdp_free(sdp);
}

static void parse_refuses_input_over_the_size_limit(void **state)
{
  size_t n = RG_SDP_MAX_SIZE + 1;
  char *big = malloc(n);
  memset(big, 'a', n);
  expect_error(big, n, RG_ERR_TOO_LARGE, 0, "larger than");
  free(big);
}

/* HEAD AUDIO then "a=x:" + fill bytes of value on line 6. */
static char *with_long_line(size_t value_len)
{
  size_t head = strlen(HEAD AUDIO "a=x:");
  char *t = malloc(head + value_len + 3);
  memcpy(t, HEAD AUDIO "a=x:", head);
  memset(t + head, 'v', value_len);
  memcpy(t + head + value_len, "\r\n", 3);
  return t;
}

static void parse_refuses_line_over_the_line_limit(void **state)
{
  char *ok = with_long_line(RG_SDP_MAX_LINE - 4); /* "a=x:" + value = limit */
  struct rg_sdp *sdp = parse_ok(ok);
  rg_sdp_free(sdp);
  char *bad = with_long_line(RG_SDP_MAX_LINE - 3);
  expect_error(bad, strlen(bad), RG_ERR_TOO_LARGE, 6, "line too long");
  free(ok);
  free(bad);
}

static void parse_refuses_token_over_the_token_limit(void **state)
{
  char text[1024];
  char tok[RG_SDP_MAX_TOKEN + 2];
  memset(tok, 'u', sizeof tok - 1);
  tok[sizeof tok - 1] = '\0';
  snprintf(text, sizeof text, HEAD AUDIO "a=ice-ufrag:%s\r\n", tok);
  expect_error(text, strlen(text), RG_ERR_TOO_LARGE, 6, "token too long");
}

/* n copies of line after HEAD (and AUDIO when in_media). */
static char *repeat(const char *line, size_t n, bool in_media)
{
  size_t l = strlen(line), h = strlen(HEAD AUDIO);
  char *t = malloc(h + n * l + 1), *w = t;
  size_t hl = in_media ? h : strlen(HEAD);
  memcpy(w, in_media ? HEAD AUDIO : HEAD, hl);
  w += hl;
  for (size_t i = 0; i < n; i++, w += l)
    memcpy(w, line, l);
  *w = '\0';
  return t;
}

static void parse_refuses_more_m_sections_than_the_limit(void **state)
{
  char *ok = repeat(AUDIO, RG_SDP_MAX_MEDIA, false);
  struct rg_sdp *sdp = parse_ok(ok);
  assert_int_equal(sdp->n_media, RG_SDP_MAX_MEDIA);
  rg_sdp_free(sdp);
  char *bad = repeat(AUDIO, RG_SDP_MAX_MEDIA + 1, false);
  expect_error(bad, strlen(bad), RG_ERR_TOO_LARGE, 4 + RG_SDP_MAX_MEDIA + 1, "too many m= sections");
  free(ok);
  free(bad);
}

static void parse_refuses_more_candidates_attributes_and_ssrcs_than_the_limits(void **state)
{
  char *t = repeat("a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n", RG_SDP_MAX_CANDIDATES + 1, true);
  expect_error(t, strlen(t), RG_ERR_TOO_LARGE, 5 + RG_SDP_MAX_CANDIDATES + 1, "too many a=candidate");
  free(t);
  t = repeat("a=x\r\n", RG_SDP_MAX_ATTRS + 1, true);
  expect_error(t, strlen(t), RG_ERR_TOO_LARGE, 5 + RG_SDP_MAX_ATTRS + 1, "too many attributes");
  free(t);
  /* Same SSRC many times is fine; one distinct id too many is not. */
  t = repeat("a=ssrc:7 cname:x\r\n", RG_SDP_MAX_SSRC_LINES, true);
  struct rg_sdp *sdp = parse_ok(t);
  assert_int_equal(sdp->media[0]->attrs.n_ssrcs, 1);
  rg_sdp_free(sdp);
  free(t);
  char text[4096] = HEAD AUDIO;
  for (unsigned i = 0; i <= RG_SDP_MAX_SSRCS; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "a=ssrc:%u cname:x\r\n", 1000 + i);
  expect_error(text, strlen(text), RG_ERR_TOO_LARGE, 5 + RG_SDP_MAX_SSRCS + 1, "too many SSRCs");
}

static const char crypto_sdp[] =
  HEAD "m=audio 9 RTP/SAVPF 0\r\n"
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
  "a=rtcp-mux\r\n"
  "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32\r\n";

static void parse_keeps_crypto_unless_asked_to_drop_it(void **state)
{
  struct rg_sdp *sdp = parse_ok(crypto_sdp);
  const struct rg_sdp_attr *a = rg_sdp_attr_find(&sdp->media[0]->attrs, RG_SDP_ATTR_CRYPTO, NULL);
  assert_int_equal(a->u.crypto.tag, 1);
  assert_string_equal(a->u.crypto.suite, "AES_CM_128_HMAC_SHA1_80");
  assert_string_equal(a->u.crypto.params, "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32");
  char *out = write_str(sdp);
  assert_string_equal(out, crypto_sdp);
  free(out);
  /* Dropped after parsing... */
  assert_int_equal(rg_sdp_drop_crypto(sdp), 2);
  assert_int_equal(sdp->media[0]->attrs.count[RG_SDP_ATTR_CRYPTO], 0);
  out = write_str(sdp);
  assert_null(strstr(out, "a=crypto"));
  assert_non_null(strstr(out, "a=rtcp-mux\r\n"));
  free(out);
  rg_sdp_free(sdp);
  /* ... or while parsing. */
  struct rg_sdp_error err;
  assert_int_equal(rg_sdp_parse(crypto_sdp, strlen(crypto_sdp), RG_SDP_PARSE_DROP_CRYPTO, &sdp, &err), RG_OK);
  assert_int_equal(sdp->media[0]->attrs.n, 1);
  out = write_str(sdp);
  assert_string_equal(out, HEAD "m=audio 9 RTP/SAVPF 0\r\na=rtcp-mux\r\n");
  free(out);
  rg_sdp_free(sdp);
  /* Dropped lines are not even read: a malformed one does not fail. */
  const char *bad = HEAD "m=audio 9 RTP/SAVPF 0\r\na=crypto:x\r\n";
  expect_malformed(bad, 6, "bad a=crypto tag");
  assert_int_equal(rg_sdp_parse(bad, strlen(bad), RG_SDP_PARSE_DROP_CRYPTO, &sdp, &err), RG_OK);
  assert_int_equal(sdp->media[0]->attrs.n, 0);
  rg_sdp_free(sdp);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_rejects_bad_structure_with_line_numbers),
    cmocka_unit_test(parse_rejects_malformed_known_attributes),
    cmocka_unit_test(parse_keeps_unknown_attributes_and_lines_verbatim),
    cmocka_unit_test(parse_normalizes_then_writes_a_fixed_point),
    cmocka_unit_test(parse_refuses_input_over_the_size_limit),
    cmocka_unit_test(parse_refuses_line_over_the_line_limit),
    cmocka_unit_test(parse_refuses_token_over_the_token_limit),
    cmocka_unit_test(parse_refuses_more_m_sections_than_the_limit),
    cmocka_unit_test(parse_refuses_more_candidates_attributes_and_ssrcs_than_the_limits),
    cmocka_unit_test(parse_keeps_crypto_unless_asked_to_drop_it),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
