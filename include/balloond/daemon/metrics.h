/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Metrics in Prometheus' text exposition format (version 0.0.4): for
 * node_exporter's textfile collector and for the HTTP endpoint. */
#pragma once

#include <stddef.h>

#include "balloond/daemon/cycle.h"

/* Render D's last cycle and counters. Returns a malloc'ed text (length in
 * *LEN); out of memory is fatal. */
char *bd_metrics_render(const struct bd_daemon *d, size_t *len);

/* Write TEXT to DIR/balloond.prom atomically (a temporary file, renamed),
 * mode 0644. Returns 0 or a negative errno. */
int bd_metrics_write_textfile(const char *dir, const char *text, size_t len);

/* The HTTP endpoint (libmicrohttpd): GET /metrics serves the last text
 * published. */
struct bd_http;
int bd_http_start(const char *address, int port, struct bd_http **out, char *err, size_t err_len);
void bd_http_publish(struct bd_http *h, const char *text, size_t len);
void bd_http_stop(struct bd_http *h);
