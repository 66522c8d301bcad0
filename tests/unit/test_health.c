// SPDX-License-Identifier: Apache-2.0
/*
 * The health server (grpc/health.h) on a private loopback port, asked with
 * the project's gRPC client: Check of "", "liveness" and an unknown
 * service, nothing else served on the port, and Watch following a stuck
 * and then recovered event loop (a heartbeat the test moves).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "grpc/health.h"
#include "grpc/rpc.h"
#include "health/health.pb-c.h"
#include "tetragon/sensors.pb-c.h"

static uint64_t beat;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* a loopback port nothing listens on now */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_evaluate(void **state)
{
	(void)state;
	/* stuck: no tick for three intervals plus the grace */
	assert_int_equal(HEALTH_STALE_INTERVALS, 3);
	assert_int_equal(health_evaluate(10000, 10000, 1), HEALTH_SERVING);
	assert_int_equal(health_evaluate(10000 + 3000 + HEALTH_GRACE_MS, 10000, 1), HEALTH_SERVING);
	assert_int_equal(health_evaluate(10000 + 3001 + HEALTH_GRACE_MS, 10000, 1), HEALTH_NOT_SERVING);
	assert_int_equal(health_evaluate(100000 + 30000 + HEALTH_GRACE_MS, 100000, 10), HEALTH_SERVING);
	assert_int_equal(health_evaluate(100000 + 30001 + HEALTH_GRACE_MS, 100000, 10), HEALTH_NOT_SERVING);
	/* a beat newer than now (read races the loop) is alive */
	assert_int_equal(health_evaluate(5, 10, 1), HEALTH_SERVING);
}

static int check(struct rpc_client *c, const char *service, struct rpc_status *st)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int status;

	req.service = (char *)service;
	if (rpc_client_call(c, "/grpc.health.v1.Health/Check", &req.base,
			    &grpc__health__v1__health_check_response__descriptor, &resp, 5000, st))
		return -1;
	status = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
	protobuf_c_message_free_unpacked(resp, NULL);
	return status;
}

static int next_status(struct rpc_cstream *cs)
{
	ProtobufCMessage *m = NULL;
	struct rpc_status st;
	int status;

	if (rpc_cstream_next(cs, &grpc__health__v1__health_check_response__descriptor, &m, &st) != 1)
		return -1;
	status = ((Grpc__Health__V1__HealthCheckResponse *)m)->status;
	protobuf_c_message_free_unpacked(m, NULL);
	return status;
}

static void test_server(void **state)
{
	char addr[64], err[512];
	struct health_server *h;
	struct rpc_client *c;
	struct rpc_status st;
	struct health_opts o = { .address = addr, .interval_s = 1, .heartbeat_ms = &beat };
	Grpc__Health__V1__HealthCheckRequest wreq = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Tetragon__GetHealthStatusRequest hreq = TETRAGON__GET_HEALTH_STATUS_REQUEST__INIT;
	struct rpc_cstream *cs = NULL, *cs2 = NULL;
	ProtobufCMessage *resp = NULL;
	uint64_t t0;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	__atomic_store_n(&beat, mono_ms(), __ATOMIC_RELAXED);
	assert_int_equal(health_server_start(&h, &o, err, sizeof(err)), 0);
	assert_non_null(h);
	assert_int_equal(rpc_client_open(&c, addr, NULL, err, sizeof(err)), 0);

	assert_int_equal(check(c, "", &st), HEALTH_SERVING);
	assert_int_equal(check(c, "liveness", &st), HEALTH_SERVING);
	assert_int_equal(check(c, "tetragon.FineGuidanceSensors", &st), -1);
	assert_int_equal(st.code, RPC_NOT_FOUND);
	assert_string_equal(st.message, "unknown service");
	/* the port serves nothing else: not the agent's API */
	assert_int_not_equal(rpc_client_call(c, "/tetragon.FineGuidanceSensors/GetHealth", &hreq.base,
					     &tetragon__get_health_status_response__descriptor, &resp, 5000, &st), 0);
	assert_int_equal(st.code, RPC_UNIMPLEMENTED);
	assert_string_equal(st.message, "unknown service tetragon.FineGuidanceSensors");

	/* Watch: the current status at once; an unknown service SERVICE_UNKNOWN */
	wreq.service = "liveness";
	assert_int_equal(rpc_cstream_start(c, "/grpc.health.v1.Health/Watch", &wreq.base, &cs, NULL, &st), 0);
	assert_int_equal(next_status(cs), HEALTH_SERVING);
	wreq.service = "nope";
	assert_int_equal(rpc_cstream_start(c, "/grpc.health.v1.Health/Watch", &wreq.base, &cs2, NULL, &st), 0);
	assert_int_equal(next_status(cs2), HEALTH_SERVICE_UNKNOWN);
	rpc_cstream_free(cs2);

	/* the loop stops ticking: NOT_SERVING within interval + grace + one evaluation */
	t0 = mono_ms();
	__atomic_store_n(&beat, t0 - 10000, __ATOMIC_RELAXED);
	assert_int_equal(next_status(cs), HEALTH_NOT_SERVING);
	assert_true(mono_ms() - t0 <= 2500);
	assert_int_equal(check(c, "liveness", &st), HEALTH_NOT_SERVING);
	assert_int_equal(check(c, "", &st), HEALTH_NOT_SERVING);
	/* it ticks again */
	__atomic_store_n(&beat, mono_ms() + 60000, __ATOMIC_RELAXED);
	assert_int_equal(next_status(cs), HEALTH_SERVING);
	assert_int_equal(check(c, "liveness", &st), HEALTH_SERVING);

	/* stopping: watchers hear NOT_SERVING or the end of the call */
	health_server_stop(h);
	{
		int last = next_status(cs);

		assert_true(last == HEALTH_NOT_SERVING || last == -1);
	}
	rpc_cstream_free(cs);
	rpc_client_close(c);
}

static void test_taken_port(void **state)
{
	char addr[64], err[512];
	struct health_server *h1, *h2;
	struct health_opts o = { .address = addr, .interval_s = 5, .heartbeat_ms = &beat };

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	assert_int_equal(health_server_start(&h1, &o, err, sizeof(err)), 0);
	/* given explicitly: an error naming the address */
	assert_int_not_equal(health_server_start(&h2, &o, err, sizeof(err)), 0);
	assert_null(h2);
	assert_non_null(strstr(err, addr));
	assert_non_null(strstr(err, "Address already in use"));
	/* the default: only a warning, no server */
	o.optional = true;
	assert_int_equal(health_server_start(&h2, &o, err, sizeof(err)), 0);
	assert_null(h2);
	health_server_stop(h1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_taken_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
