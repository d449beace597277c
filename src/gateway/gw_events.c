/* rtcgate gateway — broker events cross from the media workers' threads
 * to the service thread: copied into a bounded queue under a mutex, then
 * lws_cancel_service wakes the service loop, which drains the queue in
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED. A worker's thread never waits on the
 * gateway beyond that short lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"

static void terminate(char *s, size_t cap)
{
  s[cap - 1] = '\0';
}

void gw_events_push(void *arg, const struct rg_broker_event *ev)
{
  struct gw *gw = arg;
  struct gw_event_node *n = malloc(sizeof(*n));
  if (n) {
    n->next = NULL;
    n->ev = *ev;
    terminate(n->ev.call_id, sizeof(n->ev.call_id));
    terminate(n->ev.dtls_version, sizeof(n->ev.dtls_version));
    terminate(n->ev.dtls_cipher, sizeof(n->ev.dtls_cipher));
    terminate(n->ev.srtp_profile, sizeof(n->ev.srtp_profile));
    terminate(n->ev.reason, sizeof(n->ev.reason));
    terminate(n->ev.detail, sizeof(n->ev.detail));
  }
  pthread_mutex_lock(&gw->ev_lock);
  bool queued = false;
  if (n && gw->ev_accept && gw->ev_count < GW_EVENTS_MAX) {
    if (gw->ev_tail)
      gw->ev_tail->next = n;
    else
      gw->ev_head = n;
    gw->ev_tail = n;
    gw->ev_count++;
    queued = true;
  } else {
    gw->m.events_dropped++;
  }
  struct lws_context *ctx = gw->ev_accept ? gw->ctx : NULL;
  if (ctx)
    lws_cancel_service(ctx);
  pthread_mutex_unlock(&gw->ev_lock);
  if (!queued)
    free(n);
}

/* Takes the whole queue under the lock; accept false also refuses later events. */
static struct gw_event_node *take_all(struct gw *gw, bool accept)
{
  struct gw_event_node *n;
  pthread_mutex_lock(&gw->ev_lock);
  if (!accept)
    gw->ev_accept = false;
  n = gw->ev_head;
  gw->ev_head = gw->ev_tail = NULL;
  gw->ev_count = 0;
  pthread_mutex_unlock(&gw->ev_lock);
  return n;
}

void gw_events_drain(struct gw *gw)
{
  struct gw_event_node *n = take_all(gw, true);
  while (n) {
    struct gw_event_node *next = n->next;
    gw_call_on_event(gw, &n->ev);
    free(n);
    n = next;
  }
}

/* After this no event is queued and the context is no longer woken. */
void gw_events_close(struct gw *gw)
{
  struct gw_event_node *n = take_all(gw, false);
  while (n) {
    struct gw_event_node *next = n->next;
    free(n);
    n = next;
  }
}
