/*
 * ferry-server's TLS front end: OpenSSL terminates TLS, libmicrohttpd
 * serves the plaintext (docs/server.md, "Performance").
 *
 * libmicrohttpd 0.9 speaks TLS only through GnuTLS, whose handshake
 * (nettle's X25519 and P-256, SHA-384 in C) cost about 2.4 times nginx's
 * CPU per poll. Each worker here runs one thread: its own SO_REUSEPORT
 * listening socket, OpenSSL handshakes, and a libmicrohttpd daemon in
 * external-epoll mode on the same thread. After the handshake the
 * connection's plaintext is relayed over a socketpair whose other end is
 * handed to the daemon with MHD_add_connection, so routing, body bounds
 * and timeouts stay libmicrohttpd's.
 */
#ifndef FERRY_SRV_TLS_H
#define FERRY_SRV_TLS_H

#include <stddef.h>

#include <microhttpd.h>
#include <openssl/ssl.h>

#include "util/err.h"

struct srv_tls_worker;

/**
 * A TLS server context (TLS 1.2 and 1.3, no session cache; tickets are
 * srv_ticket_enable's) from
 * the certificate chain and key in PEM (NUL-terminated). The caller frees
 * *out with SSL_CTX_free. Fails with what was unusable.
 */
ferry_err srv_tls_ctx_new(SSL_CTX **out, const char *cert_pem, const char *key_pem);

/**
 * Start one worker thread. It owns lfd (a listening socket) from the call
 * on, even on failure; mhd must have been started with MHD_USE_EPOLL |
 * MHD_USE_NO_LISTEN_SOCKET and no polling thread, and from now on is run
 * by the worker only. conn_limit bounds the worker's TLS connections;
 * timeout_s cuts a connection with no progress either way for that long.
 */
ferry_err srv_tls_worker_start(struct srv_tls_worker **out, int lfd, SSL_CTX *ctx,
			       struct MHD_Daemon *mhd, unsigned conn_limit, unsigned timeout_s);

/** Handshakes completed since the process started, all workers: full and resumed. */
void srv_tls_handshakes(unsigned long *full, unsigned long *resumed);

/** Stop and join the worker, close its connections and socket (NULL-safe).
 *  The daemon stays the caller's (MHD_stop_daemon after this). */
void srv_tls_worker_stop(struct srv_tls_worker *w);

#endif
