/* librtcgate-client: one UDP socket for the many clients of a load run.
 *
 * Why: with a socket per simulated user, every packet costs the load
 * generator a sendto, an epoll event and a recvmmsg of its own, on a socket
 * whose buffers are cold (docs/benchmarks.md, "Relay": ~45 % of its core
 * was kernel time). The hub gives each client an address of its own on the
 * loopback net instead (127.64.0.0/10 + slot, all sharing the hub's port),
 * so the broker still sees one distinct transport address per user, and
 * moves every client's datagrams through one socket: sends are queued and go
 * out in sendmmsg batches with the client's source in IP_PKTINFO, receives
 * come in recvmmsg batches and go to the client their destination address
 * names.
 *
 * The socket is bound to the wildcard address (the only way to receive on
 * a whole address range) and to the loopback device (SO_BINDTODEVICE), so
 * nothing from another interface ever reaches it; a datagram for an address
 * no client holds is counted and dropped. IPv4 only: a loopback load run.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "core/rtp_bytes_internal.h"
#include "io/io_udp.h"
#include "rtcgate/demux.h"
#include "rtcgate/error.h"

#define HUB_NET 0x7f400001u       /* 127.64.0.1: the first client's address */
#define HUB_SLOTS_MAX ((1u << 22) - 1) /* 127.64.0.1 .. 127.127.255.255 */
#define HUB_SOCKBUF (32 * 1024 * 1024) /* every user's traffic shares it */
/* Below this the shared queue holds less than ~60 ms of 1,000 calls' traffic
 * (1,280 bytes of kernel memory per datagram): a socket per user is safer. */
#define HUB_SOCKBUF_MIN (4 * 1024 * 1024)
#define HUB_READ_ROUNDS 8         /* recvmmsg batches per read call: bounded work */

/* Room for one IP_PKTINFO control message, aligned for cmsghdr. */
union hub_cmsg {
  char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
  struct cmsghdr align;
};

struct cl_udp_hub {
  int fd;
  uint16_t port;
  uint32_t cap;               /* slots */
  struct rg_client **slots;   /* by address - HUB_NET */
  uint32_t free_hint;
  struct cl_udp_hub_stats st;
  /* queued sends */
  unsigned tx_n;
  struct mmsghdr tx_msgs[CL_HUB_BATCH];
  struct iovec tx_iov[CL_HUB_BATCH];
  struct sockaddr_in tx_dst[CL_HUB_BATCH];
  union hub_cmsg tx_ctl[CL_HUB_BATCH];
  uint8_t tx_buf[CL_HUB_BATCH][CL_DGRAM_MAX];
  /* one receive batch */
  struct mmsghdr rx_msgs[CL_HUB_BATCH];
  struct iovec rx_iov[CL_HUB_BATCH];
  struct sockaddr_storage rx_names[CL_HUB_BATCH];
  union hub_cmsg rx_ctl[CL_HUB_BATCH];
  uint8_t rx_buf[CL_HUB_BATCH][CL_DGRAM_MAX];
  /* Per datagram of the batch, taken once: whose it is (NULL: stray or
   * truncated) and, for SRTP/SRTCP, the SSRC the prefetch passes follow. */
  struct hub_rx_meta {
    struct rg_client *client;
    uint32_t ssrc;
    bool media, rtcp;
  } rx_meta[CL_HUB_BATCH];
};

static void set_bufs(int fd)
{
  int size = HUB_SOCKBUF;
  /* FORCE passes net.core.[rw]mem_max where permitted (CAP_NET_ADMIN). */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

int cl_udp_hub_new(struct cl_udp_hub **out, uint32_t clients, char *err, size_t err_cap)
{
  static const char lo[] = "lo";
  struct cl_udp_hub *h;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  int one = 1;
  if (clients == 0 || clients > HUB_SLOTS_MAX) {
    snprintf(err, err_cap, "a shared UDP socket carries 1..%u users", (unsigned)HUB_SLOTS_MAX);
    return RG_ERR_INVAL;
  }
  h = calloc(1, sizeof *h);
  if (!h || !(h->slots = calloc(clients, sizeof *h->slots))) {
    free(h);
    snprintf(err, err_cap, "out of memory");
    return RG_ERR_NOMEM;
  }
  h->cap = clients;
  h->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->fd < 0) {
    snprintf(err, err_cap, "socket: %s", strerror(errno));
    goto fail;
  }
  /* Loopback only, before the wildcard bind makes it reachable. */
  if (setsockopt(h->fd, SOL_SOCKET, SO_BINDTODEVICE, lo, sizeof lo) != 0) {
    snprintf(err, err_cap, "SO_BINDTODEVICE lo: %s", strerror(errno));
    goto fail;
  }
  if (setsockopt(h->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) {
    snprintf(err, err_cap, "IP_PKTINFO: %s", strerror(errno));
    goto fail;
  }
  set_bufs(h->fd);
  rg_udp_set_dont_fragment(h->fd);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(h->fd, (struct sockaddr *)&sin, sizeof sin) != 0 || getsockname(h->fd, (struct sockaddr *)&sin, &len) != 0) {
    snprintf(err, err_cap, "bind: %s", strerror(errno));
    goto fail;
  }
  h->port = ntohs(sin.sin_port);
  for (unsigned i = 0; i < CL_HUB_BATCH; i++) {
    h->rx_iov[i] = (struct iovec){h->rx_buf[i], sizeof h->rx_buf[i]};
    h->tx_iov[i].iov_base = h->tx_buf[i];
  }
  *out = h;
  return RG_OK;
fail:
  if (h->fd >= 0)
    close(h->fd);
  free(h->slots);
  free(h);
  return RG_ERR_STATE;
}

void cl_udp_hub_free(struct cl_udp_hub *h)
{
  if (!h)
    return;
  cl_udp_hub_flush(h);
  close(h->fd);
  free(h->slots);
  free(h);
}

int cl_udp_hub_fd(const struct cl_udp_hub *h)
{
  return h->fd;
}

bool cl_udp_hub_roomy(const struct cl_udp_hub *h)
{
  return rg_udp_receive_buffer(h->fd) >= 2 * (size_t)HUB_SOCKBUF_MIN;
}

void cl_udp_hub_get_stats(const struct cl_udp_hub *h, struct cl_udp_hub_stats *st)
{
  *st = h->st;
}

int cl_udp_hub_attach(struct cl_udp_hub *h, struct rg_client *c, struct rg_addr *local)
{
  for (uint32_t k = 0; k < h->cap; k++) {
    uint32_t i = (h->free_hint + k) % h->cap;
    uint32_t ip;
    if (h->slots[i])
      continue;
    h->slots[i] = c;
    h->free_hint = i + 1;
    c->hub = h;
    c->hub_slot = i;
    ip = HUB_NET + i;
    memset(local, 0, sizeof *local);
    local->family = RG_AF_INET4;
    local->port = h->port;
    local->ip[0] = (uint8_t)(ip >> 24);
    local->ip[1] = (uint8_t)(ip >> 16);
    local->ip[2] = (uint8_t)(ip >> 8);
    local->ip[3] = (uint8_t)ip;
    return RG_OK;
  }
  return RG_ERR_TOO_LARGE;
}

void cl_udp_hub_detach(struct cl_udp_hub *h, struct rg_client *c)
{
  if (c->hub_slot < h->cap && h->slots[c->hub_slot] == c)
    h->slots[c->hub_slot] = NULL;
  c->hub = NULL;
}

void cl_udp_hub_flush(struct cl_udp_hub *h)
{
  unsigned done = 0;
  /* Each round sends at least one datagram or drops the one that failed:
   * bounded by the batch size. */
  while (done < h->tx_n) {
    int n = sendmmsg(h->fd, h->tx_msgs + done, h->tx_n - done, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      h->st.tx_dropped++; /* socket buffer full (or an address refused): lost, as on the wire */
      done++;
      continue;
    }
    h->st.tx_sent += (uint64_t)n;
    done += (unsigned)n;
  }
  h->tx_n = 0;
}

int cl_udp_hub_send(struct cl_udp_hub *h, const struct rg_client *c, const uint8_t *data, size_t len,
                    const struct rg_addr *to)
{
  unsigned i;
  struct mmsghdr *m;
  struct cmsghdr *cm;
  struct in_pktinfo pi;
  uint32_t src = HUB_NET + c->hub_slot;
  if (to->family != RG_AF_INET4 || len > CL_DGRAM_MAX) {
    h->st.tx_dropped++;
    return RG_ERR_INVAL;
  }
  if (h->tx_n == CL_HUB_BATCH)
    cl_udp_hub_flush(h);
  i = h->tx_n++;
  memcpy(h->tx_buf[i], data, len);
  h->tx_iov[i].iov_len = len;
  memset(&h->tx_dst[i], 0, sizeof h->tx_dst[i]);
  h->tx_dst[i].sin_family = AF_INET;
  h->tx_dst[i].sin_port = htons(to->port);
  memcpy(&h->tx_dst[i].sin_addr, to->ip, 4);
  m = &h->tx_msgs[i];
  memset(m, 0, sizeof *m);
  m->msg_hdr.msg_name = &h->tx_dst[i];
  m->msg_hdr.msg_namelen = sizeof h->tx_dst[i];
  m->msg_hdr.msg_iov = &h->tx_iov[i];
  m->msg_hdr.msg_iovlen = 1;
  m->msg_hdr.msg_control = h->tx_ctl[i].buf;
  m->msg_hdr.msg_controllen = sizeof h->tx_ctl[i].buf;
  cm = CMSG_FIRSTHDR(&m->msg_hdr);
  cm->cmsg_level = IPPROTO_IP;
  cm->cmsg_type = IP_PKTINFO;
  cm->cmsg_len = CMSG_LEN(sizeof pi);
  memset(&pi, 0, sizeof pi);
  pi.ipi_spec_dst.s_addr = htonl(src); /* the client's own address as the source */
  memcpy(CMSG_DATA(cm), &pi, sizeof pi);
  return RG_OK;
}

/* The client a received datagram is for: its destination address, from
 * IP_PKTINFO. NULL for an address no client holds. */
static struct rg_client *addressee(struct cl_udp_hub *h, struct msghdr *mh)
{
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
    struct in_pktinfo pi;
    uint32_t i;
    if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO || cm->cmsg_len < CMSG_LEN(sizeof pi))
      continue;
    memcpy(&pi, CMSG_DATA(cm), sizeof pi);
    i = ntohl(pi.ipi_addr.s_addr) - HUB_NET; /* wraps to a huge slot below the net */
    return i < h->cap ? h->slots[i] : NULL;
  }
  return NULL;
}

void cl_udp_hub_read(struct cl_udp_hub *h, uint64_t now, cl_udp_hub_done_cb done, void *arg)
{
  for (int round = 0; round < HUB_READ_ROUNDS; round++) {
    int n;
    for (unsigned i = 0; i < CL_HUB_BATCH; i++) {
      struct msghdr *mh = &h->rx_msgs[i].msg_hdr;
      mh->msg_name = &h->rx_names[i];
      mh->msg_namelen = sizeof h->rx_names[i];
      mh->msg_iov = &h->rx_iov[i];
      mh->msg_iovlen = 1;
      mh->msg_control = h->rx_ctl[i].buf;
      mh->msg_controllen = sizeof h->rx_ctl[i].buf;
      mh->msg_flags = 0;
    }
    n = recvmmsg(h->fd, h->rx_msgs, CL_HUB_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    /* Whose each datagram is, taken once for the batch: no client is
     * detached while the batch is handled (only rg_client_free detaches,
     * never from inside a datagram's handling or the done callback). */
    for (int i = 0; i < n; i++) {
      struct msghdr *mh = &h->rx_msgs[i].msg_hdr;
      struct hub_rx_meta *m = &h->rx_meta[i];
      enum rg_demux_kind k = rg_demux_classify(h->rx_buf[i], h->rx_msgs[i].msg_len);
      m->client = (mh->msg_flags & MSG_TRUNC) ? NULL : addressee(h, mh);
      m->rtcp = k == RG_DEMUX_RTCP;
      m->media = (k == RG_DEMUX_RTP || m->rtcp) && h->rx_msgs[i].msg_len >= 12;
      m->ssrc = m->media ? rg_be32(h->rx_buf[i] + (m->rtcp ? 4 : 8)) : 0;
    }
    for (int stage = 0; stage < CL_CLIENT_PREFETCH_STAGES; stage++)
      for (int i = 0; i < n; i++) {
        const struct hub_rx_meta *m = &h->rx_meta[i];
        if (m->client && (stage == 0 || m->media))
          cl_client_prefetch(m->client, stage, true, m->ssrc, m->rtcp);
      }
    for (int i = 0; i < n; i++) {
      struct msghdr *mh = &h->rx_msgs[i].msg_hdr;
      struct rg_client *c = h->rx_meta[i].client;
      struct rg_addr from;
      if (!c ||
          rg_udp_addr_from_sockaddr(&from, (struct sockaddr *)&h->rx_names[i], mh->msg_namelen) != RG_OK) {
        h->st.rx_stray++;
        continue;
      }
      h->st.rx_delivered++;
      if (cl_process_datagram(c, now, &from, h->rx_buf[i], h->rx_msgs[i].msg_len) && done)
        done(arg, c);
    }
    if (n < CL_HUB_BATCH)
      return; /* drained */
  }
}
