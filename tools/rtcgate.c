/* rtcgate — the server program: `rtcgate serve`, `rtcgate version`, `rtcgate help`.
 *
 * Thin on purpose: it turns flags and an optional config file into a
 * struct rg_gw_config and hands it to the gateway (src/gateway/gateway.h).
 * A flag is the config key with "--" in front; flags override the file.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gateway.h"

static void usage(FILE *f)
{
  fprintf(f,
          "usage: rtcgate serve [--config FILE] [--listen ADDR:PORT] [--media-address IP] [--media-port PORT]\n"
          "                     [--media-workers N] [--cert FILE --key FILE] [--state-dir DIR] [--demo]\n"
          "                     [--web-dir DIR]\n"
          "       rtcgate version\n"
          "       rtcgate help\n"
          "\n"
          "serve runs the HTTPS/WSS gateway and the media broker (defaults: https 127.0.0.1:8443,\n"
          "media udp 127.0.0.1:10000, state dir ./var). On first start it makes a TLS certificate\n"
          "for localhost and an application key in the state dir and prints the key once;\n"
          "RTCGATE_APP_KEY overrides it. Port 0 picks a free port (printed). SIGINT/SIGTERM hang\n"
          "up every call and exit 0. See docs/config.md and docs/protocol.md.\n");
}

/* Flags that take no value. */
static bool is_switch(const char *key)
{
  return strcmp(key, "demo") == 0;
}

static int serve(int argc, char **argv)
{
  struct rg_gw_config cfg;
  rg_gw_config_defaults(&cfg);
  char err[256];
  /* The config file first, wherever --config stands, so flags override it. */
  for (int i = 0; i < argc; i++) {
    const char *cfgpath = NULL;
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
      cfgpath = argv[i + 1];
    else if (strncmp(argv[i], "--config=", 9) == 0)
      cfgpath = argv[i] + 9;
    if (cfgpath && rg_gw_config_load_file(&cfg, cfgpath, err, sizeof(err)) != 0) {
      fprintf(stderr, "rtcgate: config: %s\n", err);
      return 2;
    }
  }
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr, "rtcgate: unexpected argument \"%s\"\n", arg);
      usage(stderr);
      return 2;
    }
    char key[64];
    const char *value;
    const char *eq = strchr(arg, '=');
    if (eq) {
      snprintf(key, sizeof(key), "%.*s", (int)(eq - arg - 2), arg + 2);
      value = eq + 1;
    } else {
      snprintf(key, sizeof(key), "%s", arg + 2);
      if (is_switch(key)) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        fprintf(stderr, "rtcgate: %s needs a value\n", arg);
        return 2;
      }
    }
    if (strcmp(key, "config") == 0)
      continue;
    if (rg_gw_config_set(&cfg, key, value, err, sizeof(err)) != 0) {
      fprintf(stderr, "rtcgate: %s\n", err);
      usage(stderr);
      return 2;
    }
  }
  return rg_gw_run(&cfg);
}

int main(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("rtcgate %s\n", RG_GW_VERSION);
    return 0;
  }
  if (strcmp(argv[1], "serve") == 0)
    return serve(argc - 2, argv + 2);
  fprintf(stderr, "rtcgate: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}
