/* rtcgate-call — a command-line softphone on librtcgate-client.
 *
 *   rtcgate-call --server wss://127.0.0.1:8443 --token T (call USER | wait)
 *                [--send FILE.wav | --tone HZ] [--record OUT.wav] [--duration S]
 *                [--codec opus|pcmu] [--ca FILE | --pin SHA256 | --insecure] [--media-ip IP]
 *
 * Prints one line per call event and a summary at the end. Exit status 0
 * when a call was secured and ended by a hangup, 1 otherwise, 2 on bad usage.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/client.h"
#include "rtcgate/error.h"

#define DEFAULT_SERVER "wss://127.0.0.1:8443"
#define DEFAULT_CALL_DURATION_S 10.0
#define POLL_MAX_MS 200

static volatile sig_atomic_t g_stop;

struct app {
  struct rg_client *c;
  const char *to; /* NULL: wait */
  double duration_s;
  bool secured, ended, closed;
  uint64_t t_secured;
  uint64_t audio_frames;
  char reason[RG_CLIENT_TEXT_MAX];
};

static void on_signal(int sig)
{
  (void)sig;
  g_stop = 1;
}

static void usage(FILE *f)
{
  fprintf(f, "usage: rtcgate-call --server wss://HOST:PORT --token T (call USER | wait)\n"
             "         [--send FILE.wav | --tone HZ] [--record OUT.wav] [--duration S]\n"
             "         [--codec opus|pcmu] [--ca FILE | --pin SHA256 | --insecure] [--media-ip IP]\n"
             "The token may also come from $RTCGATE_TOKEN.\n");
}

static void on_event(void *user, const struct rg_client_event *ev)
{
  struct app *a = user;
  const char *name = rg_client_event_name(ev->type);
  switch (ev->type) {
  case RG_CLIENT_EV_READY:
    printf("event: ready user=%s\n", ev->peer);
    if (a->to) {
      char id[RG_CLIENT_ID_MAX];
      int rc = rg_client_call(a->c, a->to, id, sizeof id);
      if (rc == RG_OK)
        printf("event: calling to=%s call_id=%s\n", a->to, id);
      else
        printf("event: error code=%s message=call failed to start\n", rg_err_name(rc));
    }
    break;
  case RG_CLIENT_EV_INCOMING:
    printf("event: incoming call_id=%s from=%s display_name=\"%s\"\n", ev->call_id, ev->peer,
           ev->display_name ? ev->display_name : "");
    break;
  case RG_CLIENT_EV_SECURED:
  case RG_CLIENT_EV_BROKER_SECURED:
    printf("event: %s call_id=%s dtls_version=\"%s\" dtls_cipher=%s srtp_profile=%s\n", name, ev->call_id,
           ev->dtls_version, ev->dtls_cipher, ev->srtp_profile);
    if (ev->type == RG_CLIENT_EV_SECURED) {
      a->secured = true;
      a->t_secured = rg_client_now_us();
    }
    break;
  case RG_CLIENT_EV_AUDIO:
    a->audio_frames++;
    return;
  case RG_CLIENT_EV_HANGUP:
    printf("event: hangup call_id=%s reason=%s by=%s\n", ev->call_id, ev->reason, ev->local ? "us" : "peer");
    snprintf(a->reason, sizeof a->reason, "%s", ev->reason);
    a->ended = true;
    break;
  case RG_CLIENT_EV_ERROR:
    printf("event: error call_id=%s code=%s message=\"%s\"\n", ev->call_id ? ev->call_id : "-", ev->reason,
           ev->message ? ev->message : "");
    break;
  case RG_CLIENT_EV_CLOSED:
    printf("event: closed reason=\"%s\"\n", ev->reason);
    a->closed = true;
    break;
  default:
    printf("event: %s call_id=%s\n", name, ev->call_id ? ev->call_id : "-");
    break;
  }
  fflush(stdout);
}

static void summary(const struct app *a)
{
  struct rg_client_stats st;
  rg_client_get_stats(a->c, &st);
  printf("summary: secured=%s codec=%s\n", st.secured ? "yes" : "no", st.codec[0] ? st.codec : "-");
  printf("summary: dtls_version=\"%s\" dtls_cipher=%s srtp_profile=%s\n", st.dtls_version[0] ? st.dtls_version : "-",
         st.dtls_cipher[0] ? st.dtls_cipher : "-", st.srtp_profile[0] ? st.srtp_profile : "-");
  printf("summary: packets_sent=%llu packets_received=%llu packets_lost=%lld jitter_ms=%.2f\n",
         (unsigned long long)st.packets_sent, (unsigned long long)st.packets_received, (long long)st.packets_lost,
         st.jitter_ms);
  printf("summary: rtcp_sent=%llu rtcp_received=%llu remote_lost=%lld remote_jitter_ms=%.2f rtt_ms=%.2f "
         "dropped=%llu setup_ms=%.1f\n",
         (unsigned long long)st.rtcp_sent, (unsigned long long)st.rtcp_received,
         (long long)st.remote_packets_lost, st.remote_jitter_ms, st.rtt_ms, (unsigned long long)st.packets_dropped,
         (double)st.setup_us / 1000.0);
  fflush(stdout);
}

int main(int argc, char **argv)
{
  struct rg_client_config cfg;
  struct app a;
  const char *mode = NULL;
  int rc, status = 1;
  bool have_duration = false;
  memset(&cfg, 0, sizeof cfg);
  memset(&a, 0, sizeof a);
  cfg.server = DEFAULT_SERVER;
  cfg.token = getenv("RTCGATE_TOKEN");
  cfg.codec = RG_CLIENT_CODEC_OPUS;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                                                     \
  do {                                                                                                                 \
    if (!v) {                                                                                                          \
      fprintf(stderr, "rtcgate-call: %s needs a value\n", o);                                                          \
      return 2;                                                                                                        \
    }                                                                                                                  \
    i++;                                                                                                               \
  } while (0)
    if (!strcmp(o, "--server")) {
      NEED_ARG();
      cfg.server = v;
    } else if (!strcmp(o, "--token")) {
      NEED_ARG();
      cfg.token = v;
    } else if (!strcmp(o, "--send")) {
      NEED_ARG();
      cfg.send_wav = v;
    } else if (!strcmp(o, "--tone")) {
      NEED_ARG();
      cfg.tone_hz = atof(v);
      if (cfg.tone_hz <= 0) {
        fprintf(stderr, "rtcgate-call: --tone needs a frequency in Hz\n");
        return 2;
      }
    } else if (!strcmp(o, "--record")) {
      NEED_ARG();
      cfg.record_wav = v;
    } else if (!strcmp(o, "--duration")) {
      NEED_ARG();
      a.duration_s = atof(v);
      have_duration = true;
    } else if (!strcmp(o, "--codec")) {
      NEED_ARG();
      if (!strcmp(v, "opus"))
        cfg.codec = RG_CLIENT_CODEC_OPUS;
      else if (!strcmp(v, "pcmu"))
        cfg.codec = RG_CLIENT_CODEC_PCMU;
      else {
        fprintf(stderr, "rtcgate-call: --codec is opus or pcmu\n");
        return 2;
      }
    } else if (!strcmp(o, "--ca")) {
      NEED_ARG();
      cfg.tls.verify = RG_CLIENT_VERIFY_CA_FILE;
      cfg.tls.ca_file = v;
    } else if (!strcmp(o, "--pin")) {
      NEED_ARG();
      cfg.tls.verify = RG_CLIENT_VERIFY_PIN;
      cfg.tls.pin_sha256 = v;
    } else if (!strcmp(o, "--insecure")) {
      cfg.tls.verify = RG_CLIENT_VERIFY_INSECURE;
    } else if (!strcmp(o, "--media-ip")) {
      NEED_ARG();
      cfg.media_ip = v;
    } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      usage(stdout);
      return 0;
    } else if (!mode && (!strcmp(o, "call") || !strcmp(o, "wait"))) {
      mode = o;
      if (!strcmp(o, "call")) {
        NEED_ARG();
        a.to = v;
      }
    } else {
      fprintf(stderr, "rtcgate-call: unknown argument %s\n", o);
      usage(stderr);
      return 2;
    }
#undef NEED_ARG
  }
  if (!mode || !cfg.token) {
    usage(stderr);
    return 2;
  }
  if (cfg.send_wav && cfg.tone_hz > 0) {
    fprintf(stderr, "rtcgate-call: --send and --tone exclude each other\n");
    return 2;
  }
  if (!have_duration)
    a.duration_s = a.to ? DEFAULT_CALL_DURATION_S : 0; /* wait: until the peer hangs up */
  cfg.auto_answer = !a.to;
  cfg.on_event = on_event;
  cfg.user = &a;
  rc = rg_client_new(&a.c, &cfg);
  if (rc != RG_OK) {
    fprintf(stderr, "rtcgate-call: cannot start: %s\n", rg_strerror(rc));
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  while (!a.ended && !a.closed) {
    uint64_t now = rg_client_now_us(), next = rg_client_next_timeout(a.c);
    int wait = next <= now ? 0 : next - now > POLL_MAX_MS * 1000ull ? POLL_MAX_MS : (int)((next - now + 999) / 1000);
    struct pollfd p = {.fd = rg_client_fd(a.c), .events = POLLIN};
    (void)poll(&p, 1, wait);
    if (rg_client_process(a.c, rg_client_now_us()) != RG_OK)
      break;
    if (g_stop) {
      if (rg_client_in_call(a.c))
        (void)rg_client_hangup(a.c);
      else
        break;
    }
    if (a.secured && a.duration_s > 0 && rg_client_now_us() - a.t_secured >= (uint64_t)(a.duration_s * 1e6) &&
        rg_client_in_call(a.c))
      (void)rg_client_hangup(a.c);
  }
  summary(&a);
  if (a.secured && a.ended)
    status = strcmp(a.reason, "normal") == 0 ? 0 : 1;
  rg_client_free(a.c);
  return status;
}
