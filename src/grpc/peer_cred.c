// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "grpc/peer_cred.h"

static bool v4_mapped(const struct in6_addr *a)
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a->s6_addr, pfx, sizeof(pfx));
}

bool peer_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return v4_mapped(a) && a->s6_addr[12] == 127;
	}
	return false;
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "family %d", ss->ss_family);
	}
}

/* Port and address bytes of an IPv4/IPv6 endpoint, IPv4-mapped IPv6 as IPv4. */
static int endpoint(const struct sockaddr_storage *ss, int *family, __be16 *port, __be32 addr[4])
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		*family = AF_INET;
		*port = s4->sin_port;
		addr[0] = s4->sin_addr.s_addr;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		*port = s6->sin6_port;
		if (v4_mapped(&s6->sin6_addr)) {
			*family = AF_INET;
			memcpy(&addr[0], &s6->sin6_addr.s6_addr[12], 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &s6->sin6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * The owner of the client end of a loopback connection: sock_diag looks the
 * socket up by its exact 4-tuple (its local end is our peer). Only an
 * established full socket counts: time-wait and request sockets report
 * uid 0, which would make a closed connection look like root's.
 */
static int loopback_owner(const struct sockaddr_storage *peer, const struct sockaddr_storage *local, uid_t *uid,
			  char *why, size_t whylen)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} resp;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	int pfam, lfam, nl, r = -EIO;
	__be16 pport, lport;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	if (endpoint(peer, &pfam, &pport, req.r.id.idiag_src) || endpoint(local, &lfam, &lport, req.r.id.idiag_dst) ||
	    pfam != lfam) {
		snprintf(why, whylen, "unexpected address family");
		return -EAFNOSUPPORT;
	}
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (__u8)pfam;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = pport;
	req.r.id.idiag_dport = lport;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0) {
		snprintf(why, whylen, "sock_diag: %s", strerror(errno));
		return -errno;
	}
	setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(why, whylen, "sock_diag: %s", strerror(errno));
		goto out;
	}
	n = recv(nl, &resp, sizeof(resp), 0);
	if (n < 0) {
		r = -errno;
		snprintf(why, whylen, "sock_diag: %s", strerror(errno));
		goto out;
	}
	if (!NLMSG_OK(&resp.nlh, (size_t)n)) {
		snprintf(why, whylen, "sock_diag: short answer");
		goto out;
	}
	if (resp.nlh.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&resp.nlh);

		r = e->error ? e->error : -ENOENT;
		snprintf(why, whylen, "the client socket was not found (%s)", strerror(-r));
		goto out;
	}
	if (resp.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    resp.nlh.nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
		snprintf(why, whylen, "sock_diag: unexpected answer");
		goto out;
	}
	{
		const struct inet_diag_msg *m = NLMSG_DATA(&resp.nlh);

		if (m->idiag_state != TCP_ESTABLISHED) {
			snprintf(why, whylen, "the client socket is no longer connected (state %u)", m->idiag_state);
			r = -ENOTCONN;
			goto out;
		}
		if (m->id.idiag_sport != pport || m->id.idiag_dport != lport) {
			snprintf(why, whylen, "sock_diag answered for another socket");
			goto out;
		}
		*uid = m->idiag_uid;
		r = 0;
	}
out:
	close(nl);
	return r;
}

void peer_cred_identify(int fd, struct peer_cred *p)
{
	struct sockaddr_storage peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);

	memset(p, 0, sizeof(*p));
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) || getsockname(fd, (struct sockaddr *)&local, &llen)) {
		p->kind = PEER_TCP_REMOTE;
		snprintf(p->why, sizeof(p->why), "getpeername: %s", strerror(errno));
		return;
	}
	if (peer.ss_family == AF_UNIX) {
		struct ucred uc;
		socklen_t ulen = sizeof(uc);

		p->kind = PEER_UNIX;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen)) {
			snprintf(p->why, sizeof(p->why), "SO_PEERCRED: %s", strerror(errno));
			return;
		}
		p->uid_known = true;
		p->uid = uc.uid;
		p->pid = uc.pid;
		return;
	}
	format_addr(&peer, p->addr, sizeof(p->addr));
	if (!peer_addr_is_loopback((struct sockaddr *)&peer)) {
		p->kind = PEER_TCP_REMOTE;
		snprintf(p->why, sizeof(p->why), "a remote peer");
		return;
	}
	p->kind = PEER_TCP_LOOPBACK;
	if (!loopback_owner(&peer, &local, &p->uid, p->why, sizeof(p->why)))
		p->uid_known = true;
}

int peer_unix_groups(int fd, gid_t *gids, int max)
{
	socklen_t len = (socklen_t)(max * (int)sizeof(gid_t));

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len))
		return -errno;
	return (int)(len / sizeof(gid_t));
}

bool peer_uid_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *pwp = NULL;
	gid_t groups[256];
	int n = 256, i;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) || !pwp)
		return false;
	if (pw.pw_gid == gid)
		return true;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

void peer_cred_describe(const struct peer_cred *p, char *buf, size_t len)
{
	char who[48];

	if (p->uid_known)
		snprintf(who, sizeof(who), "uid %u", (unsigned)p->uid);
	else
		snprintf(who, sizeof(who), "an unidentified client");
	switch (p->kind) {
	case PEER_UNIX:
		if (p->pid)
			snprintf(buf, len, "%s (pid %d) on the unix socket", who, (int)p->pid);
		else
			snprintf(buf, len, "%s on the unix socket", who);
		break;
	case PEER_TCP_LOOPBACK:
		snprintf(buf, len, "%s over loopback TCP from %s", who, p->addr);
		break;
	case PEER_TCP_REMOTE:
		snprintf(buf, len, "remote TCP peer %s", p->addr);
		break;
	}
}
