/* Fuzzes the media parsers on arbitrary bytes: demux, RTP parse + RFC 8285
 * extension iteration + in-place rewrite, RTCP compound walk + SR/RR/NACK/REMB
 * decoding, and the SSRC policy on both paths. Any input must end in a parse,
 * an error or a counted drop. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtcgate/demux.h"
#include "rtcgate/rtcp.h"
#include "rtcgate/rtp.h"
#include "rtcgate/ssrc_policy.h"

#define FUZZ_MAX_LEN 4096

static void fuzz_rtp(const uint8_t *data, size_t size, struct rg_ssrc_policy *pol)
{
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  uint8_t copy[FUZZ_MAX_LEN];
  volatile uint32_t sink = 0;

  if (rg_rtp_parse(data, size, &v) == 0) {
    if (v.header_len + v.payload_len + v.padding_len != size)
      __builtin_trap();
    for (unsigned i = 0; i < v.csrc_count; i++)
      sink ^= rg_rtp_csrc(&v, i);
    if (rg_rtp_ext_iter_init(&it, &v) == 0) {
      while (rg_rtp_ext_next(&it, &e) == 1) {
        if (e.data < v.ext_data || e.data + e.len > v.ext_data + v.ext_len)
          __builtin_trap();
        for (unsigned k = 0; k < e.len; k++)
          sink ^= e.data[k];
      }
    }
    (void)rg_rtp_ext_find(&v, data[size - 1], &e);
    /* learn the SSRC, so the accept path is reached as well */
    (void)rg_ssrc_policy_add(pol, v.ssrc, RG_MEDIA_VIDEO, NULL, 0);
  }
  if (size <= sizeof copy) {
    memcpy(copy, data, size);
    (void)rg_rtp_set_ssrc(copy, size, 0x01020304u);
    (void)rg_rtp_set_seq(copy, size, 7);
    (void)rg_rtp_set_timestamp(copy, size, 9);
    (void)rg_rtp_set_payload_type(copy, size, size ? data[0] : 0);
    if (rg_rtp_parse(copy, size, &v) == 0 && v.ssrc != 0x01020304u)
      __builtin_trap();
  }
  (void)rg_ssrc_policy_check_rtp(pol, data, size);
  (void)sink;
}

static void fuzz_rtcp(const uint8_t *data, size_t size, struct rg_ssrc_policy *pol)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_summary s;
  struct rg_rtcp_sender_info si;
  struct rg_rtcp_report_block rb;
  struct rg_rtcp_remb remb;
  uint16_t pid, blp;
  volatile uint32_t sink = 0;
  int rc;

  rg_rtcp_iter_init(&it, data, size);
  while ((rc = rg_rtcp_iter_next(&it, &p)) == 1) {
    if (p.ptr < data || p.ptr + p.len > data + size || p.body_len + 4 > p.len)
      __builtin_trap();
    if (rg_rtcp_sr_sender_info(&p, &si) == 0)
      sink ^= si.packets;
    for (unsigned i = 0; i < p.count; i++)
      if (rg_rtcp_report_block(&p, i, &rb) == 0)
        sink ^= rb.jitter;
    for (unsigned i = 0; i < rg_rtcp_nack_count(&p); i++)
      if (rg_rtcp_nack_item(&p, i, &pid, &blp) == 0)
        sink ^= pid;
    if (rg_rtcp_remb_parse(&p, &remb) == 0)
      for (unsigned i = 0; i < 4u * remb.n_ssrcs; i++)
        sink ^= remb.ssrcs[i];
    if (p.has_sender)
      (void)rg_ssrc_policy_add_rtcp_sender(pol, p.sender_ssrc);
  }
  if ((rg_rtcp_walk(data, size, &s) == 0) != (rc == 0))
    __builtin_trap(); /* walk and iterator must agree */
  (void)rg_ssrc_policy_check_rtcp(pol, data, size);
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rg_ssrc_policy pol;
  rg_ssrc_policy_init(&pol);
  /* before ready: everything must be NOT_READY */
  if (rg_ssrc_policy_check_rtp(&pol, data, size) != RG_SSRC_DROP_NOT_READY)
    __builtin_trap();
  rg_ssrc_policy_set_ready(&pol, true);
  (void)rg_ssrc_policy_check_rtcp(&pol, data, size); /* empty list */
  (void)rg_demux_classify(data, size);
  fuzz_rtp(data, size, &pol);
  fuzz_rtcp(data, size, &pol);
  rg_ssrc_policy_record_drop(&pol, RG_SSRC_DROP_AUTH, size);
  rg_ssrc_policy_cleanup(&pol);
  return 0;
}
