/* Minimal answerer on librtcgate-client, in thread mode: the SDK runs its own
 * loop on a thread and calls back; the main thread just waits.
 *
 *   ./answerer wss://127.0.0.1:8443 TOKEN OUT.wav [SHA256-PIN-OF-SERVER-CERT]
 *
 * Answers the first incoming call, records it into OUT.wav, and exits when
 * the caller hangs up.
 */
#include <pthread.h>
#include <stdio.h>

#include <rtcgate/client.h>

struct state {
  struct rg_client *c;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
};

static void finish(struct state *s)
{
  pthread_mutex_lock(&s->mu);
  s->done = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Runs on the client's thread; the API may be called from here. */
static void on_event(void *user, const struct rg_client_event *ev)
{
  struct state *s = user;
  switch (ev->type) {
  case RG_CLIENT_EV_READY:
    printf("waiting for calls as %s\n", ev->peer);
    break;
  case RG_CLIENT_EV_INCOMING:
    printf("call from %s, answering\n", ev->peer);
    if (rg_client_answer(s->c, ev->call_id) != 0)
      finish(s);
    break;
  case RG_CLIENT_EV_SECURED:
    printf("secured: %s %s %s\n", ev->dtls_version, ev->dtls_cipher, ev->srtp_profile);
    break;
  case RG_CLIENT_EV_HANGUP:
    printf("hangup: %s\n", ev->reason);
    finish(s);
    break;
  case RG_CLIENT_EV_CLOSED:
    printf("closed: %s\n", ev->reason);
    finish(s);
    break;
  default:
    break;
  }
  fflush(stdout);
}

int main(int argc, char **argv)
{
  struct state s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  struct rg_client_config cfg = {0};
  if (argc < 4) {
    fprintf(stderr, "usage: %s wss://HOST:PORT TOKEN OUT.wav [PIN]\n", argv[0]);
    return 2;
  }
  cfg.server = argv[1];
  cfg.token = argv[2];
  cfg.record_wav = argv[3];
  if (argc > 4) {
    cfg.tls.verify = RG_CLIENT_VERIFY_PIN;
    cfg.tls.pin_sha256 = argv[4];
  }
  cfg.on_event = on_event;
  cfg.user = &s;
  if (rg_client_new(&s.c, &cfg) != 0 || rg_client_start_thread(s.c) != 0) {
    fprintf(stderr, "cannot start the client\n");
    return 1;
  }
  pthread_mutex_lock(&s.mu);
  while (!s.done)
    pthread_cond_wait(&s.cv, &s.mu);
  pthread_mutex_unlock(&s.mu);
  rg_client_free(s.c); /* stops the thread, closes the recording */
  return 0;
}
