/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is at the other end of an accepted API connection, as the kernel
 * tells it: SO_PEERCRED/SO_PEERGROUPS on the unix socket, and on loopback
 * TCP the owner of the client's socket (sock_diag looks it up by its
 * address and port). Remote TCP peers are only an address.
 */
#ifndef TG_GRPC_PEER_CRED_H
#define TG_GRPC_PEER_CRED_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

enum peer_kind {
	PEER_UNIX,		/* the unix socket: credentials from SO_PEERCRED */
	PEER_TCP_LOOPBACK,	/* loopback TCP: the client socket's owner (sock_diag) */
	PEER_TCP_REMOTE,	/* any other TCP peer: no local identity */
};

struct peer_cred {
	enum peer_kind kind;
	bool uid_known;		/* false: the lookup failed, the peer is nobody in particular */
	uid_t uid;
	pid_t pid;		/* unix socket only, 0 otherwise */
	char addr[64];		/* "127.0.0.1:41234", "[::1]:41234", "" for unix */
	char why[96];		/* why uid_known is false */
};

/*
 * Identify the peer of the connected socket fd. Never fails: an unknown
 * identity is reported as such (uid_known false, why set).
 */
void peer_cred_identify(int fd, struct peer_cred *p);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool peer_addr_is_loopback(const struct sockaddr *sa);

/*
 * Is uid a member of gid (primary group or in the group database)? For
 * unix peers the caller should prefer the connection's own groups.
 */
bool peer_uid_in_group(uid_t uid, gid_t gid);

/* The supplementary groups of a unix socket peer (SO_PEERGROUPS); -errno. */
int peer_unix_groups(int fd, gid_t *gids, int max);

/* "uid 65534 (pid 123) on the unix socket", "uid 0 over loopback TCP from 127.0.0.1:4000" */
void peer_cred_describe(const struct peer_cred *p, char *buf, size_t len);

#endif
