/* Fuzzes the STUN parser, the integrity and fingerprint checks, and both ICE
 * agents' receive paths. The lite agent holds the RFC 5769 §2.1 credentials,
 * so the seed vector is a valid check and the answering path is reached.
 * The input is also read as loose (type, length, value) records that are
 * written into a request signed with the right password, so the paths behind
 * authentication (420, nomination, role conflict) are fuzzed too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtcgate/ice.h"
#include "rtcgate/stun.h"

static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void drain_lite(struct rg_ice_lite *a)
{
  uint8_t buf[RG_ICE_MAX_DATAGRAM];
  struct rg_ice_output o;
  for (int i = 0; i < 32; i++)
    if (rg_ice_lite_poll(a, &o, buf, sizeof buf) != 0 || o.kind == RG_ICE_OUT_NONE)
      break;
}

static void drain_agent(struct rg_ice_agent *a)
{
  uint8_t buf[RG_ICE_MAX_DATAGRAM];
  struct rg_ice_output o;
  for (int i = 0; i < 32; i++)
    if (rg_ice_agent_poll(a, &o, buf, sizeof buf) != 0 || o.kind == RG_ICE_OUT_NONE)
      break;
}

/* Records: 2-byte type, 1-byte length, value; whatever is left is dropped. */
static size_t signed_request(uint8_t *out, size_t cap, const uint8_t *data, size_t size)
{
  static const uint8_t tid[RG_STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  struct rg_stun_writer w;
  size_t len = 0;
  rg_stun_writer_init(&w, out, cap, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, tid);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, "evtj:h6vY", 9);
  for (size_t i = 0; i + 3 <= size;) {
    uint16_t type = (uint16_t)(data[i] << 8 | data[i + 1]);
    size_t n = data[i + 2];
    i += 3;
    if (n > size - i)
      n = size - i;
    rg_stun_write_attr(&w, type, data + i, n);
    i += n;
  }
  rg_stun_write_integrity(&w, (const uint8_t *)pwd, sizeof pwd - 1);
  rg_stun_write_fingerprint(&w);
  return rg_stun_writer_finish(&w, &len) == 0 ? len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint8_t req[RG_STUN_MAX_MESSAGE];
  size_t req_len = signed_request(req, sizeof req, data, size);
  struct rg_stun_msg m;
  if (rg_stun_parse(&m, data, size) == 0) {
    const uint8_t *v;
    size_t n;
    rg_stun_check_fingerprint(&m);
    rg_stun_check_integrity(&m, (const uint8_t *)pwd, sizeof pwd - 1);
    rg_stun_find(&m, RG_STUN_ATTR_REALM, &v, &n);
  }

  struct rg_addr from = {.family = RG_AF_INET4, .port = 5000, .ip = {192, 0, 2, 1}};
  struct rg_ice_credentials cr = {"evtj", 4, pwd, sizeof pwd - 1, "h6vY", 4, pwd, sizeof pwd - 1};
  struct rg_ice_lite lite;
  struct rg_ice_lite_config lc = {cr, false, 0};
  if (rg_ice_lite_init(&lite, &lc) == 0) {
    rg_ice_lite_handle_stun(&lite, 1, &from, data, size);
    rg_ice_lite_handle_stun(&lite, 2, &from, data, size);
    drain_lite(&lite);
    if (req_len)
      rg_ice_lite_handle_stun(&lite, 3, &from, req, req_len);
    drain_lite(&lite);
    rg_ice_lite_handle_timeout(&lite, 40000000);
    drain_lite(&lite);
    rg_ice_lite_cleanup(&lite);
  }

  struct rg_ice_agent agent;
  struct rg_ice_candidate cand = {from, 1};
  struct rg_ice_agent_config ac = {cr, &cand, 1, 5, 0, true, 1, false, 0};
  if (rg_ice_agent_init(&agent, &ac, 0) == 0) {
    rg_ice_agent_handle_timeout(&agent, 0);
    drain_agent(&agent);
    rg_ice_agent_handle_stun(&agent, 1, &from, data, size);
    drain_agent(&agent);
    if (req_len) /* signed with the agent's local password: it answers */
      rg_ice_agent_handle_stun(&agent, 2, &from, req, req_len);
    drain_agent(&agent);
    rg_ice_agent_cleanup(&agent);
  }
  return 0;
}
