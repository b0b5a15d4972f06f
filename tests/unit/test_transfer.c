/* test_transfer.c — curl's multi interface on sd-event against a tiny HTTP
 * server living in the same event loop (127.0.0.1, a kernel-chosen port):
 * a transfer completes and calls done once; a done callback may start the
 * next transfer; refused connections and timeouts are reported; freeing the
 * engine with transfers in flight aborts them (abort_fn, never done) and
 * leaks nothing (the ASan build checks that). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "contactwatch/transfer.h"

#define MAX_CLIENTS 64

typedef struct server {
	int listen_fd;
	uint16_t port;
	bool hang;                         /* accept, read, never answer */
	unsigned requests;                 /* complete requests seen */
	sd_event_source *listen_source;
	sd_event_source *clients[MAX_CLIENTS];
	int client_fds[MAX_CLIENTS];
	char bufs[MAX_CLIENTS][2048];
	size_t lens[MAX_CLIENTS];
} server;

typedef struct fixture {
	sd_event *event;
	transfer_engine *engine;
	server srv;
	unsigned done_calls, aborts, chain_left;
	CURLcode last_result;
	long last_status;
	char url[64];
} fixture;

static void client_close(server *s, size_t i)
{
	s->clients[i] = sd_event_source_disable_unref(s->clients[i]);
	if (s->client_fds[i] >= 0)
		close(s->client_fds[i]);
	s->client_fds[i] = -1;
	s->lens[i] = 0;
}

static int on_client(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	server *s = userdata;
	size_t i = 0;
	(void)revents;

	while (i < MAX_CLIENTS && s->clients[i] != es)
		i++;
	assert_true(i < MAX_CLIENTS);
	ssize_t n = read(fd, s->bufs[i] + s->lens[i], sizeof s->bufs[i] - 1 - s->lens[i]);
	if (n <= 0) {
		client_close(s, i);
		return 0;
	}
	s->lens[i] += (size_t)n;
	s->bufs[i][s->lens[i]] = '\0';
	if (!strstr(s->bufs[i], "\r\n\r\n"))
		return 0;
	s->requests++;
	if (s->hang) {
		/* Keep the connection open and silent; stop reading it. */
		(void)sd_event_source_set_enabled(es, SD_EVENT_OFF);
		return 0;
	}
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	assert_int_equal(write(fd, reply, sizeof reply - 1), (ssize_t)(sizeof reply - 1));
	client_close(s, i);
	return 0;
}

static int on_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	server *s = userdata;
	(void)es;
	(void)revents;

	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return 0;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (!s->clients[i]) {
			s->client_fds[i] = c;
			assert_int_equal(sd_event_add_io(sd_event_source_get_event(es), &s->clients[i], c, EPOLLIN,
							 on_client, s),
					 0);
			return 0;
		}
	close(c);
	return 0;
}

static void server_start(sd_event *e, server *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;

	for (size_t i = 0; i < MAX_CLIENTS; i++)
		s->client_fds[i] = -1;
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->listen_fd, 64), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(sd_event_add_io(e, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s), 0);
}

static void server_stop(server *s)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i])
			client_close(s, i);
	s->listen_source = sd_event_source_disable_unref(s->listen_source);
	close(s->listen_fd);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	assert_int_equal(sd_event_new(&fx->event), 0);
	server_start(fx->event, &fx->srv);
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%u/hook", (unsigned)fx->srv.port);
	assert_int_equal(transfer_engine_new(fx->event, &fx->engine), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	fx->engine = transfer_engine_free(fx->engine, NULL);
	server_stop(&fx->srv);
	sd_event_unref(fx->event);
	free(fx);
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Runs the loop until no transfer is in flight or the deadline passes;
 * returns the microseconds it took. */
static uint64_t run_until_idle(fixture *fx, uint64_t max_usec)
{
	uint64_t start = now_usec();
	while (transfer_in_flight(fx->engine) > 0 && now_usec() - start < max_usec)
		assert_true(sd_event_run(fx->event, 100000) >= 0);
	return now_usec() - start;
}

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * n;
}

static CURL *easy_new(const fixture *fx, long timeout_ms)
{
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, fx->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* The body goes nowhere: this test is about the engine. */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	return c;
}

static void on_done(CURL *easy, CURLcode result, void *userdata)
{
	fixture *fx = userdata;

	fx->done_calls++;
	fx->last_result = result;
	fx->last_status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &fx->last_status);
	curl_easy_cleanup(easy);
}

static void test_one_transfer(void **state)
{
	fixture *fx = *state;

	assert_int_equal(transfer_start(fx->engine, easy_new(fx, 5000), on_done, fx), 0);
	assert_int_equal(transfer_in_flight(fx->engine), 1);
	assert_int_equal(fx->done_calls, 0); /* never from inside transfer_start */
	run_until_idle(fx, 5000000);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->last_result, CURLE_OK);
	assert_int_equal(fx->last_status, 200);
	assert_int_equal(fx->srv.requests, 1);
}

static void on_done_chain(CURL *easy, CURLcode result, void *userdata)
{
	fixture *fx = userdata;

	on_done(easy, result, userdata);
	if (fx->chain_left > 0) {
		fx->chain_left--;
		assert_int_equal(transfer_start(fx->engine, easy_new(fx, 5000), on_done_chain, fx), 0);
	}
}

static void test_done_starts_next(void **state)
{
	fixture *fx = *state;

	fx->chain_left = 4;
	assert_int_equal(transfer_start(fx->engine, easy_new(fx, 5000), on_done_chain, fx), 0);
	run_until_idle(fx, 10000000);
	assert_int_equal(fx->done_calls, 5);
	assert_int_equal(fx->srv.requests, 5);
	assert_int_equal(fx->last_status, 200);
}

static void test_many_concurrent(void **state)
{
	fixture *fx = *state;

	for (int i = 0; i < 40; i++)
		assert_int_equal(transfer_start(fx->engine, easy_new(fx, 5000), on_done, fx), 0);
	assert_int_equal(transfer_in_flight(fx->engine), 40);
	run_until_idle(fx, 10000000);
	assert_int_equal(fx->done_calls, 40);
	assert_int_equal(fx->srv.requests, 40);
}

static void test_refused(void **state)
{
	fixture *fx = *state;

	/* A port nobody listens on: our own listener, closed. */
	fx->srv.listen_source = sd_event_source_disable_unref(fx->srv.listen_source);
	close(fx->srv.listen_fd);
	fx->srv.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(transfer_start(fx->engine, easy_new(fx, 5000), on_done, fx), 0);
	run_until_idle(fx, 5000000);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->last_result, CURLE_COULDNT_CONNECT);
	assert_int_equal(fx->last_status, 0);
}

static void test_timeout(void **state)
{
	fixture *fx = *state;

	fx->srv.hang = true;
	assert_int_equal(transfer_start(fx->engine, easy_new(fx, 300), on_done, fx), 0);
	uint64_t took = run_until_idle(fx, 5000000);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->last_result, CURLE_OPERATION_TIMEDOUT);
	/* The timer fires when curl asks, not 250 ms later. */
	assert_true(took >= 290000);
	assert_true(took < 1000000);
}

static void on_abort(void *userdata)
{
	fixture *fx = userdata;
	fx->aborts++;
}

static void test_free_aborts_in_flight(void **state)
{
	fixture *fx = *state;

	fx->srv.hang = true;
	for (int i = 0; i < 3; i++)
		assert_int_equal(transfer_start(fx->engine, easy_new(fx, 60000), on_done, fx), 0);
	/* Let them connect and send, so sockets are watched when we free. */
	uint64_t start = now_usec();
	while (fx->srv.requests < 3 && now_usec() - start < 5000000)
		assert_true(sd_event_run(fx->event, 100000) >= 0);
	assert_int_equal(fx->srv.requests, 3);
	assert_int_equal(transfer_in_flight(fx->engine), 3);
	fx->engine = transfer_engine_free(fx->engine, on_abort);
	assert_null(fx->engine);
	assert_int_equal(fx->aborts, 3);
	assert_int_equal(fx->done_calls, 0);
	/* The loop runs on without the engine's sources. */
	assert_true(sd_event_run(fx->event, 10000) >= 0);
	assert_int_equal(transfer_engine_new(fx->event, &fx->engine), 0);
}

static void test_free_null_and_idle(void **state)
{
	(void)state;
	assert_null(transfer_engine_free(NULL, NULL));
	assert_int_equal(transfer_in_flight(NULL), 0);
	assert_int_equal(transfer_start(NULL, NULL, on_done, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_starts_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_aborts_in_flight, setup, teardown),
		cmocka_unit_test(test_free_null_and_idle),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
