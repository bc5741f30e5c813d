/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond: configuration and the main loop (sd-event: a timer per cycle,
 * SIGTERM/SIGINT to stop, SIGHUP to reload, the systemd watchdog); the
 * command line is in options.c. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "balloond/daemon/backend.h"
#include "balloond/core/config.h"
#include "balloond/core/units.h"
#include "balloond/core/trust.h"
#include "balloond/daemon/cycle.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/metrics.h"
#include "balloond/daemon/report.h"
#include "balloond/daemon/status.h"
#include "options.h"

/* Load the configuration named by O (or the default, or the built-in
 * defaults when there is no file). Every error is printed on stderr, or, for
 * the running service (LOG), logged. */
static int load_config(const struct options *o, struct bd_config *out, bool log) {
        struct bd_config_errors errs = { 0 };
        const char *path = o->config_path;
        char why[PATH_MAX + 256];
        int r;

        if (!path) {
                if (access(BD_DEFAULT_CONFIG_FILE, F_OK) < 0) {
                        bd_config_defaults(out);
                        return 0;
                }
                path = BD_DEFAULT_CONFIG_FILE;
        }
        /* balloond acts as root on what the file says: only root may write it. */
        if (access(path, F_OK) == 0 && bd_trust_check_file(path, geteuid(), why, sizeof(why)) < 0)
                bd_config_errors_add(&errs, "%s: refusing to use this configuration: %s", path, why);
        r = errs.n ? -EPERM : bd_config_load(path, out, &errs);
        for (size_t i = 0; i < errs.n; i++) {
                if (log)
                        bd_log_event(BD_LOG_ERR, BD_MID_CONFIG_REJECTED, NULL, BD_REASON_STEADY, "%s",
                                     errs.items[i].text);
                else
                        fprintf(stderr, "%s\n", errs.items[i].text);
        }
        bd_config_errors_free(&errs);
        return r;
}

static void now_both(uint64_t *mono_usec, int64_t *wall_sec) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        *mono_usec = (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
        clock_gettime(CLOCK_REALTIME, &ts);
        *wall_sec = ts.tv_sec;
}

static int run_cycle(struct bd_daemon *d) {
        uint64_t start, end;
        int64_t wall;
        int r;

        now_both(&start, &wall);
        r = bd_cycle_run(d, start, wall);
        now_both(&end, &wall);
        d->last.duration_usec = end - start;
        bd_daemon_count_cycle(d, r, end - start);
        return r;
}

static int run_once(struct bd_daemon *d, const struct options *o) {
        int r = run_cycle(d);

        if (r < 0)
                return EXIT_RUNTIME;
        if (o->json) {
                r = bd_report_json(stdout, &d->last, d->cfg.dry_run);
        } else if (o->metrics) {
                size_t len;
                char *text = bd_metrics_render(d, &len);

                if (!text)
                        return EXIT_RUNTIME;
                fwrite(text, 1, len, stdout);
                free(text);
        } else {
                bd_report_table(stdout, &d->last, d->cfg.dry_run);
        }
        if (fflush(stdout) != 0 || r < 0)
                return EXIT_RUNTIME;
        return EXIT_OK;
}

/* ---- the service loop ---------------------------------------------------- */

struct service {
        struct bd_daemon daemon;
        const struct options *opts;
        sd_event_source *timer;
        sd_event_source *backend_source;
        int last_error; /* of the previous cycle, to log a failure once */
        bool lost;      /* the connection is gone (said once) */
        uint64_t backoff_usec;
        int status_error; /* of the last status write, to log a failure once */
        int metrics_error; /* of the last textfile write */
        struct bd_http *http;
        uint64_t cycles_run; /* timer firings, for --cycles */
        bool late;           /* the last firing skipped missed ticks (said at info once per run of them) */
        sd_event_source *watch;   /* the host's memory read every BD_WATCH_USEC between cycles */
        uint64_t last_cycle_usec; /* monotonic, when the last cycle began (0: none yet) */
        bool out_of_ram;          /* the watch found the host out of RAM (said once per episode) */
};

/* The metrics: node_exporter's textfile and the HTTP endpoint. */
static void export_metrics(struct service *s) {
        const struct bd_config *c = &s->daemon.cfg;
        char *text;
        size_t len;
        int r = 0;

        if (!c->metrics_textfile_dir[0] && !s->http)
                return;
        text = bd_metrics_render(&s->daemon, &len);
        if (!text)
                abort(); /* out of memory is fatal */
        if (c->metrics_textfile_dir[0])
                r = bd_metrics_write_textfile(c->metrics_textfile_dir, text, len);
        if (r < 0 && r != s->metrics_error)
                bd_log(BD_LOG_WARNING, "cannot write metrics to %s: %s%s", c->metrics_textfile_dir, strerror(-r),
                       r == -EACCES || r == -EROFS
                               ? " (balloond.service writes only there, as root without capabilities: "
                                 "the directory must be root's and in ReadWritePaths=; see balloond.conf(5), "
                                 "metrics.textfile_dir)"
                               : "");
        s->metrics_error = r;
        if (s->http)
                bd_http_publish(s->http, text, len);
        free(text);
}

/* Start, restart or stop the HTTP endpoint to match the configuration. */
static int setup_http(struct service *s, const struct bd_config *old) {
        const struct bd_config *c = &s->daemon.cfg;
        char err[256];
        int r;

        if (old && s->http && old->metrics_http_port == c->metrics_http_port &&
            strcmp(old->metrics_http_address, c->metrics_http_address) == 0)
                return 0;
        bd_http_stop(s->http);
        s->http = NULL;
        if (!c->metrics_http_port)
                return 0;
        r = bd_http_start(c->metrics_http_address, c->metrics_http_port, &s->http, err, sizeof(err));
        if (r < 0)
                bd_log(BD_LOG_ERR, "metrics endpoint: %s", err);
        else
                bd_log(BD_LOG_INFO, "metrics at http://%s%s%s:%d/metrics",
                       strchr(c->metrics_http_address, ':') ? "[" : "", c->metrics_http_address,
                       strchr(c->metrics_http_address, ':') ? "]" : "", c->metrics_http_port);
        return r;
}

static void publish(struct service *s) {
        const char *path = s->opts->status_file ? s->opts->status_file : BD_DEFAULT_STATUS_FILE;
        int r;

        if (!*path)
                return;
        r = bd_status_write(path, &s->daemon);
        if (r < 0 && r != s->status_error)
                bd_log(BD_LOG_WARNING, "cannot publish status to %s: %s", path, strerror(-r));
        s->status_error = r < 0 ? r : 0;
}

static void notify_status(struct service *s) {
        const struct bd_cycle_result *r = &s->daemon.last;
        /* THE reclaimed figure: the ledger's, as in the metrics. */
        uint64_t reclaimed_kib = r->host_ledger.reclaimed_kib;
        size_t managed = 0;

        for (size_t i = 0; i < r->n; i++)
                if (r->decisions[i].status == BD_STATUS_OK)
                        managed++;
        sd_notifyf(0, "STATUS=%zu of %zu VMs managed, host %s (%.1f%% free), %llu MiB reclaimed%s",
                   managed, r->n, bd_band_to_string(r->view.band), r->view.free_pct,
                   (unsigned long long)(reclaimed_kib / 1024), s->daemon.cfg.dry_run ? ", dry run" : "");
}

#define BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define BACKOFF_MAX_USEC (60 * USEC_PER_SEC)

static void connection_lost(struct service *s) {
        if (s->lost)
                return;
        s->lost = true;
        s->backoff_usec = BACKOFF_MIN_USEC;
        bd_log_event(BD_LOG_WARNING, BD_MID_CONNECTION_LOST, NULL, BD_REASON_STEADY,
                     "lost the connection to %s; changing nothing, reconnecting", s->daemon.cfg.connect_uri);
        sd_notifyf(0, "STATUS=disconnected from %s, reconnecting", s->daemon.cfg.connect_uri);
}

static int stop(struct service *s, sd_event *e, const char *why);

/* The timer's next tick after the one SCHEDULED: ticks missed by a late cycle
 * are skipped, not run back to back. */
static uint64_t next_tick(struct service *s, uint64_t scheduled, uint64_t step) {
        uint64_t now, skipped, next;
        int64_t wall;

        now_both(&now, &wall);
        next = bd_cycle_next_tick(scheduled, step, now, &skipped);
        if (skipped)
                bd_log(s->late ? BD_LOG_DEBUG : BD_LOG_INFO,
                       "the cycle timer is %.1f s late: %llu missed tick%s skipped, next cycle in %.2f s",
                       (double)(now - scheduled - step) / 1e6, (unsigned long long)skipped, skipped == 1 ? "" : "s",
                       (double)(next - now) / 1e6);
        s->late = skipped > 0;
        return next;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        struct service *s = userdata;
        uint64_t next = s->daemon.cfg.interval_usec;
        int r;

        s->last_cycle_usec = usec; /* when it was due: the watch compares its own due times */
        r = run_cycle(&s->daemon);

        if (r == -ENOTCONN) {
                connection_lost(s);
                /* Retry with a growing delay: 1, 2, 4 ... 60 s. */
                next = s->backoff_usec;
                s->backoff_usec = s->backoff_usec * 2 > BACKOFF_MAX_USEC ? BACKOFF_MAX_USEC : s->backoff_usec * 2;
        } else if (r < 0 && r != s->last_error) {
                bd_log(BD_LOG_WARNING, "cycle failed (%s); retrying every %llu s", strerror(-r),
                       (unsigned long long)(s->daemon.cfg.interval_usec / 1000000));
        } else if (r >= 0 && s->lost) {
                s->lost = false;
                bd_log_event(BD_LOG_INFO, BD_MID_CONNECTION_RESTORED, NULL, BD_REASON_STEADY,
                             "connected to %s again", s->daemon.cfg.connect_uri);
        } else if (r >= 0 && s->last_error < 0) {
                bd_log(BD_LOG_INFO, "cycles succeed again");
        }
        if (r >= 0) {
                notify_status(s);
                publish(s);
        }
        export_metrics(s);
        s->last_error = r < 0 ? r : 0;
        if (s->opts->max_cycles && ++s->cycles_run >= s->opts->max_cycles)
                return stop(s, sd_event_source_get_event(src), "ran the cycles asked for (--cycles)");
        sd_event_source_set_time(src, next_tick(s, usec, next));
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

/* Between cycles, every BD_WATCH_USEC: a host out of RAM (it swaps) gets
 * its cycle now, not at the end of the interval (bd_policy_cycle_now). */
static int on_watch(sd_event_source *src, uint64_t usec, void *userdata) {
        struct service *s = userdata;
        struct bd_host_sample host;
        bool out;

        sd_event_source_set_time(src, usec + BD_WATCH_USEC);
        if (s->lost || s->last_cycle_usec == 0 || bd_daemon_sample_host(&s->daemon, usec, &host) < 0)
                return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        out = s->daemon.cfg.interval_usec > BD_WATCH_USEC && host.mem_total_kib > 0 &&
              host.mem_available_kib < BD_OUT_OF_RAM_KIB;
        if (out && !s->out_of_ram)
                bd_log(BD_LOG_WARNING, "the host is out of RAM (MemAvailable %llu KiB): a cycle every %g s while it is",
                       (unsigned long long)host.mem_available_kib, (double)BD_WATCH_USEC / 1e6);
        else if (!out && s->out_of_ram)
                bd_log(BD_LOG_INFO, "the host has RAM again: a cycle every %g s",
                       (double)s->daemon.cfg.interval_usec / 1e6);
        s->out_of_ram = out;
        if (bd_policy_cycle_now(&host, s->last_cycle_usec, usec, s->daemon.cfg.interval_usec)) {
                sd_event_source_set_time(s->timer, usec);
                sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        }
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

/* The backend has events (libvirt: connection closed, domains started). */
static int on_backend_event(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct service *s = userdata;
        unsigned events;
        uint64_t now;

        (void)fd;
        (void)revents;
        events = s->daemon.backend->ops->handle_events(s->daemon.backend);
        /* A guest that took memory back from its balloon: its size is
         * adopted in a cycle now, not at the end of the interval. */
        if ((events & BD_EVENT_BALLOON) && !(events & BD_EVENT_CLOSED) &&
            sd_event_now(sd_event_source_get_event(src), CLOCK_MONOTONIC, &now) >= 0) {
                sd_event_source_set_time(s->timer, now);
                sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        }
        if (events & BD_EVENT_CLOSED) {
                connection_lost(s);
                /* Reconnect soon, not at the end of a long interval. */
                if (sd_event_now(sd_event_source_get_event(src), CLOCK_MONOTONIC, &now) >= 0) {
                        sd_event_source_set_time(s->timer, now + BACKOFF_MIN_USEC);
                        sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
                }
        }
        return 0;
}

static int watch_backend(struct service *s, sd_event *e) {
        const struct bd_backend_ops *ops = s->daemon.backend->ops;
        int fd;

        s->backend_source = sd_event_source_unref(s->backend_source);
        if (!ops->event_fd || !ops->handle_events || (fd = ops->event_fd(s->daemon.backend)) < 0)
                return 0;
        return sd_event_add_io(e, &s->backend_source, fd, EPOLLIN, on_backend_event, s);
}

static int stop(struct service *s, sd_event *e, const char *why) {
        bd_log(BD_LOG_INFO, "%s, stopping", why);
        sd_notify(0, "STOPPING=1");
        if (s->daemon.cfg.restore_on_exit && s->daemon.cycles > 0) {
                uint64_t mono;
                int64_t wall;

                now_both(&mono, &wall);
                bd_log(BD_LOG_INFO, "restore_on_exit: %zu VMs given their memory back",
                       bd_daemon_restore(&s->daemon, mono, wall));
        }
        return sd_event_exit(e, 0);
}

static int on_stop(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        char why[64];

        snprintf(why, sizeof(why), "received %s", strsignal((int)si->ssi_signo));
        return stop(userdata, sd_event_source_get_event(src), why);
}

static int on_reload(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        struct service *s = userdata;
        struct bd_config cfg;
        struct bd_backend *backend;
        char err[256] = "";
        int r;

        (void)si;
        sd_notify(0, "RELOADING=1");
        r = load_config(s->opts, &cfg, true);
        if (r < 0) {
                bd_log_event(BD_LOG_ERR, BD_MID_CONFIG_REJECTED, NULL, BD_REASON_STEADY,
                             "new configuration rejected, keeping the running one");
                s->daemon.counters.reloads_failed++;
                sd_notify(0, "READY=1");
                return 0;
        }
        if (s->opts->connect_uri)
                snprintf(cfg.connect_uri, sizeof(cfg.connect_uri), "%s", s->opts->connect_uri);
        cfg.dry_run = cfg.dry_run || s->opts->dry_run;
        if (s->opts->interval_usec)
                cfg.interval_usec = s->opts->interval_usec;
        if (strcmp(cfg.connect_uri, s->daemon.cfg.connect_uri) != 0) {
                r = bd_backend_open(cfg.connect_uri, &cfg, &backend, err, sizeof(err));
                if (r < 0) {
                        bd_log(BD_LOG_ERR, "cannot connect to %s (%s), keeping the running configuration",
                               cfg.connect_uri, err);
                        sd_notify(0, "READY=1");
                        return 0;
                }
                s->backend_source = sd_event_source_unref(s->backend_source);
                bd_daemon_set_backend(&s->daemon, backend);
                s->lost = false;
                if (watch_backend(s, sd_event_source_get_event(src)) < 0)
                        bd_log(BD_LOG_WARNING, "cannot watch %s for events", cfg.connect_uri);
        } else {
                bd_backend_configure(s->daemon.backend, &cfg);
        }
        {
                struct bd_config old = s->daemon.cfg;

                s->daemon.cfg = cfg;
                (void)setup_http(s, &old);
        }
        s->daemon.counters.reloads_ok++;
        bd_log_event(BD_LOG_INFO, BD_MID_CONFIG_RELOADED, NULL, BD_REASON_STEADY, "configuration reloaded");
        sd_notify(0, "READY=1");
        return 0;
}

static int serve(struct service *s) {
        sd_event *e = NULL;
        uint64_t now;
        int r;

        r = sd_event_default(&e);
        if (r < 0)
                goto out;
        if ((r = sd_event_add_signal(e, NULL, SIGTERM, on_stop, s)) < 0 ||
            (r = sd_event_add_signal(e, NULL, SIGINT, on_stop, s)) < 0 ||
            (r = sd_event_add_signal(e, NULL, SIGHUP, on_reload, s)) < 0)
                goto out;
        r = sd_event_set_watchdog(e, true);
        if (r < 0)
                goto out;
        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                goto out;
        /* Wake-ups may be batched by up to a tenth of the interval (at most 0.1 s). */
        r = sd_event_add_time(e, &s->timer, CLOCK_MONOTONIC, now,
                              s->daemon.cfg.interval_usec < 1000000 ? s->daemon.cfg.interval_usec / 10 : 100000,
                              on_timer, s);
        if (r < 0)
                goto out;
        r = sd_event_add_time(e, &s->watch, CLOCK_MONOTONIC, now + BD_WATCH_USEC, BD_WATCH_USEC / 10, on_watch, s);
        if (r < 0)
                goto out;
        r = watch_backend(s, e);
        if (r < 0)
                goto out;
        r = setup_http(s, NULL);
        if (r < 0)
                goto out;
        bd_log(BD_LOG_INFO, "started: %s, cycle every %g s%s", s->daemon.cfg.connect_uri,
               (double)s->daemon.cfg.interval_usec / 1e6,
               s->daemon.cfg.dry_run ? ", dry run (nothing is changed)" : "");
        sd_notify(0, "READY=1");
        r = sd_event_loop(e);
out:
        if (r < 0)
                bd_log(BD_LOG_ERR, "event loop: %s", strerror(-r));
        bd_http_stop(s->http);
        sd_event_source_unref(s->backend_source);
        sd_event_source_unref(s->watch);
        sd_event_source_unref(s->timer);
        sd_event_unref(e);
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int main(int argc, char **argv) {
        struct options o = { 0 };
        struct service s = { 0 };
        struct bd_config cfg;
        struct bd_backend *backend = NULL;
        char err[512] = "";
        int r, code;

        if (bd_parse_args(argc, argv, &o) < 0)
                return EXIT_USAGE;
        /* A reader gone from a pipe or socket (stdout, the journal, a
         * metrics client) is an error to handle, not a reason to die. */
        signal(SIGPIPE, SIG_IGN);
        /* --once speaks through its table; the service logs its changes. */
        bd_log_setup(o.verbose >= 2 ? BD_LOG_DEBUG : o.verbose == 1 || !o.once ? BD_LOG_INFO : BD_LOG_ERR);

        if (load_config(&o, &cfg, false) < 0)
                return EXIT_CONFIG;
        if (o.check_config) {
                printf("configuration OK\n");
                return EXIT_OK;
        }
        if (o.connect_uri)
                snprintf(cfg.connect_uri, sizeof(cfg.connect_uri), "%s", o.connect_uri);
        cfg.dry_run = cfg.dry_run || o.dry_run;
        if (o.interval_usec)
                cfg.interval_usec = o.interval_usec;

        if (!o.once) {
                /* The service takes its signals through sd-event: block them
                 * before any thread (libvirt's event loop) starts, so that
                 * every thread inherits the mask. */
                sigset_t mask;

                sigemptyset(&mask);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGHUP);
                sigprocmask(SIG_BLOCK, &mask, NULL);
        }
        r = bd_backend_open(cfg.connect_uri, &cfg, &backend, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "balloond: cannot connect to %s: %s\n", cfg.connect_uri,
                        err[0] ? err : strerror(-r));
                return EXIT_RUNTIME;
        }
        bd_daemon_init(&s.daemon, &cfg, backend);
        s.opts = &o;
        code = o.once ? run_once(&s.daemon, &o) : serve(&s);
        bd_daemon_done(&s.daemon);
        return code;
}
