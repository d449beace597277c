/* rtcgate — UDP sockets for the media plane: bind, addresses, and batches
 * (recvmmsg / sendmmsg).
 *
 * Batches are fixed structs with embedded buffers: one recvmmsg per wakeup
 * fills up to RG_UDP_BATCH datagrams, each in a slot with RG_UDP_TRAILER_ROOM
 * spare bytes after the largest datagram accepted, so SRTP can re-protect a
 * packet in place (its tag may be longer than the one removed). A send batch
 * only points at data (no copy): its entries must stay valid until flushed.
 */
#ifndef RTCGATE_IO_UDP_H
#define RTCGATE_IO_UDP_H

/* struct mmsghdr needs _GNU_SOURCE before any libc header; the build defines
 * it for every file (cmake/flags.cmake). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "rtcgate/addr.h"

#define RG_UDP_BATCH 32              /* datagrams per recvmmsg / sendmmsg */
#define RG_UDP_DATAGRAM_MAX 2048     /* larger datagrams are truncated by the kernel and dropped */
#define RG_UDP_TRAILER_ROOM 64       /* SRTP/SRTCP tag + index growth on re-protect */
#define RG_UDP_SLOT (RG_UDP_DATAGRAM_MAX + RG_UDP_TRAILER_ROOM)
#define RG_UDP_SOCKBUF (4 * 1024 * 1024) /* SO_RCVBUF/SO_SNDBUF asked for (the kernel may cap it) */

/* struct rg_addr <-> struct sockaddr (IPv4 and IPv6; v4-mapped v6 becomes v4). */
int rg_udp_addr_to_sockaddr(const struct rg_addr *a, struct sockaddr_storage *ss, socklen_t *len);
int rg_udp_addr_from_sockaddr(struct rg_addr *a, const struct sockaddr *sa, socklen_t len);

/* A non-blocking, close-on-exec UDP socket bound to local (port 0: the kernel
 * picks); *bound gets the address actually bound. */
int rg_udp_bind(const struct rg_addr *local, int *fd_out, struct rg_addr *bound);
/* The local address (port 0) the kernel would send from toward `to`: its
 * route and source-address choice, as connect() on a UDP socket makes it;
 * nothing is sent. RG_ERR_NOT_FOUND when there is no route. */
int rg_udp_local_toward(const struct rg_addr *to, struct rg_addr *local);
/* Whether a socket bound on from's address can send to `to`: a scratch
 * socket is bound there (port 0) and connect()ed, which fails when the
 * families differ, the address is no longer this host's, or the kernel has
 * no way from it to `to` (loopback toward another host). Nothing is sent. */
bool rg_udp_can_reach(const struct rg_addr *from, const struct rg_addr *to);
/* One datagram; returns RG_OK, RG_ERR_AGAIN when the socket buffer is full
 * (the datagram is lost, as on the wire), or RG_ERR_STATE for other errors. */
int rg_udp_sendto(int fd, const uint8_t *data, size_t len, const struct rg_addr *to);
/* IPv4: every datagram leaves with DF set and is never fragmented here
 * (IP_PMTUDISC_PROBE). Media is sized for the path by its sender (RTP
 * packets stay under ~1,200 bytes, DTLS fragments its flights), so a relay
 * has nothing to fragment; and the kernel then needs no IP ID for the
 * datagram, which otherwise costs a keyed hash and an atomic on a table
 * shared by every core (~3 % of the broker's CPU at 100 k packets/s). PROBE
 * rather than DO: path MTU figures learnt from ICMP, which anyone can
 * forge, never make a send fail. The price: a datagram larger than the
 * outgoing interface's MTU fails (EMSGSIZE, counted as a send error) instead
 * of leaving in fragments; the broker accepts datagrams up to 2,048 bytes, so
 * on a 1,500-byte link a peer sending 1,473-2,048-byte packets loses them.
 * rg_udp_bind sets it on IPv4 sockets. */
void rg_udp_set_dont_fragment(int fd);
/* The receive buffer the kernel granted, in its own accounting (Linux
 * doubles what was asked, up to twice net.core.rmem_max); 0 when unknown. */
size_t rg_udp_receive_buffer(int fd);
/* Asks for a receive buffer of `bytes` (the kernel doubles it for its own
 * bookkeeping); net.core.rmem_max caps it, except with force where the
 * process may exceed the cap (CAP_NET_ADMIN: SO_RCVBUFFORCE). Returns what
 * the socket got, as rg_udp_receive_buffer. */
size_t rg_udp_set_receive_buffer(int fd, size_t bytes, bool force);
/* Datagrams the kernel dropped on arrival at this socket since it was opened,
 * mostly because its receive buffer was full (SO_MEMINFO's drop count);
 * 0 where the kernel cannot say. */
uint64_t rg_udp_receive_drops(int fd);

struct rg_udp_rx {
  uint8_t *data; /* into the batch's slot; RG_UDP_SLOT bytes of room */
  size_t len;
  bool truncated; /* larger than RG_UDP_DATAGRAM_MAX: drop it */
  struct rg_addr from;
};

struct rg_udp_rx_batch {
  size_t n;
  struct rg_udp_rx pkt[RG_UDP_BATCH];
  struct mmsghdr msgs[RG_UDP_BATCH];
  struct iovec iov[RG_UDP_BATCH];
  struct sockaddr_storage names[RG_UDP_BATCH];
  uint8_t slots[RG_UDP_BATCH][RG_UDP_SLOT];
};

void rg_udp_rx_batch_init(struct rg_udp_rx_batch *b);
/* One recvmmsg (non-blocking): returns how many datagrams arrived (0 when
 * none), or RG_ERR_STATE. */
int rg_udp_recv_batch(int fd, struct rg_udp_rx_batch *b);

struct rg_udp_tx_batch {
  size_t n;
  struct mmsghdr msgs[RG_UDP_BATCH];
  struct iovec iov[RG_UDP_BATCH];
  struct sockaddr_storage names[RG_UDP_BATCH];
};

void rg_udp_tx_batch_init(struct rg_udp_tx_batch *b);
/* Queues a datagram (data is referenced, not copied). false when full. */
bool rg_udp_tx_add(struct rg_udp_tx_batch *b, const uint8_t *data, size_t len, const struct rg_addr *to);
/* sendmmsg until the batch is empty; datagrams the kernel refuses (buffer
 * full, unreachable) are lost like on the wire and added to *dropped.
 * Returns how many were sent. The batch is empty afterwards. */
size_t rg_udp_tx_flush(int fd, struct rg_udp_tx_batch *b, uint64_t *dropped);

#endif
