/* transfer.c — libcurl's multi_socket interface on sd-event: curl tells us
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION → one IO source each) and
 * when to call it back (CURLMOPT_TIMERFUNCTION → one CLOCK_MONOTONIC timer);
 * we hand events back with curl_multi_socket_action and finish transfers
 * from curl_multi_info_read. Owns the easy handles while they run.
 *
 * curl_global_init(CURL_GLOBAL_DEFAULT) is main()'s job, once, before the
 * engine exists: it is not thread-safe and initialises OpenSSL process-wide. */
#include <errno.h>
#include <sys/epoll.h>

#include "contactwatch/transfer.h"

/* One transfer in flight: found from the easy handle via CURLOPT_PRIVATE
 * (callers of transfer_start must leave that option to the engine). */
typedef struct transfer {
	CURL *easy;
	transfer_done_fn done;
	void *userdata;
	struct transfer *prev, *next;
} transfer;

/* One socket curl asked us to watch; curl_multi_assign links it to the
 * socket so the socket callback finds it again. Listed, so the engine can
 * drop sources curl never asked to remove. */
typedef struct watch {
	sd_event_source *source;
	curl_socket_t fd;
	struct watch *prev, *next;
} watch;

struct transfer_engine {
	sd_event *event;
	CURLM *multi;
	sd_event_source *timer;
	transfer *transfers;
	size_t n_transfers;
	watch *watches;
};

/* Timer slack: sd-event's default accuracy (250 ms) would add up to a quarter
 * second to every curl timeout, connection set-up included. */
#define TRANSFER_TIMER_ACCURACY_USEC 1000u

static void engine_finish_done(transfer_engine *t)
{
	CURLMsg *msg;
	int left;

	/* A done callback may start transfers (curl_multi_add_handle only
	 * schedules them via the timer), so reading on after it is safe. */
	while ((msg = curl_multi_info_read(t->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with curl_multi_remove_handle: copy what we need first. */
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		char *priv = NULL;
		transfer *x;

		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
			continue; /* not ours: cannot happen, every handle goes through transfer_start */
		x = (transfer *)(void *)priv;
		curl_multi_remove_handle(t->multi, easy);
		if (x->prev)
			x->prev->next = x->next;
		else
			t->transfers = x->next;
		if (x->next)
			x->next->prev = x->prev;
		t->n_transfers--;
		transfer_done_fn done = x->done;
		void *userdata = x->userdata;
		free(x);
		done(easy, result, userdata);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	transfer_engine *t = userdata;
	int mask = 0, running;
	(void)s;

	if (revents & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	/* May call on_socket, which may unref this very source: sd-event keeps
	 * a dispatching source alive until its callback returns. */
	(void)curl_multi_socket_action(t->multi, fd, mask, &running);
	engine_finish_done(t);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	transfer_engine *t = userdata;
	int running;
	(void)s;
	(void)usec;

	(void)curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	engine_finish_done(t);
	return 0;
}

static void watch_free(transfer_engine *t, watch *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		t->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	sd_event_source_disable_unref(w->source);
	free(w);
}

static uint32_t epoll_events(int what)
{
	switch (what) {
	case CURL_POLL_IN:
		return EPOLLIN;
	case CURL_POLL_OUT:
		return EPOLLOUT;
	case CURL_POLL_INOUT:
		return EPOLLIN | EPOLLOUT;
	default:
		return 0;
	}
}

/* CURLMOPT_SOCKETFUNCTION. Must not call back into curl_multi_*. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	transfer_engine *t = userp;
	watch *w = socketp;
	int r;
	(void)easy;

	if (what == CURL_POLL_REMOVE) {
		if (w) {
			curl_multi_assign(t->multi, fd, NULL);
			watch_free(t, w);
		}
		return 0;
	}
	uint32_t events = epoll_events(what);
	if (w) {
		r = sd_event_source_set_io_events(w->source, events);
		if (r >= 0)
			r = sd_event_source_set_enabled(w->source, SD_EVENT_ON);
		return r < 0 ? -1 : 0;
	}
	w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	w->fd = fd;
	r = sd_event_add_io(t->event, &w->source, fd, events, on_io, t);
	if (r < 0) {
		free(w);
		return -1; /* curl fails that transfer with CURLE_ABORTED_BY_CALLBACK */
	}
	(void)sd_event_source_set_description(w->source, "curl-socket");
	if (curl_multi_assign(t->multi, fd, w) != CURLM_OK) {
		sd_event_source_disable_unref(w->source);
		free(w);
		return -1;
	}
	w->next = t->watches;
	if (w->next)
		w->next->prev = w;
	t->watches = w;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 disarms, 0 means "call me as soon as you can"
 * (never from inside this callback: curl forbids that). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	transfer_engine *t = userp;
	uint64_t now;
	int r;
	(void)multi;

	if (timeout_ms < 0)
		return sd_event_source_set_enabled(t->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	r = sd_event_now(t->event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_source_set_time(t->timer, now + (uint64_t)timeout_ms * 1000u);
	if (r >= 0)
		r = sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
	return r < 0 ? -1 : 0;
}

int transfer_engine_new(sd_event *event, transfer_engine **ret)
{
	transfer_engine *t = calloc(1, sizeof *t);
	int r;

	if (!t)
		return -ENOMEM;
	t->event = sd_event_ref(event);
	t->multi = curl_multi_init();
	if (!t->multi) {
		r = -ENOMEM;
		goto fail;
	}
	r = sd_event_add_time(event, &t->timer, CLOCK_MONOTONIC, UINT64_MAX, TRANSFER_TIMER_ACCURACY_USEC, on_timer,
			      t);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(t->timer, "curl-timer");
	r = sd_event_source_set_enabled(t->timer, SD_EVENT_OFF);
	if (r < 0)
		goto fail;
	if (curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t) != CURLM_OK ||
	    curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t) != CURLM_OK) {
		r = -EINVAL;
		goto fail;
	}
	*ret = t;
	return 0;
fail:
	transfer_engine_free(t, NULL);
	return r;
}

transfer_engine *transfer_engine_free(transfer_engine *t, void (*abort_fn)(void *userdata))
{
	if (!t)
		return NULL;
	/* Abort first, while the callbacks still find the engine: removing a
	 * handle may close sockets (CURL_POLL_REMOVE) and re-arm the timer. */
	while (t->transfers) {
		transfer *x = t->transfers;
		t->transfers = x->next;
		if (t->transfers)
			t->transfers->prev = NULL;
		curl_multi_remove_handle(t->multi, x->easy);
		curl_easy_cleanup(x->easy);
		if (abort_fn)
			abort_fn(x->userdata);
		free(x);
	}
	t->n_transfers = 0;
	if (t->multi)
		curl_multi_cleanup(t->multi);
	/* Sockets of cached connections curl closed without a REMOVE. */
	for (watch *w = t->watches, *next; w; w = next) {
		next = w->next;
		sd_event_source_disable_unref(w->source);
		free(w);
	}
	t->watches = NULL;
	sd_event_source_disable_unref(t->timer);
	sd_event_unref(t->event);
	free(t);
	return NULL;
}

int transfer_start(transfer_engine *t, CURL *easy, transfer_done_fn done, void *userdata)
{
	transfer *x;

	if (!t || !easy || !done)
		return -EINVAL;
	x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->easy = easy;
	x->done = done;
	x->userdata = userdata;
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x) != CURLE_OK) {
		free(x);
		return -EINVAL;
	}
	/* add_handle only arms the timer (at 0): the transfer begins on the
	 * next loop iteration, so done is never called from in here. */
	CURLMcode mc = curl_multi_add_handle(t->multi, easy);
	if (mc != CURLM_OK) {
		(void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	x->next = t->transfers;
	if (x->next)
		x->next->prev = x;
	t->transfers = x;
	t->n_transfers++;
	return 0;
}

size_t transfer_in_flight(const transfer_engine *t)
{
	return t ? t->n_transfers : 0;
}
