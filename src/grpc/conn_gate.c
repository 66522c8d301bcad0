// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "grpc/conn_gate.h"
#include "grpc/h2_guard.h"
#include "grpc/peer_cred.h"
#include "grpc/tls_server.h"
#include "util/safe_path.h"
#include "util/log.h"

#define MAX_LISTENERS 8
#define ACCEPT_BURST 64
#define C2S_BUF (16 * 1024)
#define S2C_BUF (64 * 1024)

/*
 * One admitted connection. The client's socket stays ours: gRPC gets one
 * end of a socketpair and the gate relays between the two, checking what
 * the client sends (h2_guard.h) on the way. gRPC names the connection's
 * calls after its end ("fd:N"), which finds the relay and its rights.
 * A TLS client's bytes are decrypted before the guard sees them, and gRPC
 * gets its end only once the handshake is done.
 */
struct relay {
	bool used;
	int cfd;		/* the client */
	int ifd;		/* our end of the socketpair */
	int gfd;		/* gRPC's end: the number in its peer string */
	bool handed;		/* gfd is gRPC's now (else ours to close) */
	dev_t gdev;		/* and what it is, so a reused number is not mistaken */
	ino_t gino;
	enum rpc_access access;
	bool root;
	char client[64];	/* the per-client key: "uid:N", "x509:HASH" or the remote address */
	char desc[256];
	struct h2_guard guard;
	uint8_t *c2s, *s2c;	/* bytes read and not yet written on */
	size_t c2s_len, c2s_off, s2c_len, s2c_off;
	bool ieof;		/* gRPC closed its end: flush to the client, then close */
	uint32_t cmask, imask;	/* epoll interest now set */
	/* TLS */
	SSL *ssl;		/* NULL: plain */
	bool hs_done;
	uint64_t hs_deadline;	/* CLOCK_MONOTONIC ms: the handshake must be done by then */
	uint32_t rd_want;	/* what SSL_read waits for on cfd (EPOLLIN/EPOLLOUT); 0: not waiting */
	uint32_t wr_want;	/* the same for SSL_write */
	bool again;		/* stopped with work left: pumped again without an event */
};

/* event streams per non-root client */
struct stream_count {
	char client[64];
	unsigned n;		/* 0: free */
};

/* epoll tags: which fd of which relay (or a listener, or the stop pipe) */
struct ep_tag {
	struct relay *r;	/* NULL: a listener or the stop pipe */
	int fd;
};

struct conn_gate {
	struct conn_gate_opts o;
	int lfd[MAX_LISTENERS];
	size_t nl;
	bool has_tcp;
	int stop_pipe[2];
	int epfd;
	int spare_fd;		/* given up to accept-and-close when out of descriptors */
	pthread_t thread;
	bool started;
	SSL_CTX *tls;		/* TLS on the TCP listener, or NULL */
	int unix_lfd;		/* the unix socket's listener (never TLS), or -1 */
	unsigned handshaking;	/* relays in a TLS handshake (gate thread only) */
	unsigned n_again;	/* relays with again set */
	uint64_t next_sweep;	/* when to look for handshakes past their deadline */

	pthread_mutex_t mu;	/* relays' identity fields and stats: read by the RPC thread */
	struct relay *relays;
	struct stream_count *scounts;	/* as many as relays: a stream needs a connection */
	struct ep_tag *tags;	/* 2 per relay */
	struct ep_tag ltags[MAX_LISTENERS + 1];
	unsigned nrelays, open;
	struct conn_gate_stats st;
	time_t last_warn[6];
	uint64_t unwarned[6];

	char *unix_path;
	int unix_dirfd;		/* the socket's directory, checked once and held */
	char *unix_name;
	dev_t unix_dev;
	ino_t unix_ino;
};

enum warn_kind { W_TOTAL, W_CLIENT, W_FDS, W_DENIED, W_PROTO, W_TLS };

/* One warning per kind per 10 s, with how many were not logged since. */
static void warn_rl(struct conn_gate *g, enum warn_kind k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn_rl(struct conn_gate *g, enum warn_kind k, const char *fmt, ...)
{
	time_t now = time(NULL);
	uint64_t skipped;
	char msg[512];
	va_list ap;

	pthread_mutex_lock(&g->mu);
	if (g->last_warn[k] && now - g->last_warn[k] < 10) {
		g->unwarned[k]++;
		pthread_mutex_unlock(&g->mu);
		return;
	}
	skipped = g->unwarned[k];
	g->last_warn[k] = now;
	g->unwarned[k] = 0;
	pthread_mutex_unlock(&g->mu);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (skipped)
		log_warn("%s (and %llu more like it before this one)", msg, (unsigned long long)skipped);
	else
		log_warn("%s", msg);
}

/* ---- rights -------------------------------------------------------------------------- */

static bool unix_peer_in_group(int fd, gid_t group)
{
	gid_t gids[256];
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int n, i;

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) && uc.gid == group)
		return true;
	n = peer_unix_groups(fd, gids, 256);
	for (i = 0; i < n; i++)
		if (gids[i] == group)
			return true;
	return false;
}

static enum rpc_access rights(const struct conn_gate *g, int fd, const struct peer_cred *p)
{
	const struct rpc_access_policy *a = &g->o.access;

	/* no local identity: a TLS client certificate is the only way in (tls_established) */
	if (p->kind == PEER_TCP_REMOTE || !p->uid_known)
		return RPC_ACCESS_PUBLIC;
	if (p->uid == 0)
		return RPC_ACCESS_ADMIN;
	if (a->group_set &&
	    (p->kind == PEER_UNIX ? unix_peer_in_group(fd, a->group) : peer_uid_in_group(p->uid, a->group)))
		return RPC_ACCESS_ADMIN;
	return a->public_read ? RPC_ACCESS_READ : RPC_ACCESS_PUBLIC;
}

static const char *access_name(enum rpc_access a)
{
	switch (a) {
	case RPC_ACCESS_ADMIN:
		return "manage";
	case RPC_ACCESS_READ:
		return "read";
	default:
		return "health and version only";
	}
}

/* ---- relays ------------------------------------------------------------------------- */

static unsigned client_count_locked(const struct conn_gate *g, const char *client)
{
	unsigned i, n = 0;

	for (i = 0; i < g->nrelays; i++)
		if (g->relays[i].used && !strcmp(g->relays[i].client, client))
			n++;
	return n;
}

static void set_mask(struct conn_gate *g, struct relay *r, int fd, uint32_t *cur, uint32_t want, struct ep_tag *tag)
{
	struct epoll_event ev = { .events = want, .data.ptr = tag };

	if (*cur == want)
		return;
	epoll_ctl(g->epfd, EPOLL_CTL_MOD, fd, &ev);
	*cur = want;
	(void)r;
}

/* What each side should wait for, from the buffers' state. */
static void update_masks(struct conn_gate *g, struct relay *r)
{
	size_t i = (size_t)(r - g->relays);
	uint32_t cw = 0, iw = 0;

	if (r->c2s_len == 0 && !r->ieof)
		cw |= EPOLLIN;
	if (r->s2c_len)
		cw |= EPOLLOUT;
	if (r->s2c_len == 0 && !r->ieof)
		iw |= EPOLLIN;
	if (r->c2s_len)
		iw |= EPOLLOUT;
	set_mask(g, r, r->cfd, &r->cmask, cw, &g->tags[2 * i]);
	set_mask(g, r, r->ifd, &r->imask, iw, &g->tags[2 * i + 1]);
}

static void set_again(struct conn_gate *g, struct relay *r, bool again)
{
	if (r->again != again)
		g->n_again += again ? 1 : (unsigned)-1;
	r->again = again;
}

static void relay_close(struct conn_gate *g, struct relay *r)
{
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, r->cfd, NULL);
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, r->ifd, NULL);
	/* gRPC sees its end close and ends the connection's calls */
	close(r->cfd);
	close(r->ifd);
	if (!r->handed)
		close(r->gfd);
	if (r->ssl) {
		if (!r->hs_done)
			g->handshaking--;
		SSL_free(r->ssl);
		r->ssl = NULL;
	}
	set_again(g, r, false);
	free(r->c2s);
	free(r->s2c);
	pthread_mutex_lock(&g->mu);
	r->used = false;
	r->c2s = r->s2c = NULL;
	g->open--;
	pthread_mutex_unlock(&g->mu);
}

/* Write what is buffered for fd; false when the connection is done for. */
static bool flush(int fd, const uint8_t *buf, size_t *len, size_t *off)
{
	while (*len) {
		ssize_t n = send(fd, buf + *off, *len, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		*off += (size_t)n;
		*len -= (size_t)n;
	}
	*off = 0;
	return true;
}

/* ---- TLS relays ------------------------------------------------------------------ */

#define TLS_ROUNDS 8	/* moves per wake-up, so one busy client cannot starve the others */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void count_tls_failure(struct conn_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->st.closed_tls++;
	pthread_mutex_unlock(&g->mu);
}

/*
 * The handshake is done: a verified client certificate manages the agent
 * and is counted by its subject; then gRPC gets its end. False: closed.
 */
static bool tls_established(struct conn_gate *g, struct relay *r)
{
	struct tls_peer tp;
	char desc[256];
	unsigned n;

	r->hs_done = true;
	g->handshaking--;
	tls_server_peer(r->ssl, &tp);
	if (tp.verified) {
		snprintf(desc, sizeof(desc), "certificate \"%.150s\" (%.80s)", tp.subject, r->desc);
		pthread_mutex_lock(&g->mu);
		n = client_count_locked(g, tp.key);
		if (!r->root && n >= g->o.max_per_client) {
			g->st.refused_per_client++;
			pthread_mutex_unlock(&g->mu);
			warn_rl(g, W_CLIENT, "gRPC: refused a connection from %s: that client has %u open, the limit "
				"(--server-max-connections-per-client)", desc, g->o.max_per_client);
			relay_close(g, r);
			return false;
		}
		snprintf(r->client, sizeof(r->client), "%s", tp.key);
		snprintf(r->desc, sizeof(r->desc), "%s", desc);
		r->access = RPC_ACCESS_ADMIN;
		pthread_mutex_unlock(&g->mu);
	}
	log_debug("gRPC: TLS connection from %s (%s, %s)", r->desc, access_name(r->access), SSL_get_version(r->ssl));
	r->handed = true;
	g->o.handoff(g->o.ctx, r->gfd);
	return true;
}

/*
 * Move what can move on a TLS relay. SSL_read and SSL_write may each need
 * the client's socket readable or writable (WANT_READ/WANT_WRITE, in either
 * direction); what they wait for is kept and retried on the socket's next
 * event. cev: the events on the client's socket, 0 for gRPC's side.
 */
static void tls_pump(struct conn_gate *g, struct relay *r, uint32_t cev)
{
	size_t i = (size_t)(r - g->relays);
	int rounds = 0, k, e;
	uint32_t iw;
	ssize_t n;

	if (cev)
		r->rd_want = r->wr_want = 0;
	if (!r->hs_done) {
		char pri[3];

		/* a plaintext gRPC client says so at once: tell it apart from a broken handshake */
		if (BIO_number_read(SSL_get_rbio(r->ssl)) == 0 && recv(r->cfd, pri, sizeof(pri), MSG_PEEK) == 3 &&
		    !memcmp(pri, "PRI", 3)) {
			count_tls_failure(g);
			warn_rl(g, W_TLS, "gRPC: closed the connection of %s: it speaks HTTP/2 without TLS, and TCP "
				"clients must use TLS here (--server-tls-cert-file); plaintext clients may use the unix "
				"socket", r->desc);
			goto close;
		}
		ERR_clear_error();
		errno = 0;
		k = SSL_do_handshake(r->ssl);
		if (k != 1) {
			e = SSL_get_error(r->ssl, k);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				char why[320];

				tls_error_reason(r->ssl, why, sizeof(why));
				count_tls_failure(g);
				warn_rl(g, W_TLS, "gRPC: closed the connection of %s: the TLS handshake failed: %s", r->desc,
					why);
				relay_close(g, r);
				return;
			}
			set_mask(g, r, r->cfd, &r->cmask, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT, &g->tags[2 * i]);
			return;
		}
		if (!tls_established(g, r))
			return;
	} else if (cev & (EPOLLERR | EPOLLHUP)) {
		goto close;	/* reset, or gone both ways: nobody is left to answer */
	}
	for (; rounds < TLS_ROUNDS; rounds++) {
		bool moved = false;

		/* client -> gRPC, through the guard */
		if (!r->c2s_len && !r->ieof && !r->rd_want) {
			ERR_clear_error();
			k = SSL_read(r->ssl, r->c2s, C2S_BUF);
			if (k > 0) {
				if (h2_guard_feed(&r->guard, r->c2s, (size_t)k)) {
					pthread_mutex_lock(&g->mu);
					g->st.closed_protocol++;
					pthread_mutex_unlock(&g->mu);
					warn_rl(g, W_PROTO, "gRPC: closed the connection of %s: it sent %s", r->desc,
						r->guard.why);
					goto close;
				}
				r->c2s_len = (size_t)k;
				r->c2s_off = 0;
				moved = true;
			} else {
				e = SSL_get_error(r->ssl, k);
				if (e == SSL_ERROR_WANT_READ)
					r->rd_want = EPOLLIN;
				else if (e == SSL_ERROR_WANT_WRITE)
					r->rd_want = EPOLLOUT;
				else
					goto close;	/* close_notify, end of stream or a TLS error */
			}
		}
		if (r->c2s_len) {
			size_t before = r->c2s_len;

			if (!flush(r->ifd, r->c2s, &r->c2s_len, &r->c2s_off))
				goto close;
			moved |= r->c2s_len != before;
		}
		/* gRPC -> client */
		if (!r->s2c_len && !r->ieof) {
			n = recv(r->ifd, r->s2c, S2C_BUF, 0);
			if (n > 0) {
				r->s2c_len = (size_t)n;
				r->s2c_off = 0;
				moved = true;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				/* its hang-up would wake us until the client has it all */
				r->ieof = true;
				epoll_ctl(g->epfd, EPOLL_CTL_DEL, r->ifd, NULL);
				r->imask = 0;
			}
		}
		if (r->s2c_len && !r->wr_want) {
			ERR_clear_error();
			k = SSL_write(r->ssl, r->s2c + r->s2c_off, (int)r->s2c_len);
			if (k > 0) {
				r->s2c_off += (size_t)k;
				r->s2c_len -= (size_t)k;
				if (!r->s2c_len)
					r->s2c_off = 0;
				moved = true;
			} else {
				e = SSL_get_error(r->ssl, k);
				if (e == SSL_ERROR_WANT_WRITE)
					r->wr_want = EPOLLOUT;
				else if (e == SSL_ERROR_WANT_READ)
					r->wr_want = EPOLLIN;
				else
					goto close;
			}
		}
		/* gRPC is done and everything it said reached the client */
		if (r->ieof && !r->s2c_len) {
			ERR_clear_error();
			SSL_shutdown(r->ssl);
			goto close;
		}
		if (!moved)
			break;
	}
	set_again(g, r, rounds == TLS_ROUNDS);
	set_mask(g, r, r->cfd, &r->cmask, r->rd_want | r->wr_want, &g->tags[2 * i]);
	iw = (r->c2s_len ? EPOLLOUT : 0) | (!r->s2c_len && !r->ieof ? EPOLLIN : 0);
	if (!r->ieof)
		set_mask(g, r, r->ifd, &r->imask, iw, &g->tags[2 * i + 1]);
	return;
close:
	ERR_clear_error();
	relay_close(g, r);
}

/* Handshakes past their deadline are closed (checked about once a second). */
static void sweep_handshakes(struct conn_gate *g)
{
	uint64_t now = now_ms();
	unsigned i;

	if (now < g->next_sweep)
		return;
	g->next_sweep = now + 1000;
	for (i = 0; i < g->nrelays; i++) {
		struct relay *r = &g->relays[i];

		if (!r->used || !r->ssl || r->hs_done || now < r->hs_deadline)
			continue;
		count_tls_failure(g);
		warn_rl(g, W_TLS, "gRPC: closed the connection of %s: its TLS handshake did not finish within %d s",
			r->desc, TLS_HANDSHAKE_TIMEOUT_MS / 1000);
		relay_close(g, r);
	}
}

/* Relays that stopped with work left (TLS_ROUNDS) go on. */
static void pump_again(struct conn_gate *g)
{
	unsigned i;

	for (i = 0; i < g->nrelays && g->n_again; i++) {
		struct relay *r = &g->relays[i];

		if (r->used && r->again) {
			set_again(g, r, false);
			tls_pump(g, r, 0);
		}
	}
}

/* ---- plain relays ---------------------------------------------------------------- */

static void relay_event(struct conn_gate *g, struct relay *r, int fd, uint32_t ev)
{
	ssize_t n;

	if (r->ssl) {
		tls_pump(g, r, fd == r->cfd ? ev : 0);
		return;
	}
	if (fd == r->cfd) {
		if (ev & EPOLLOUT && !flush(r->cfd, r->s2c, &r->s2c_len, &r->s2c_off))
			goto close;
		if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) && !r->c2s_len && !r->ieof) {
			n = recv(r->cfd, r->c2s, C2S_BUF, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				goto close;
			if (n > 0) {
				if (h2_guard_feed(&r->guard, r->c2s, (size_t)n)) {
					pthread_mutex_lock(&g->mu);
					g->st.closed_protocol++;
					pthread_mutex_unlock(&g->mu);
					warn_rl(g, W_PROTO, "gRPC: closed the connection of %s: it sent %s", r->desc,
						r->guard.why);
					goto close;
				}
				r->c2s_len = (size_t)n;
				r->c2s_off = 0;
				if (!flush(r->ifd, r->c2s, &r->c2s_len, &r->c2s_off))
					goto close;
			}
		}
	} else {
		if (ev & EPOLLOUT && !flush(r->ifd, r->c2s, &r->c2s_len, &r->c2s_off))
			goto close;
		if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) && !r->s2c_len && !r->ieof) {
			n = recv(r->ifd, r->s2c, S2C_BUF, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				r->ieof = true;
			} else if (n > 0) {
				r->s2c_len = (size_t)n;
				r->s2c_off = 0;
				if (!flush(r->cfd, r->s2c, &r->s2c_len, &r->s2c_off))
					goto close;
			}
		}
	}
	/* gRPC is done and everything it said reached the client */
	if (r->ieof && !r->s2c_len)
		goto close;
	update_masks(g, r);
	return;
close:
	relay_close(g, r);
}

static void admit(struct conn_gate *g, int fd, bool tcp)
{
	unsigned max = g->o.max_connections, share, i;
	struct epoll_event ev;
	struct relay *r = NULL;
	struct peer_cred p;
	char client[64], desc[128];
	enum rpc_access acc;
	struct stat st;
	int sp[2];
	bool root, tls = tcp && g->tls;

	peer_cred_identify(fd, &p);
	peer_cred_describe(&p, desc, sizeof(desc));
	acc = rights(g, fd, &p);
	root = p.kind != PEER_TCP_REMOTE && p.uid_known && p.uid == 0;
	if (p.kind == PEER_TCP_REMOTE) {
		const char *colon = strrchr(p.addr, ':');

		snprintf(client, sizeof(client), "%.*s", colon ? (int)(colon - p.addr) : (int)strlen(p.addr), p.addr);
	} else if (p.uid_known) {
		snprintf(client, sizeof(client), "uid:%u", (unsigned)p.uid);
	} else {
		snprintf(client, sizeof(client), "unidentified");
	}

	pthread_mutex_lock(&g->mu);
	share = root ? max : max - CONN_GATE_ROOT_RESERVE;
	if (g->open >= share) {
		g->st.refused_total++;
		pthread_mutex_unlock(&g->mu);
		warn_rl(g, W_TOTAL, "gRPC: refused a connection from %s: %u connections are open, the limit%s is %u "
			"(--server-max-connections)", desc, g->open, root ? "" : " for non-root clients", share);
		close(fd);
		return;
	}
	if (!root && client_count_locked(g, client) >= g->o.max_per_client) {
		g->st.refused_per_client++;
		pthread_mutex_unlock(&g->mu);
		warn_rl(g, W_CLIENT, "gRPC: refused a connection from %s: that client has %u open, the limit "
			"(--server-max-connections-per-client)", desc, g->o.max_per_client);
		close(fd);
		return;
	}
	for (i = 0; i < g->nrelays && !r; i++)
		if (!g->relays[i].used)
			r = &g->relays[i];
	pthread_mutex_unlock(&g->mu);
	if (!r) {
		close(fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp)) {
		warn_rl(g, W_FDS, "gRPC: refused a connection from %s: socketpair: %s", desc, strerror(errno));
		pthread_mutex_lock(&g->mu);
		g->st.refused_fds++;
		pthread_mutex_unlock(&g->mu);
		close(fd);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->cfd = fd;
	r->ifd = sp[1];
	r->gfd = sp[0];
	r->c2s = malloc(C2S_BUF);
	r->s2c = malloc(S2C_BUF);
	h2_guard_init(&r->guard, 0);
	fstat(sp[0], &st);
	r->gdev = st.st_dev;
	r->gino = st.st_ino;
	r->access = acc;
	r->root = root;
	snprintf(r->client, sizeof(r->client), "%s", client);
	snprintf(r->desc, sizeof(r->desc), "%s", desc);
	i = (unsigned)(r - g->relays);
	g->tags[2 * i] = (struct ep_tag){ r, fd };
	g->tags[2 * i + 1] = (struct ep_tag){ r, sp[1] };
	r->cmask = EPOLLIN;
	/* a TLS client's gRPC end waits for the handshake */
	r->imask = tls ? 0 : EPOLLIN;
	if (tls) {
		r->ssl = SSL_new(g->tls);
		if (r->ssl && SSL_set_fd(r->ssl, fd) == 1) {
			SSL_set_accept_state(r->ssl);
		} else {
			SSL_free(r->ssl);
			r->ssl = NULL;
		}
		r->hs_deadline = now_ms() + TLS_HANDSHAKE_TIMEOUT_MS;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &g->tags[2 * i];
	errno = 0;
	if (!r->c2s || !r->s2c || (tls && !r->ssl) || epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) ||
	    (ev.events = r->imask, ev.data.ptr = &g->tags[2 * i + 1],
	     epoll_ctl(g->epfd, EPOLL_CTL_ADD, sp[1], &ev))) {
		log_warn("gRPC: cannot serve the connection of %s: %s", desc, strerror(errno ? errno : ENOMEM));
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, fd, NULL);
		SSL_free(r->ssl);
		r->ssl = NULL;
		ERR_clear_error();
		free(r->c2s);
		free(r->s2c);
		close(fd);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	pthread_mutex_lock(&g->mu);
	r->used = true;
	g->open++;
	g->st.accepted++;
	pthread_mutex_unlock(&g->mu);
	log_debug("gRPC: connection from %s (%s)%s%s%s", desc, access_name(acc), tls ? ", TLS handshake" : "",
		  p.uid_known ? "" : ": ", p.uid_known ? "" : p.why);
	if (tls) {
		g->handshaking++;
		return;
	}
	r->handed = true;
	g->o.handoff(g->o.ctx, sp[0]);
}

void conn_gate_peer(struct conn_gate *g, const char *peer, struct conn_gate_peer *out)
{
	char *end;
	long fd;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->access = RPC_ACCESS_PUBLIC;
	snprintf(out->client, sizeof(out->client), "unknown");
	snprintf(out->desc, sizeof(out->desc), "an unknown connection (%s)", peer ? peer : "?");
	if (!peer || strncmp(peer, "fd:", 3))
		return;
	errno = 0;
	fd = strtol(peer + 3, &end, 10);
	if (errno || *end || fd < 0 || fd > INT_MAX)
		return;
	pthread_mutex_lock(&g->mu);
	for (i = 0; i < g->nrelays; i++) {
		struct relay *r = &g->relays[i];
		struct stat st;

		if (!r->used || r->gfd != (int)fd)
			continue;
		if (!fstat(r->gfd, &st) && st.st_ino == r->gino && st.st_dev == r->gdev) {
			out->access = r->access;
			out->root = r->root;
			snprintf(out->client, sizeof(out->client), "%s", r->client);
			snprintf(out->desc, sizeof(out->desc), "%s", r->desc);
		}
		break;
	}
	pthread_mutex_unlock(&g->mu);
}

static struct stream_count *stream_count_locked(struct conn_gate *g, const char *client, bool add)
{
	struct stream_count *free_sc = NULL;
	unsigned i;

	for (i = 0; i < g->nrelays; i++) {
		struct stream_count *sc = &g->scounts[i];

		if (sc->n && !strcmp(sc->client, client))
			return sc;
		if (!sc->n && !free_sc)
			free_sc = sc;
	}
	if (add && free_sc)
		snprintf(free_sc->client, sizeof(free_sc->client), "%s", client);
	return add ? free_sc : NULL;
}

int conn_gate_stream_begin(struct conn_gate *g, const struct conn_gate_peer *p, char *why, size_t len)
{
	struct stream_count *sc;
	int r = 0;

	if (p->root)
		return 0;
	pthread_mutex_lock(&g->mu);
	sc = stream_count_locked(g, p->client, true);
	if (g->st.streams >= CONN_GATE_STREAMS_TOTAL) {
		snprintf(why, len, "non-root clients hold %u event streams, the limit", g->st.streams);
		r = -EBUSY;
	} else if (!sc || sc->n >= CONN_GATE_STREAMS_PER_CLIENT) {
		snprintf(why, len, "%s holds %u event streams, the limit per client", p->desc,
			 CONN_GATE_STREAMS_PER_CLIENT);
		r = -EBUSY;
	} else {
		sc->n++;
		g->st.streams++;
	}
	if (r)
		g->st.refused_streams++;
	pthread_mutex_unlock(&g->mu);
	return r;
}

void conn_gate_stream_end(struct conn_gate *g, const struct conn_gate_peer *p)
{
	struct stream_count *sc;

	if (p->root)
		return;
	pthread_mutex_lock(&g->mu);
	sc = stream_count_locked(g, p->client, false);
	if (sc && sc->n) {
		sc->n--;
		g->st.streams--;
	}
	pthread_mutex_unlock(&g->mu);
}

void conn_gate_deny(struct conn_gate *g, const char *what)
{
	pthread_mutex_lock(&g->mu);
	g->st.denied_calls++;
	pthread_mutex_unlock(&g->mu);
	warn_rl(g, W_DENIED, "gRPC: %s", what);
}

void conn_gate_get_stats(struct conn_gate *g, struct conn_gate_stats *st)
{
	pthread_mutex_lock(&g->mu);
	*st = g->st;
	st->open = g->open;
	pthread_mutex_unlock(&g->mu);
}

/* ---- accepting ------------------------------------------------------------------------- */

static void accept_some(struct conn_gate *g, int lfd)
{
	bool tcp = lfd != g->unix_lfd;
	int i;

	for (i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd >= 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			admit(g, fd, tcp);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && g->spare_fd >= 0) {
			/* take the connection off the queue and refuse it, or the listener spins */
			close(g->spare_fd);
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			g->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			pthread_mutex_lock(&g->mu);
			g->st.refused_fds++;
			pthread_mutex_unlock(&g->mu);
			warn_rl(g, W_FDS, "gRPC: refused a connection: the agent is out of file descriptors (%s)",
				strerror(EMFILE));
			continue;
		}
		return;	/* EAGAIN, or an error the next round retries */
	}
}

static void remove_unix(struct conn_gate *g);

/* On the gate's thread: no more connections; the admitted ones keep being relayed. */
static void stop_listening(struct conn_gate *g)
{
	size_t i;

	for (i = 0; i < g->nl; i++) {
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->lfd[i], NULL);
		close(g->lfd[i]);
	}
	g->nl = 0;
	remove_unix(g);
}

static void *gate_thread(void *arg)
{
	struct conn_gate *g = arg;
	struct epoll_event evs[64];

	for (;;) {
		/* TLS: relays with work left go on at once; handshakes have a deadline */
		int n = epoll_wait(g->epfd, evs, 64, g->n_again ? 0 : g->handshaking ? 1000 : -1), i;

		if (n < 0) {
			if (errno != EINTR) {
				log_error("gRPC: epoll_wait failed: %s", strerror(errno));
				struct timespec ts = { 0, 100000000 };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			struct ep_tag *t = evs[i].data.ptr;

			if (!t->r) {
				if (t->fd == g->stop_pipe[0]) {
					char cmd = 'q';

					if (read(g->stop_pipe[0], &cmd, 1) != 1 || cmd == 'q')
						return NULL;
					stop_listening(g);
					continue;
				}
				accept_some(g, t->fd);
			} else if (t->r->used) {
				relay_event(g, t->r, t->fd, evs[i].events);
			}
		}
		if (g->n_again)
			pump_again(g);
		if (g->handshaking)
			sweep_handshakes(g);
	}
	return NULL;
}

/* ---- listeners ------------------------------------------------------------------------- */

static int add_listener(struct conn_gate *g, int fd)
{
	if (g->nl == MAX_LISTENERS) {
		close(fd);
		return -E2BIG;
	}
	g->lfd[g->nl++] = fd;
	return 0;
}

/* Every address host resolves to (localhost: 127.0.0.1 and ::1), as gRPC did. */
static int listen_tcp(struct conn_gate *g, const char *address, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL, *ai;
	char host[256], *colon;
	int bound = 0, first_err = 0, r;
	bool exposed = false;

	snprintf(host, sizeof(host), "%s", address);
	colon = strrchr(host, ':');
	if (!colon || !colon[1]) {
		snprintf(err, errlen, "cannot listen on %s: want host:port", address);
		return -EINVAL;
	}
	*colon = '\0';
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']') {
			snprintf(err, errlen, "cannot listen on %s: unbalanced [ ]", address);
			return -EINVAL;
		}
		memmove(host, host + 1, l - 2);
		host[l - 2] = '\0';
	}
	r = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (r) {
		snprintf(err, errlen, "cannot listen on %s: %s", address, gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

		if (fd < 0) {
			first_err = first_err ? first_err : errno;
			continue;
		}
		/* a second agent must fail to bind, not share the port */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
			int e = errno;

			close(fd);
			/* one family missing (no IPv6) is fine; a taken port is not */
			if (e == EADDRNOTAVAIL || e == EAFNOSUPPORT) {
				first_err = first_err ? first_err : e;
				continue;
			}
			snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(e));
			freeaddrinfo(res);
			return -e;
		}
		if (add_listener(g, fd)) {
			snprintf(err, errlen, "cannot listen on %s: too many addresses", address);
			freeaddrinfo(res);
			return -E2BIG;
		}
		bound++;
		exposed |= !peer_addr_is_loopback(ai->ai_addr);
	}
	freeaddrinfo(res);
	if (!bound) {
		snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(first_err ? first_err : EADDRNOTAVAIL));
		return -(first_err ? first_err : EADDRNOTAVAIL);
	}
	if (exposed && !g->tls && !g->o.public_only)
		log_warn("gRPC: serving the API on %s without TLS: other hosts can reach it in clear (they get health "
			 "and version only, and cannot be told apart); set --server-tls-cert-file and "
			 "--server-tls-key-file, and --server-tls-client-ca-files for clients that may manage the agent, "
			 "or listen on localhost", address);
	g->has_tcp = true;
	return 0;
}

/* "/proc/self/fd/N/name": a path through a held directory fd, for bind and connect. */
static int fd_path(char *buf, size_t len, int dirfd, const char *name)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Is name (in dirfd) a live socket? A connect that succeeds means another
 * agent serves it; a refused one means a stale file left by a crash.
 */
static int check_socket_path(int dirfd, const char *name, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot use %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "refusing to replace %s: it exists and is not a socket", path);
		return -EEXIST;
	}
	if (fd_path(sa.sun_path, sizeof(sa.sun_path), dirfd, name))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		struct ucred uc;
		socklen_t len = sizeof(uc);

		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) && uc.pid > 0)
			snprintf(err, errlen, "another agent (pid %d) is serving unix://%s: stop it first, or give this "
				 "one another --server-socket", (int)uc.pid, path);
		else
			snprintf(err, errlen, "another agent is serving unix://%s: stop it first, or give this one "
				 "another --server-socket", path);
		r = -EADDRINUSE;
	}
	close(fd);
	return r;
}

static mode_t socket_mode(const struct rpc_access_policy *a)
{
	if (a->public_read)
		return 0666;
	return a->group_set ? 0660 : 0600;
}

/*
 * The socket's directory must be the agent's (safe_path.h: a directory
 * another user owns or can write lets them replace the socket with their
 * own); it is held open and used by fd from here on. The socket is bound
 * in a private directory inside it, given its mode and group, then renamed
 * into place: nobody can connect before the mode is right.
 */
static int listen_unix(struct conn_gate *g, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char why[SAFE_WHY_MAX], tmpname[64], *name = NULL;
	struct stat st;
	int dirfd, tmpfd = -1, fd = -1, r;
	unsigned rnd;

	if (path[0] != '/' || strlen(path) >= 100) {
		snprintf(err, errlen, "unix socket path \"%s\" must be absolute and shorter than 100 bytes", path);
		return -EINVAL;
	}
	dirfd = safe_parent_open(path, SAFE_MKDIR, &name, why, sizeof(why));
	if (dirfd < 0) {
		snprintf(err, errlen, "refusing to create the unix socket %s: %s", path, why);
		return dirfd;
	}
	r = check_socket_path(dirfd, name, path, err, errlen);
	if (r)
		goto out;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned)getpid() ^ (unsigned)time(NULL);
	snprintf(tmpname, sizeof(tmpname), ".tetragon-sock-%08x", rnd);
	if (mkdirat(dirfd, tmpname, 0700)) {
		r = -errno;
		snprintf(err, errlen, "cannot create a directory beside %s: %s", path, strerror(errno));
		goto out;
	}
	tmpfd = openat(dirfd, tmpname, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tmpfd < 0 || fd < 0 || fd_path(sa.sun_path, sizeof(sa.sun_path), tmpfd, "s") ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    fchmodat(tmpfd, "s", socket_mode(&g->o.access), 0) ||
	    (g->o.access.group_set && fchownat(tmpfd, "s", 0, g->o.access.group, AT_SYMLINK_NOFOLLOW)) ||
	    renameat(tmpfd, "s", dirfd, name) || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		r = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot create unix socket %s: %s", path, strerror(-r));
		if (tmpfd >= 0)
			unlinkat(tmpfd, "s", 0);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	unlinkat(dirfd, tmpname, AT_REMOVEDIR);
	if (fd < 0)
		goto out;
	g->unix_dev = st.st_dev;
	g->unix_ino = st.st_ino;
	g->unix_path = strdup(path);
	g->unix_dirfd = dirfd;
	g->unix_name = name;
	dirfd = -1;
	name = NULL;
	g->unix_lfd = fd;
	r = add_listener(g, fd);
out:
	if (tmpfd >= 0)
		close(tmpfd);
	if (dirfd >= 0)
		close(dirfd);
	free(name);
	return r;
}

/* Remove our socket, unless another agent has replaced it since. */
static void remove_unix(struct conn_gate *g)
{
	struct stat st;

	if (!g->unix_path)
		return;
	if (!fstatat(g->unix_dirfd, g->unix_name, &st, AT_SYMLINK_NOFOLLOW) && st.st_ino == g->unix_ino &&
	    st.st_dev == g->unix_dev)
		unlinkat(g->unix_dirfd, g->unix_name, 0);
	close(g->unix_dirfd);
	free(g->unix_name);
	free(g->unix_path);
	g->unix_path = NULL;
}

bool conn_gate_has_tcp(const struct conn_gate *g)
{
	return g && g->has_tcp;
}

/*
 * Room for the connections and the agent's own files: raise the soft
 * descriptor limit to the hard one, and keep the connection bound well
 * below it.
 */
static void size_fd_limit(struct conn_gate *g)
{
	struct rlimit rl;
	/* a connection holds three: the client's socket and both ends of its relay */
	unsigned want = 3 * g->o.max_connections + 1024, fit;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return;
	fit = rl.rlim_cur > 1024 + 6 * CONN_GATE_ROOT_RESERVE ? ((unsigned)rl.rlim_cur - 1024) / 3 :
								       2 * CONN_GATE_ROOT_RESERVE;
	log_warn("gRPC: the descriptor limit is %llu (RLIMIT_NOFILE): serving at most %u connections, not %u, to keep "
		 "1024 for the agent's own work", (unsigned long long)rl.rlim_cur, fit, g->o.max_connections);
	g->o.max_connections = fit;
}

int conn_gate_open(struct conn_gate **out, const struct conn_gate_opts *o, char *err, size_t errlen)
{
	struct conn_gate *g;
	int r = 0;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	g->o = *o;
	g->epfd = -1;
	g->spare_fd = -1;
	g->unix_lfd = -1;
	if (!g->o.max_connections)
		g->o.max_connections = CONN_GATE_DEFAULT_MAX;
	if (g->o.max_connections < 2 * CONN_GATE_ROOT_RESERVE)
		g->o.max_connections = 2 * CONN_GATE_ROOT_RESERVE;
	if (!g->o.max_per_client)
		g->o.max_per_client = CONN_GATE_DEFAULT_PER_CLIENT;
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	pthread_mutex_init(&g->mu, NULL);
	size_fd_limit(g);
	g->nrelays = g->o.max_connections;
	g->relays = calloc(g->nrelays, sizeof(*g->relays));
	g->tags = calloc(2 * (size_t)g->nrelays, sizeof(*g->tags));
	g->scounts = calloc(g->nrelays, sizeof(*g->scounts));
	g->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!g->relays || !g->tags || !g->scounts || g->epfd < 0 || pipe2(g->stop_pipe, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot set up the listeners: %s", strerror(errno ? errno : ENOMEM));
		conn_gate_close(g);
		return -ENOMEM;
	}
	if (tls_server_configured(&o->tls)) {
		r = tls_server_check(&o->tls, err, errlen);
		if (r) {
			conn_gate_close(g);
			return r;
		}
		if (!o->tcp_address || !*o->tcp_address) {
			snprintf(err, errlen, "--server-tls-* configure TLS on the TCP listener, and there is none "
				 "(the unix socket is never TLS): set --server-address to host:port");
			conn_gate_close(g);
			return -EINVAL;
		}
		r = tls_server_ctx_new(&o->tls, &g->tls, err, errlen);
		if (r) {
			conn_gate_close(g);
			return r;
		}
	}
	if (o->tcp_address && *o->tcp_address) {
		char terr[256];

		r = listen_tcp(g, o->tcp_address, terr, sizeof(terr));
		if (r && o->tcp_optional) {
			log_warn("gRPC: %s; serving on the unix socket only", terr);
			r = 0;
		} else if (r) {
			snprintf(err, errlen, "%s", terr);
		}
	}
	if (!r && o->unix_path)
		r = listen_unix(g, o->unix_path, err, errlen);
	if (r) {
		conn_gate_close(g);
		return r;
	}
	*out = g;
	return 0;
}

int conn_gate_start(struct conn_gate *g, char *err, size_t errlen)
{
	sigset_t all, old;
	size_t i;
	int r;

	g->ltags[0] = (struct ep_tag){ NULL, g->stop_pipe[0] };
	for (i = 0; i < g->nl; i++)
		g->ltags[i + 1] = (struct ep_tag){ NULL, g->lfd[i] };
	for (i = 0; i <= g->nl; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &g->ltags[i] };

		if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->ltags[i].fd, &ev)) {
			r = -errno;
			snprintf(err, errlen, "cannot watch the listeners: %s", strerror(errno));
			return r;
		}
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&g->thread, NULL, gate_thread, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, errlen, "cannot start the accept thread: %s", strerror(r));
		return -r;
	}
	g->started = true;
	return 0;
}

void conn_gate_stop_accepting(struct conn_gate *g)
{
	if (g && g->started && write(g->stop_pipe[1], "a", 1) != 1)
		log_warn("gRPC: cannot stop accepting connections: %s", strerror(errno));
}

void conn_gate_close(struct conn_gate *g)
{
	size_t i;

	if (!g)
		return;
	if (g->started) {
		unsigned open = 1;
		int waited;

		/* let the last words of closed connections (statuses, GOAWAY) reach their clients */
		for (waited = 0; waited < 200 && open; waited++) {
			struct timespec ts = { 0, 10000000 };

			pthread_mutex_lock(&g->mu);
			open = g->open;
			pthread_mutex_unlock(&g->mu);
			if (open)
				nanosleep(&ts, NULL);
		}
		if (write(g->stop_pipe[1], "q", 1) != 1)
			log_warn("gRPC: cannot stop the connection thread: %s", strerror(errno));
		pthread_join(g->thread, NULL);
	}
	for (i = 0; i < g->nl; i++)
		close(g->lfd[i]);
	remove_unix(g);
	for (i = 0; g->relays && i < g->nrelays; i++)
		if (g->relays[i].used)
			relay_close(g, &g->relays[i]);
	if (g->epfd >= 0)
		close(g->epfd);
	if (g->stop_pipe[0] >= 0)
		close(g->stop_pipe[0]);
	if (g->stop_pipe[1] >= 0)
		close(g->stop_pipe[1]);
	if (g->spare_fd >= 0)
		close(g->spare_fd);
	pthread_mutex_destroy(&g->mu);
	free(g->relays);
	free(g->tags);
	free(g->scounts);
	SSL_CTX_free(g->tls);
	free(g);
}
