/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics HTTP endpoint, served by libmicrohttpd from a thread of its
 * own: GET /metrics returns the last text the main loop published. Bound to
 * 127.0.0.1 unless configured otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "balloond/daemon/metrics.h"

#define HTTP_MAX_CONNECTIONS 256u
#define HTTP_IDLE_SEC 3u

struct bd_http {
        struct MHD_Daemon *mhd;
        pthread_mutex_t lock;
        char *text;
        size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **req_cls) {
        struct bd_http *h = cls;
        struct MHD_Response *resp;
        enum MHD_Result ret;
        unsigned status = MHD_HTTP_OK;
        char *copy;
        size_t len;

        (void)version;
        (void)upload_data;
        (void)upload_size;
        (void)req_cls;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
                copy = strdup("only GET\n");
                status = MHD_HTTP_METHOD_NOT_ALLOWED;
        } else if (strcmp(url, "/metrics") != 0) {
                copy = strdup("balloond: metrics are at /metrics\n");
                status = MHD_HTTP_NOT_FOUND;
        } else {
                pthread_mutex_lock(&h->lock);
                copy = malloc(h->len + 1);
                if (copy) {
                        memcpy(copy, h->text ? h->text : "", h->len);
                        copy[h->len] = '\0';
                }
                pthread_mutex_unlock(&h->lock);
        }
        if (!copy)
                return MHD_NO;
        len = strlen(copy);
        resp = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(copy);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

int bd_http_start(const char *address, int port, struct bd_http **out, char *err, size_t err_len) {
        struct sockaddr_storage ss;
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        /* epoll where there is one: past FD_SETSIZE, select() could not
         * take the connections the limit below allows. */
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
        struct bd_http *h;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)port);
        } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                flags |= MHD_USE_IPv6;
        } else {
                snprintf(err, err_len, "'%s' is not an IP address", address);
                return -EINVAL;
        }
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        pthread_mutex_init(&h->lock, NULL);
        /* Any local user can connect: a connection that sends nothing for
         * HTTP_IDLE_SEC is dropped, and it takes HTTP_MAX_CONNECTIONS of them
         * held open at once, not a handful, to keep a scraper out (a scrape
         * is one request of a few hundred bytes, answered at once). */
        h->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR, &ss,
                                  MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                  HTTP_IDLE_SEC, MHD_OPTION_END);
        if (!h->mhd) {
                snprintf(err, err_len, "cannot listen on %s port %d", address, port);
                pthread_mutex_destroy(&h->lock);
                free(h);
                return -EADDRINUSE;
        }
        *out = h;
        return 0;
}

void bd_http_publish(struct bd_http *h, const char *text, size_t len) {
        char *copy = malloc(len + 1);

        if (!copy)
                abort(); /* out of memory is fatal */
        memcpy(copy, text, len);
        copy[len] = '\0';
        pthread_mutex_lock(&h->lock);
        free(h->text);
        h->text = copy;
        h->len = len;
        pthread_mutex_unlock(&h->lock);
}

void bd_http_stop(struct bd_http *h) {
        if (!h)
                return;
        MHD_stop_daemon(h->mhd);
        pthread_mutex_destroy(&h->lock);
        free(h->text);
        free(h);
}
