/* Minimal caller on librtcgate-client, in event-loop mode: the client's one
 * descriptor goes into poll() next to whatever else the program waits on.
 *
 *   ./caller wss://127.0.0.1:8443 TOKEN bob [SHA256-PIN-OF-SERVER-CERT]
 *
 * Calls bob, sends a 440 Hz tone for 5 seconds, hangs up, prints the stats.
 * Without a pin the server certificate must chain to a system CA.
 */
#include <poll.h>
#include <stdio.h>

#include <rtcgate/client.h>

struct state {
  struct rg_client *c;
  const char *to;
  int done;
  uint64_t secured_at;
};

static void on_event(void *user, const struct rg_client_event *ev)
{
  struct state *s = user;
  switch (ev->type) {
  case RG_CLIENT_EV_READY:
    printf("connected as %s, calling %s\n", ev->peer, s->to);
    if (rg_client_call(s->c, s->to, NULL, 0) != 0)
      s->done = 1;
    break;
  case RG_CLIENT_EV_SECURED:
    printf("secured: %s %s %s\n", ev->dtls_version, ev->dtls_cipher, ev->srtp_profile);
    s->secured_at = rg_client_now_us();
    break;
  case RG_CLIENT_EV_HANGUP:
    printf("hangup: %s\n", ev->reason);
    s->done = 1;
    break;
  case RG_CLIENT_EV_CLOSED:
    printf("closed: %s\n", ev->reason);
    s->done = 1;
    break;
  case RG_CLIENT_EV_AUDIO: /* ev->pcm, ev->n_samples at ev->rate: play it */
  default:
    break;
  }
}

int main(int argc, char **argv)
{
  struct state s = {0};
  struct rg_client_config cfg = {0};
  struct rg_client_stats st;
  if (argc < 4) {
    fprintf(stderr, "usage: %s wss://HOST:PORT TOKEN CALLEE [PIN]\n", argv[0]);
    return 2;
  }
  s.to = argv[3];
  cfg.server = argv[1];
  cfg.token = argv[2];
  if (argc > 4) {
    cfg.tls.verify = RG_CLIENT_VERIFY_PIN;
    cfg.tls.pin_sha256 = argv[4];
  }
  cfg.tone_hz = 440;
  cfg.on_event = on_event;
  cfg.user = &s;
  if (rg_client_new(&s.c, &cfg) != 0) {
    fprintf(stderr, "cannot start the client\n");
    return 1;
  }
  while (!s.done) {
    struct pollfd p = {.fd = rg_client_fd(s.c), .events = POLLIN};
    poll(&p, 1, 100); /* the fd also wakes for the client's own timers */
    rg_client_process(s.c, rg_client_now_us());
    if (s.secured_at && rg_client_now_us() - s.secured_at > 5000000u && rg_client_in_call(s.c))
      rg_client_hangup(s.c);
  }
  rg_client_get_stats(s.c, &st);
  printf("sent %llu, received %llu, lost %lld, jitter %.2f ms\n", (unsigned long long)st.packets_sent,
         (unsigned long long)st.packets_received, (long long)st.packets_lost, st.jitter_ms);
  rg_client_free(s.c);
  return 0;
}
