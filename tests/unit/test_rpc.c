// SPDX-License-Identifier: Apache-2.0
/*
 * The rpc.h transport (gRPC C-core server and client) in one process, over a
 * unix socket in a temporary directory: unary calls, errors, unknown methods,
 * a server stream with its bounded queue, client cancellation and shutdown.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "grpc/rpc.h"
#include "tetragon/sensors.pb-c.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rpc_stream *open_stream;
static int closed_streams;
static char sock[128], dir[64];

static struct rpc_blob *version(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	Tetragon__GetVersionResponse r = TETRAGON__GET_VERSION_RESPONSE__INIT;

	(void)req;
	(void)st;
	r.version = ctx;
	return rpc_blob_pack(&r.base);
}

static struct rpc_blob *failing(void *ctx, const ProtobufCMessage *req, struct rpc_status *st)
{
	(void)ctx;
	(void)req;
	rpc_status_set(st, RPC_NOT_FOUND, "no policy named %s", "x");
	return NULL;
}

static int stream_open(void *ctx, struct rpc_stream *s, const ProtobufCMessage *req, struct rpc_status *st)
{
	const Tetragon__GetEventsRequest *r = (const Tetragon__GetEventsRequest *)req;

	(void)ctx;
	if (r->n_deny_list) {
		rpc_status_set(st, RPC_INVALID_ARGUMENT, "deny lists refused here");
		return -EINVAL;
	}
	pthread_mutex_lock(&mu);
	open_stream = s;
	pthread_mutex_unlock(&mu);
	return 0;
}

static void stream_closed(void *ctx, struct rpc_stream *s)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
	if (open_stream == s)
		open_stream = NULL;
	closed_streams++;
	pthread_mutex_unlock(&mu);
}

static const struct rpc_method methods[] = {
	{ "/t.S/Version", RPC_ACCESS_PUBLIC, &tetragon__get_version_request__descriptor, version, NULL },
	{ "/t.S/Fail", RPC_ACCESS_PUBLIC, &tetragon__get_version_request__descriptor, failing, NULL },
	{ "/t.S/Stream", RPC_ACCESS_PUBLIC, &tetragon__get_events_request__descriptor, NULL, stream_open },
};

static struct rpc_server *start(void)
{
	struct rpc_service svc = {
		.methods = methods, .nmethods = 3, .service_prefix = "/t.S/", .ctx = "v1.2.3",
		.stream_closed = stream_closed,
	};
	struct rpc_server_opts o = { .unix_path = sock, .stream_queue_len = 2 };
	struct rpc_server *s = NULL;
	char err[256];
	struct stat st;

	if (rpc_server_start(&s, &o, &svc, err, sizeof(err)))
		fail_msg("server: %s", err);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_false(rpc_server_has_tcp(s));
	return s;
}

static struct rpc_client *connect_client(void)
{
	struct rpc_client *c = NULL;
	char target[160], err[256];

	snprintf(target, sizeof(target), "unix://%s", sock);
	if (rpc_client_open(&c, target, NULL, err, sizeof(err)))
		fail_msg("client: %s", err);
	return c;
}

static void test_unary(void **state)
{
	Tetragon__GetVersionRequest req = TETRAGON__GET_VERSION_REQUEST__INIT;
	struct rpc_server *s = start();
	struct rpc_client *c = connect_client();
	struct rpc_status st;
	ProtobufCMessage *m;

	(void)state;
	assert_int_equal(rpc_client_call(c, "/t.S/Version", &req.base, &tetragon__get_version_response__descriptor,
					 &m, 5000, &st), 0);
	assert_string_equal(((Tetragon__GetVersionResponse *)m)->version, "v1.2.3");
	protobuf_c_message_free_unpacked(m, NULL);

	assert_int_equal(rpc_client_call(c, "/t.S/Fail", &req.base, &tetragon__get_version_response__descriptor, &m,
					 5000, &st), -EIO);
	assert_int_equal(st.code, RPC_NOT_FOUND);
	assert_string_equal(st.message, "no policy named x");

	assert_int_equal(rpc_client_call(c, "/t.S/Nope", &req.base, &tetragon__get_version_response__descriptor, &m,
					 5000, &st), -EIO);
	assert_int_equal(st.code, RPC_UNIMPLEMENTED);
	assert_string_equal(st.message, "unknown method Nope for service t.S");
	assert_int_equal(rpc_client_call(c, "/other.Svc/X", &req.base, &tetragon__get_version_response__descriptor,
					 &m, 5000, &st), -EIO);
	assert_int_equal(st.code, RPC_UNIMPLEMENTED);
	assert_string_equal(st.message, "unknown service other.Svc");
	rpc_client_close(c);
	rpc_server_stop(s);
	assert_int_equal(access(sock, F_OK), -1);	/* the socket is gone */
}

static struct rpc_stream *wait_stream(void)
{
	struct rpc_stream *s;
	int i;

	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&mu);
		s = open_stream;
		pthread_mutex_unlock(&mu);
		if (s)
			return s;
		usleep(10000);
	}
	fail_msg("the stream did not open");
	return NULL;
}

static struct rpc_blob *event_blob(const char *node)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;

	ev.node_name = (char *)node;
	return rpc_blob_pack(&ev.base);
}

static void test_stream(void **state)
{
	Tetragon__GetEventsRequest req = TETRAGON__GET_EVENTS_REQUEST__INIT;
	struct rpc_server *srv = start();
	struct rpc_client *c = connect_client();
	struct rpc_blob *a = event_blob("a"), *b = event_blob("b"), *x = event_blob("x");
	struct rpc_cstream *cs = NULL;
	struct rpc_status st;
	struct rpc_stream *s;
	ProtobufCMessage *m;
	int i, closed;

	(void)state;
	closed_streams = 0;
	assert_int_equal(rpc_cstream_start(c, "/t.S/Stream", &req.base, &cs, NULL, &st), 0);
	s = wait_stream();
	/* queue of two: the third is dropped, and nothing is sent before a kick */
	assert_int_equal(rpc_stream_send(s, a), 0);
	assert_int_equal(rpc_stream_send(s, b), 0);
	assert_int_equal(rpc_stream_send(s, x), -ENOBUFS);
	rpc_stream_kick(s);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rpc_cstream_next(cs, &tetragon__get_events_response__descriptor, &m, &st), 1);
		assert_string_equal(((Tetragon__GetEventsResponse *)m)->node_name, i ? "b" : "a");
		protobuf_c_message_free_unpacked(m, NULL);
	}
	/* a message shared by a stream outlives the sender's reference */
	assert_int_equal(rpc_stream_send(s, x), 0);
	rpc_blob_unref(x);
	rpc_stream_kick(s);
	assert_int_equal(rpc_cstream_next(cs, &tetragon__get_events_response__descriptor, &m, &st), 1);
	assert_string_equal(((Tetragon__GetEventsResponse *)m)->node_name, "x");
	protobuf_c_message_free_unpacked(m, NULL);

	/* the client goes away: the service hears of it */
	rpc_cstream_free(cs);
	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&mu);
		closed = closed_streams;
		pthread_mutex_unlock(&mu);
		if (closed)
			break;
		usleep(10000);
	}
	assert_int_equal(closed, 1);

	/* a refused stream reports the service's status */
	{
		Tetragon__Filter f = TETRAGON__FILTER__INIT, *fv[1] = { &f };

		req.deny_list = fv;
		req.n_deny_list = 1;
		assert_int_equal(rpc_cstream_start(c, "/t.S/Stream", &req.base, &cs, NULL, &st), 0);
		assert_int_equal(rpc_cstream_next(cs, &tetragon__get_events_response__descriptor, &m, &st), -EIO);
		assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
		assert_string_equal(st.message, "deny lists refused here");
		rpc_cstream_free(cs);
		req.deny_list = NULL;
		req.n_deny_list = 0;
	}

	/* server shutdown with a stream open: it is closed, the client sees the end */
	assert_int_equal(rpc_cstream_start(c, "/t.S/Stream", &req.base, &cs, NULL, &st), 0);
	s = wait_stream();
	assert_int_equal(rpc_stream_send(s, a), 0);
	rpc_server_stop(srv);
	pthread_mutex_lock(&mu);
	assert_null(open_stream);
	pthread_mutex_unlock(&mu);
	while ((i = rpc_cstream_next(cs, &tetragon__get_events_response__descriptor, &m, &st)) == 1)
		protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(i, -EIO);
	rpc_cstream_free(cs);
	rpc_client_close(c);
	rpc_blob_unref(a);
	rpc_blob_unref(b);
}

static void test_unreachable(void **state)
{
	Tetragon__GetVersionRequest req = TETRAGON__GET_VERSION_REQUEST__INIT;
	struct rpc_client *c = connect_client();	/* nobody listens */
	struct rpc_cstream *cs = NULL;
	struct rpc_status st;
	ProtobufCMessage *m;

	(void)state;
	assert_int_equal(rpc_client_call(c, "/t.S/Version", &req.base, &tetragon__get_version_response__descriptor,
					 &m, 5000, &st), -EIO);
	assert_int_equal(st.code, RPC_UNAVAILABLE);
	assert_int_not_equal(rpc_cstream_start(c, "/t.S/Stream", &req.base, &cs, NULL, &st), 0);
	assert_int_equal(st.code, RPC_UNAVAILABLE);
	rpc_client_close(c);
}

static void test_bad_listen(void **state)
{
	struct rpc_service svc = { .methods = methods, .nmethods = 3 };
	struct rpc_server_opts o = { .tcp_address = "256.1.1.1:1" };
	struct rpc_server *s = NULL;
	char err[256];

	(void)state;
	assert_int_not_equal(rpc_server_start(&s, &o, &svc, err, sizeof(err)), 0);
	assert_null(s);
	assert_non_null(strstr(err, "cannot listen on 256.1.1.1:1"));
	o.tcp_address = NULL;
	o.unix_path = "relative.sock";
	assert_int_equal(rpc_server_start(&s, &o, &svc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "must be absolute"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unary),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_bad_listen),
	};
	int r;

	snprintf(dir, sizeof(dir), "/tmp/tg-rpc-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(sock);
	rmdir(dir);
	return r;
}
