/* loop.c — contactwatchd's sd-event loop: the scan timer (re-armed after each
 * pass so passes never overlap), the outbox kicked after each pass (its
 * transfers and retry timer live in the same loop), SIGTERM/SIGINT for a
 * clean stop, SIGHUP for a reload that keeps the old config when the new
 * one is broken, the watchdog, and sd_notify READY/STATUS/RELOADING/STOPPING. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "contactwatch/daemon.h"
#include "contactwatch/date.h"
#include "contactwatch/log.h"

static void notify_status(daemon_ctx *d)
{
	const scan_stats *s = &d->last_stats;
	char when[16] = "";
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof when, "%H:%M:%S", &tm);
	sd_notifyf(false,
		   "STATUS=Last scan at %s: %u employee(s) in window, %u file(s) read, %u rejected, "
		   "%u unchanged, %u new alert(s)",
		   when, s->employees, s->files_processed, s->files_rejected, s->files_unchanged, s->alerts_new);
}

static int arm_scan_timer(daemon_ctx *d, uint64_t usec)
{
	int r = sd_event_source_set_time_relative(d->scan_timer, usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(d->scan_timer, SD_EVENT_ONESHOT);
}

static int on_scan_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	daemon_ctx *d = userdata;
	(void)s;
	(void)usec;

	sd_notify(false, "STATUS=Scanning");
	/* A state database error is logged by the pass; the next pass retries. */
	(void)daemon_scan_once(d, false);
	/* New alerts' deliveries are due now; errors are logged by the outbox. */
	(void)outbox_kick(d->outbox, false);
	notify_status(d);
	/* Re-arm only now, so a pass longer than ScanInterval never overlaps the next. */
	int r = arm_scan_timer(d, d->cfg->scan_interval_usec);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot re-arm the scan timer");
	return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	daemon_ctx *d = userdata;
	(void)s;
	log_info("received %s, stopping", strsignal((int)si->ssi_signo));
	sd_notify(false, "STOPPING=1");
	return sd_event_exit(d->event, 0);
}

static uint64_t now_monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	daemon_ctx *d = userdata;
	diag_list diag = { 0 };
	config *fresh = NULL;
	scan_indexes idx = { 0 };
	int32_t today = date_today();
	int r;
	(void)s;
	(void)si;

	sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading configuration",
		   (unsigned long long)now_monotonic_usec());
	r = config_load(d->config_path, &diag, &fresh);
	if (r < 0) {
		daemon_print_diag(&diag);
		log_error("reload of %s failed (%d error(s)); keeping the running configuration",
			  d->config_path, (int)diag_n_errors(&diag));
		goto done;
	}
	for (char **w = diag.warnings; w && *w; w++)
		log_warning("%s", *w);
	r = scan_indexes_build(fresh, today, &idx);
	if (r < 0) {
		log_errno(LOG_ERR, r, "reload: cannot index the relations; keeping the running configuration");
		config_free(fresh);
		goto done;
	}
	if (!streq(fresh->state_dir, d->cfg->state_dir))
		log_warning("StateDirectory= changed to %s; the state database moves only on restart",
			    fresh->state_dir);
	log_set_max_level(fresh->log_level);
	scan_indexes_done(&d->indexes);
	/* Before the old config goes: transfers in flight keep only copies. */
	outbox_set_config(d->outbox, fresh);
	config_free(d->cfg);
	d->cfg = fresh;
	d->indexes = idx;
	d->index_day = today;
	log_info("configuration reloaded: %zu employee(s), %zu channel(s)", fresh->n_employees, fresh->n_channels);
	/* A channel may be new or fixed (URL, credentials): try what is due. */
	(void)outbox_kick(d->outbox, false);
	/* A new config may shorten ScanInterval: count it from now. */
	r = arm_scan_timer(d, 0);
	if (r < 0)
		log_errno(LOG_ERR, r, "cannot re-arm the scan timer");
done:
	diag_done(&diag);
	sd_notify(false, "READY=1");
	notify_status(d);
	return 0;
}

int loop_run(daemon_ctx *d)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_errno(LOG_ERR, errno, "sigprocmask"), CW_EXIT_CONFIG;

	r = sd_event_default(&d->event);
	if (r < 0)
		goto fail;
	r = sd_event_add_signal(d->event, NULL, SIGTERM, on_terminate, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, on_terminate, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload, d);
	if (r >= 0)
		r = sd_event_add_time_relative(d->event, &d->scan_timer, CLOCK_MONOTONIC, 0, 0, on_scan_timer, d);
	if (r >= 0)
		r = sd_event_set_watchdog(d->event, true);
	if (r >= 0)
		r = outbox_new(d->event, d->cfg, d->store, &d->outbox);
	if (r < 0)
		goto fail;

	sd_notifyf(false, "READY=1\nSTATUS=Started: %zu employee(s) configured", d->cfg->n_employees);
	log_info("started: %zu employee(s), scanning every %llus", d->cfg->n_employees,
		 (unsigned long long)(d->cfg->scan_interval_usec / 1000000u));
	/* The first pass runs at once and kicks the outbox after it: rows
	 * queued before a restart go then. */
	r = sd_event_loop(d->event);
	if (r < 0)
		goto fail;
	return d->exit_code;
fail:
	log_errno(LOG_ERR, r, "event loop failed");
	return CW_EXIT_CONFIG;
}

int loop_run_deliveries(daemon_ctx *d)
{
	int r;

	r = sd_event_default(&d->event);
	if (r >= 0)
		r = sd_event_set_watchdog(d->event, true);
	if (r >= 0)
		r = outbox_new(d->event, d->cfg, d->store, &d->outbox);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot set up delivery");
		return CW_EXIT_CONFIG;
	}
	if (outbox_kick(d->outbox, true) < 0)
		return CW_EXIT_STATE; /* logged */
	/* Ends: every attempt is bounded by its Timeout=, and each row is
	 * tried once however many times it fails. A kick that failed (the
	 * database busy for longer than its timeout) is tried again a few
	 * times, so --once never exits 0 with rows it did not try. */
	for (unsigned failed = 0;;) {
		if (outbox_in_flight(d->outbox) > 0) {
			r = sd_event_run(d->event, UINT64_MAX);
			if (r < 0)
				return log_errno(LOG_ERR, r, "event loop failed"), CW_EXIT_CONFIG;
			continue;
		}
		if (!outbox_pending(d->outbox))
			return CW_EXIT_OK;
		if (outbox_kick(d->outbox, true) < 0 && ++failed >= 3)
			return CW_EXIT_STATE; /* logged */
	}
}
