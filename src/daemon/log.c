/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging. Under systemd, stderr is a journal stream ($JOURNAL_STREAM names
 * its device and inode): then entries go to the journal through
 * sd_journal_send, with BALLOOND_* fields for machines and MESSAGE for
 * people. Elsewhere, plain lines on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "balloond/daemon/log.h"

static int max_level = BD_LOG_INFO;
static bool journal;

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void bd_log_setup(int level) {
        max_level = level;
        journal = stderr_is_journal();
}

bool bd_log_to_journal(void) {
        return journal;
}

static const char *level_name(int level) {
        switch (level) {
        case BD_LOG_ERR:
                return "error";
        case BD_LOG_WARNING:
                return "warning";
        case BD_LOG_NOTICE:
                return "notice";
        case BD_LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

/* One entry: MESSAGE, and, in the journal, MESSAGE_ID and the VM's fields
 * where given. */
static void emit(int level, const char *message_id, const struct bd_vm_sample *vm, enum bd_reason reason,
                 const char *msg) {
        if (!journal)
                fprintf(stderr, "balloond: %s: %s\n", level_name(level), msg);
        else if (vm)
                sd_journal_send("MESSAGE=%s", msg, "MESSAGE_ID=%s", message_id, "PRIORITY=%d", level,
                                "SYSLOG_IDENTIFIER=balloond", "BALLOOND_DOMAIN=%s", vm->name,
                                "BALLOOND_UUID=%s", vm->uuid, "BALLOOND_REASON=%s",
                                bd_reason_to_string(reason), NULL);
        else if (message_id)
                sd_journal_send("MESSAGE=%s", msg, "MESSAGE_ID=%s", message_id, "PRIORITY=%d", level,
                                "SYSLOG_IDENTIFIER=balloond", NULL);
        else
                sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level, "SYSLOG_IDENTIFIER=balloond", NULL);
}

static void vlog(int level, const char *message_id, const struct bd_vm_sample *vm, enum bd_reason reason,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vlog(int level, const char *message_id, const struct bd_vm_sample *vm, enum bd_reason reason,
                 const char *fmt, va_list ap) {
        char msg[1024];

        if (level > max_level)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        emit(level, message_id, vm, reason, msg);
}

void bd_log(int level, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vlog(level, NULL, NULL, BD_REASON_STEADY, fmt, ap);
        va_end(ap);
}

void bd_log_event(int level, const char *message_id, const struct bd_vm_sample *vm,
                  enum bd_reason reason, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vlog(level, message_id, vm, reason, fmt, ap);
        va_end(ap);
}

#define VMS_NAMED_MAX 10 /* names in a bd_log_vms MESSAGE; the fields carry all */

/* "FIELD=value" as an iovec, allocated. */
static struct iovec field_iov(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct iovec field_iov(const char *fmt, ...) {
        struct iovec v;
        va_list ap;
        char *text;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort(); /* out of memory is fatal */
        v.iov_base = text;
        v.iov_len = (size_t)n;
        return v;
}

void bd_log_vms(int level, const char *message_id, const struct bd_vm_sample *const *vms, size_t n,
                const char *what) {
        char msg[1024];
        struct iovec *iov;
        size_t len, k = 0;

        if (level > max_level || n == 0)
                return;
        len = (size_t)snprintf(msg, sizeof(msg), "%zu VM%s: %s: ", n, n == 1 ? "" : "s", what);
        for (size_t i = 0; i < n && i < VMS_NAMED_MAX && len < sizeof(msg); i++)
                len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", i ? ", " : "", vms[i]->name);
        if (n > VMS_NAMED_MAX && len < sizeof(msg))
                snprintf(msg + len, sizeof(msg) - len, " (and %zu more)", n - VMS_NAMED_MAX);
        if (!journal) {
                fprintf(stderr, "balloond: %s: %s\n", level_name(level), msg);
                return;
        }
        iov = calloc(5 + 2 * n, sizeof(*iov));
        if (!iov)
                abort();
        iov[k++] = field_iov("MESSAGE=%s", msg);
        iov[k++] = field_iov("MESSAGE_ID=%s", message_id);
        iov[k++] = field_iov("PRIORITY=%d", level);
        iov[k++] = field_iov("SYSLOG_IDENTIFIER=balloond");
        iov[k++] = field_iov("BALLOOND_VM_COUNT=%zu", n);
        for (size_t i = 0; i < n; i++) {
                iov[k++] = field_iov("BALLOOND_DOMAIN=%s", vms[i]->name);
                iov[k++] = field_iov("BALLOOND_UUID=%s", vms[i]->uuid);
        }
        sd_journal_sendv(iov, (int)k);
        for (size_t i = 0; i < k; i++)
                free(iov[i].iov_base);
        free(iov);
}

static unsigned long long mib(uint64_t kib) {
        return (unsigned long long)(kib / 1024);
}

void bd_log_decision(const struct bd_vm_sample *vm, const struct bd_decision *d,
                     const struct bd_host_view *host, bool dry_run) {
        char msg[512], usable[32];

        if (BD_LOG_INFO > max_level)
                return;
        if (d->usable_kib == BD_KIB_UNKNOWN)
                snprintf(usable, sizeof(usable), "unknown");
        else
                snprintf(usable, sizeof(usable), "%llu MiB", mib(d->usable_kib));
        snprintf(msg, sizeof(msg),
                 "%s%s: %s %llu -> %llu MiB: %s (guest free %s, floor %llu MiB, max %llu MiB, "
                 "step limit %llu MiB; host %s, %.1f%% free%s%s)",
                 dry_run ? "dry run: " : "", vm->name, bd_action_to_string(d->action),
                 mib(d->actual_kib), mib(d->target_kib), bd_reason_describe(d->reason), usable,
                 mib(d->floor_kib), mib(d->max_kib), mib(d->limit_kib), bd_band_to_string(host->band),
                 host->free_pct, d->unmet_kib ? "; the rest refused at the line of " : "",
                 d->unmet_kib ? (d->refused == BD_LINE_BUDGET ? "the VM budget" : "RAM") : "");
        if (d->crossed == BD_LINE_BUDGET)
                snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " [past the VM budget: an emergency]");
        if (!journal) {
                fprintf(stderr, "balloond: info: %s\n", msg);
                return;
        }
        sd_journal_send("MESSAGE=%s", msg,
                        "MESSAGE_ID=%s", d->action == BD_ACTION_SHRINK ? BD_MID_SHRINK : BD_MID_GROW,
                        "PRIORITY=%d", BD_LOG_INFO,
                        "SYSLOG_IDENTIFIER=balloond",
                        "BALLOOND_DOMAIN=%s", vm->name,
                        "BALLOOND_UUID=%s", vm->uuid,
                        "BALLOOND_ACTION=%s", bd_action_to_string(d->action),
                        "BALLOOND_REASON=%s", bd_reason_to_string(d->reason),
                        "BALLOOND_OLD_KIB=%llu", (unsigned long long)d->actual_kib,
                        "BALLOOND_TARGET_KIB=%llu", (unsigned long long)d->target_kib,
                        "BALLOOND_USABLE_KIB=%lld",
                        d->usable_kib == BD_KIB_UNKNOWN ? -1LL : (long long)d->usable_kib,
                        "BALLOOND_FLOOR_KIB=%llu", (unsigned long long)d->floor_kib,
                        "BALLOOND_MAX_KIB=%llu", (unsigned long long)d->max_kib,
                        "BALLOOND_HOST_BAND=%s", bd_band_to_string(host->band),
                        "BALLOOND_HOST_FREE_KIB=%llu", (unsigned long long)host->free_kib,
                        "BALLOOND_UNMET_KIB=%llu", (unsigned long long)d->unmet_kib,
                        "BALLOOND_LINE_CROSSED=%s", bd_line_to_string(d->crossed),
                        "BALLOOND_LINE_REFUSED=%s", bd_line_to_string(d->refused),
                        "BALLOOND_DRY_RUN=%d", dry_run ? 1 : 0,
                        NULL);
}
