/* Helpers shared by the SDP tests: load a captured SDP, edit SDP text. */
#ifndef TEST_SDP_UTIL_H
#define TEST_SDP_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Browser captures made by tests/data/sdp/capture/capture.sh. */
#define CHROMIUM_OFFER "chromium-156.0.8078.108-offer.sdp"
#define CHROMIUM_ANSWER "chromium-156.0.8078.108-answer.sdp"
#define FIREFOX_OFFER "firefox-153.7.0esr-offer.sdp"
#define FIREFOX_ANSWER "firefox-153.7.0esr-answer.sdp"

/* The whole file, NUL-terminated; aborts the test program when missing. */
static inline char *sdp_load(const char *name, size_t *len)
{
  char path[512];
  snprintf(path, sizeof path, "%s/sdp/%s", RG_TEST_DATA_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    abort();
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
    abort();
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = (size_t)n;
  return buf;
}

/* Copy of text with every occurrence of from replaced by to (malloc'd). */
static inline char *sdp_replace(const char *text, const char *from, const char *to)
{
  size_t fl = strlen(from), tl = strlen(to), n = 0;
  for (const char *p = strstr(text, from); p; p = strstr(p + fl, from))
    n++;
  char *out = malloc(strlen(text) + n * (tl > fl ? tl - fl : 0) + 1), *w = out;
  const char *r = text;
  for (const char *p = strstr(r, from); p; p = strstr(r, from)) {
    memcpy(w, r, (size_t)(p - r));
    w += p - r;
    memcpy(w, to, tl);
    w += tl;
    r = p + fl;
  }
  strcpy(w, r);
  return out;
}

/* Copy of text without the lines that start with prefix (malloc'd). */
static inline char *sdp_drop_lines(const char *text, const char *prefix)
{
  size_t pl = strlen(prefix);
  char *out = malloc(strlen(text) + 1), *w = out;
  const char *r = text;
  while (*r) {
    const char *nl = strchr(r, '\n');
    size_t n = nl ? (size_t)(nl - r) + 1 : strlen(r);
    if (strncmp(r, prefix, pl) != 0) {
      memcpy(w, r, n);
      w += n;
    }
    r += n;
  }
  *w = '\0';
  return out;
}

#endif
