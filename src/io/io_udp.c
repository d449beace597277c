/* UDP sockets and recvmmsg/sendmmsg batches (see io_udp.h). */
#include "io/io_udp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "rtcgate/error.h"

/* Bound on sendmmsg calls per flush: each call sends at least one datagram or
 * drops one, so the batch size is enough; this only guards the loop. */
#define TX_FLUSH_MAX_CALLS (2 * RG_UDP_BATCH)

int rg_udp_addr_to_sockaddr(const struct rg_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
  memset(ss, 0, sizeof *ss);
  if (a->family == RG_AF_INET4) {
    struct sockaddr_in *s = (struct sockaddr_in *)ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(a->port);
    memcpy(&s->sin_addr, a->ip, 4);
    *len = sizeof *s;
    return RG_OK;
  }
  if (a->family == RG_AF_INET6) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a->port);
    memcpy(&s->sin6_addr, a->ip, 16);
    *len = sizeof *s;
    return RG_OK;
  }
  return RG_ERR_INVAL;
}

int rg_udp_addr_from_sockaddr(struct rg_addr *a, const struct sockaddr *sa, socklen_t len)
{
  static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  struct rg_addr r;
  memset(&r, 0, sizeof r);
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
    r.family = RG_AF_INET4;
    r.port = ntohs(s->sin_port);
    memcpy(r.ip, &s->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
    r.port = ntohs(s->sin6_port);
    if (memcmp(&s->sin6_addr, v4mapped, sizeof v4mapped) == 0) {
      r.family = RG_AF_INET4;
      memcpy(r.ip, (const uint8_t *)&s->sin6_addr + 12, 4);
    } else {
      r.family = RG_AF_INET6;
      memcpy(r.ip, &s->sin6_addr, 16);
    }
  } else {
    return RG_ERR_UNSUPPORTED;
  }
  *a = r;
  return RG_OK;
}

int rg_udp_bind(const struct rg_addr *local, int *fd_out, struct rg_addr *bound)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, size = RG_UDP_SOCKBUF;
  struct rg_addr got;
  if (!local || !fd_out || rg_udp_addr_to_sockaddr(local, &ss, &len) < 0)
    return RG_ERR_INVAL;
  fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return RG_ERR_STATE;
  /* Bigger buffers absorb bursts (a video key frame) between wakeups. */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (ss.ss_family == AF_INET)
    rg_udp_set_dont_fragment(fd);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0)
    goto fail;
  len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 || rg_udp_addr_from_sockaddr(&got, (struct sockaddr *)&ss, len) < 0)
    goto fail;
  if (bound)
    *bound = got;
  *fd_out = fd;
  return RG_OK;
fail:
  close(fd);
  return RG_ERR_STATE;
}

int rg_udp_local_toward(const struct rg_addr *to, struct rg_addr *local)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, rc = RG_ERR_NOT_FOUND;
  if (!to || !local || rg_udp_addr_to_sockaddr(to, &ss, &len) < 0)
    return RG_ERR_INVAL;
  fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return RG_ERR_NOT_FOUND; /* no such family here (IPv6 disabled) */
  if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        rg_udp_addr_from_sockaddr(local, (struct sockaddr *)&ss, len) == RG_OK) {
      local->port = 0;
      rc = RG_OK;
    }
  }
  close(fd);
  return rc;
}

bool rg_udp_can_reach(const struct rg_addr *from, const struct rg_addr *to)
{
  struct sockaddr_storage ss, ts;
  socklen_t len, tlen;
  struct rg_addr src;
  bool ok = false;
  int fd;
  if (!from || !to || from->family != to->family)
    return false;
  src = *from;
  src.port = 0;
  if (rg_udp_addr_to_sockaddr(&src, &ss, &len) < 0 || rg_udp_addr_to_sockaddr(to, &ts, &tlen) < 0)
    return false;
  fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  ok = bind(fd, (struct sockaddr *)&ss, len) == 0 && connect(fd, (struct sockaddr *)&ts, tlen) == 0;
  close(fd);
  return ok;
}

void rg_udp_set_dont_fragment(int fd)
{
  int probe = IP_PMTUDISC_PROBE;
  (void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
}

size_t rg_udp_set_receive_buffer(int fd, size_t bytes, bool force)
{
  int size = bytes > (size_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)bytes;
  if (!force || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return rg_udp_receive_buffer(fd);
}

size_t rg_udp_receive_buffer(int fd)
{
  int size = 0;
  socklen_t len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) != 0 || size < 0)
    return 0;
  return (size_t)size;
}

uint64_t rg_udp_receive_drops(int fd)
{
  uint32_t mem[SK_MEMINFO_VARS];
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 || len < (SK_MEMINFO_DROPS + 1) * sizeof mem[0])
    return 0;
  return mem[SK_MEMINFO_DROPS];
}

int rg_udp_sendto(int fd, const uint8_t *data, size_t len, const struct rg_addr *to)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  if (rg_udp_addr_to_sockaddr(to, &ss, &sl) < 0)
    return RG_ERR_INVAL;
  if (sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl) < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? RG_ERR_AGAIN : RG_ERR_STATE;
  return RG_OK;
}

void rg_udp_rx_batch_init(struct rg_udp_rx_batch *b)
{
  memset(b, 0, sizeof *b - sizeof b->slots);
  for (size_t i = 0; i < RG_UDP_BATCH; i++) {
    b->iov[i].iov_base = b->slots[i];
    b->iov[i].iov_len = RG_UDP_DATAGRAM_MAX;
    b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
    b->msgs[i].msg_hdr.msg_iovlen = 1;
    b->pkt[i].data = b->slots[i];
  }
}

int rg_udp_recv_batch(int fd, struct rg_udp_rx_batch *b)
{
  int n;
  for (size_t i = 0; i < RG_UDP_BATCH; i++) {
    /* recvmmsg overwrites these; reset only what it changes. */
    b->msgs[i].msg_hdr.msg_name = &b->names[i];
    b->msgs[i].msg_hdr.msg_namelen = sizeof b->names[i];
    b->msgs[i].msg_hdr.msg_flags = 0;
  }
  b->n = 0;
  n = recvmmsg(fd, b->msgs, RG_UDP_BATCH, MSG_DONTWAIT, NULL);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : RG_ERR_STATE;
  for (int i = 0; i < n; i++) {
    struct rg_udp_rx *p = &b->pkt[i];
    p->len = b->msgs[i].msg_len;
    p->truncated = (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    if (rg_udp_addr_from_sockaddr(&p->from, (struct sockaddr *)&b->names[i], b->msgs[i].msg_hdr.msg_namelen) < 0)
      memset(&p->from, 0, sizeof p->from);
  }
  b->n = (size_t)n;
  return n;
}

void rg_udp_tx_batch_init(struct rg_udp_tx_batch *b)
{
  memset(b, 0, sizeof *b);
}

bool rg_udp_tx_add(struct rg_udp_tx_batch *b, const uint8_t *data, size_t len, const struct rg_addr *to)
{
  socklen_t sl;
  size_t i = b->n;
  if (i == RG_UDP_BATCH || rg_udp_addr_to_sockaddr(to, &b->names[i], &sl) < 0)
    return false;
  b->iov[i].iov_base = (void *)data;
  b->iov[i].iov_len = len;
  memset(&b->msgs[i], 0, sizeof b->msgs[i]);
  b->msgs[i].msg_hdr.msg_name = &b->names[i];
  b->msgs[i].msg_hdr.msg_namelen = sl;
  b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
  b->msgs[i].msg_hdr.msg_iovlen = 1;
  b->n++;
  return true;
}

size_t rg_udp_tx_flush(int fd, struct rg_udp_tx_batch *b, uint64_t *dropped)
{
  size_t off = 0, sent = 0;
  for (int calls = 0; off < b->n && calls < TX_FLUSH_MAX_CALLS; calls++) {
    int n = sendmmsg(fd, b->msgs + off, (unsigned)(b->n - off), MSG_DONTWAIT);
    if (n > 0) {
      off += (size_t)n;
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    /* The first datagram was refused: lose it (as the wire would) and go on. */
    off++;
    if (dropped)
      (*dropped)++;
  }
  if (dropped && off < b->n)
    *dropped += b->n - off;
  b->n = 0;
  return sent;
}
