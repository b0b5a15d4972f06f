/* deliver_remote.c — one attempt at a webhook or smtp channel as a curl easy
 * handle: the request (webhook.h, mail.h), its credentials, and settings no
 * channel may loosen (TLS verification always on, no redirects, only the
 * channel's own protocols, bounded time); then the outcome curl reports,
 * classified by retry.h. outbox.c owns the when; this file the how. */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "contactwatch/credential.h"
#include "contactwatch/deliver_remote.h"
#include "contactwatch/hash.h"
#include "contactwatch/mail.h"
#include "contactwatch/parse.h"
#include "contactwatch/webhook.h"

/* Where Debian's ca-certificates keeps the hashed system CAs. */
#define REMOTE_SYSTEM_CA_PATH "/etc/ssl/certs"
#define REMOTE_USER_AGENT "contactwatch/" CW_VERSION

static size_t on_header(char *buf, size_t size, size_t n, void *userdata)
{
	remote_attempt *a = userdata;
	size_t len = size * n;
	static const char name[] = "Retry-After:";

	/* A status line starts a new response: forget an interim one's headers. */
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		a->retry_after[0] = '\0';
	} else if (len > sizeof name - 1 && strncasecmp(buf, name, sizeof name - 1) == 0) {
		const char *v = buf + sizeof name - 1, *end = buf + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		size_t vlen = (size_t)(end - v);
		bool printable = true;
		/* The server's text ends up in last_error and the journal: only
		 * printable ASCII is kept (a date or a number is all it can be). */
		for (const char *p = v; p < end; p++)
			printable = printable && *p >= 0x20 && *p < 0x7f;
		if (printable && vlen < sizeof a->retry_after) {
			memcpy(a->retry_after, v, vlen);
			a->retry_after[vlen] = '\0';
		}
	}
	return len;
}

/* The receiver's answer body is not needed: the status says it all. */
static size_t on_write(char *buf, size_t size, size_t n, void *userdata)
{
	(void)buf;
	(void)userdata;
	return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userdata)
{
	remote_attempt *a = userdata;
	size_t want = size * n, left = a->payload_len - a->payload_off;
	size_t k = want < left ? want : left;

	memcpy(buf, a->payload + a->payload_off, k);
	a->payload_off += k;
	return k;
}

static int read_credential(const char *key, const char *name, char **ret, size_t *ret_len,
			   char err[static REMOTE_ERROR_MAX])
{
	int r = credential_read(name, ret, ret_len);
	if (r >= 0)
		return 0;
	if (r == -ENOMEM)
		return r;
	snprintf(err, REMOTE_ERROR_MAX, "%s=%s: %s", key, name,
		 r == -ENOKEY   ? "no credentials: $CREDENTIALS_DIRECTORY is not set (LoadCredential=)"
		 : r == -ENOENT ? "not found in $CREDENTIALS_DIRECTORY (LoadCredential=)"
				: strerror(-r));
	return -ENOKEY;
}

/* Settings every remote attempt gets, whatever the channel says. */
static CURLcode setopt_common(CURL *e, const channel_config *ch, remote_attempt *a)
{
	long timeout_ms = (long)(ch->timeout_usec / 1000u);
	long connect_ms = timeout_ms > 0 && timeout_ms < REMOTE_CONNECT_TIMEOUT_MS ? timeout_ms
										    : REMOTE_CONNECT_TIMEOUT_MS;
	CURLcode c = CURLE_OK;

#define SET(opt, val)                                        \
	do {                                                 \
		if (c == CURLE_OK)                           \
			c = curl_easy_setopt(e, (opt), (val)); \
	} while (0)
	SET(CURLOPT_URL, ch->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	/* CAINFO replaces the default bundle; keeping CAPATH on the system's
	 * hashed directory makes CAFile= an addition (a private CA for an
	 * internal receiver) rather than the only CA trusted. */
	if (ch->ca_file) {
		SET(CURLOPT_CAINFO, ch->ca_file);
		SET(CURLOPT_CAPATH, REMOTE_SYSTEM_CA_PATH);
	}
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_ERRORBUFFER, a->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, a);
#undef SET
	return c;
}

static int prepare_webhook(const channel_config *ch, const json_t *alert, const char *idem_key, remote_attempt *a,
			   CURL *e, char err[static REMOTE_ERROR_MAX])
{
	webhook_request req = { 0 };
	char *secret = NULL, *h = NULL;
	size_t secret_len = 0;
	int r;

	if (ch->secret_credential) {
		r = read_credential("SecretCredential", ch->secret_credential, &secret, &secret_len, err);
		if (r < 0)
			return r;
		if (secret_len == 0) {
			credential_free(secret, secret_len);
			snprintf(err, REMOTE_ERROR_MAX, "SecretCredential=%s: empty", ch->secret_credential);
			return -ENOKEY;
		}
	}
	r = webhook_request_build(ch, alert, idem_key, secret, secret_len, &req);
	credential_free(secret, secret_len);
	if (r < 0) {
		snprintf(err, REMOTE_ERROR_MAX, "cannot build the webhook body: %s", strerror(-r));
		return r;
	}
	a->payload = TAKE_PTR(req.body);
	a->payload_len = req.body_len;

	static const char *const fixed[] = { "Content-Type: application/json", "Expect:" };
	struct curl_slist *l;
	for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
		if (!(l = curl_slist_append(a->headers, fixed[i])))
			goto oom;
		a->headers = l;
	}
	if (asprintf(&h, "Idempotency-Key: %s", req.idempotency_key) < 0 || !(l = curl_slist_append(a->headers, h)))
		goto oom;
	a->headers = l;
	h = mfree(h);
	if (req.signature[0]) {
		if (asprintf(&h, "X-Contactwatch-Signature: %s", req.signature) < 0 ||
		    !(l = curl_slist_append(a->headers, h)))
			goto oom;
		a->headers = l;
		h = mfree(h);
	}
	webhook_request_done(&req);

	CURLcode c = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_POST, 1L);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->payload);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->payload_len);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_USERAGENT, REMOTE_USER_AGENT);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
	if (c != CURLE_OK) {
		snprintf(err, REMOTE_ERROR_MAX, "curl: %s", curl_easy_strerror(c));
		return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	return 0;
oom:
	free(h);
	webhook_request_done(&req);
	snprintf(err, REMOTE_ERROR_MAX, "out of memory");
	return -ENOMEM;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A digest's Message-ID seed: the same set of deliveries gives the same
 * message, whatever order the queue returned them in. */
static int digest_seed(const char *const *keys, size_t n, char ret[static 65])
{
	const char **sorted = malloc(n * sizeof(const char *));
	hash_sha256 *h = hash_sha256_new();
	int r = 0;

	if (!sorted || !h) {
		r = -ENOMEM;
		goto done;
	}
	memcpy(sorted, keys, n * sizeof(const char *));
	qsort(sorted, n, sizeof(const char *), cmp_str);
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = hash_sha256_update(h, sorted[i], strlen(sorted[i]));
		if (r >= 0)
			r = hash_sha256_update(h, "\n", 1);
	}
	if (r >= 0)
		r = hash_sha256_final_hex(h, ret);
done:
	hash_sha256_free(h);
	free(sorted);
	return r;
}

static int prepare_smtp(const channel_config *ch, json_t *const *alerts, const char *const *idem_keys, size_t n,
			int64_t now, remote_attempt *a, CURL *e, char err[static REMOTE_ERROR_MAX])
{
	char digest[65];
	const char *seed = idem_keys[0];
	char *user = NULL, *pass = NULL;
	size_t user_len = 0, pass_len = 0;
	CURLcode c = CURLE_OK;
	int r;

	if (n > 1) {
		r = digest_seed(idem_keys, n, digest);
		if (r < 0) {
			snprintf(err, REMOTE_ERROR_MAX, "out of memory");
			return r;
		}
		seed = digest;
	}
	r = mail_message_build(ch, alerts, n, now, seed, &a->payload, &a->payload_len);
	if (r < 0) {
		snprintf(err, REMOTE_ERROR_MAX, "cannot build the message: %s", strerror(-r));
		return r;
	}
	for (char **to = ch->to; to && *to; to++) {
		struct curl_slist *l = curl_slist_append(a->rcpts, *to);
		if (!l) {
			snprintf(err, REMOTE_ERROR_MAX, "out of memory");
			return -ENOMEM;
		}
		a->rcpts = l;
	}
	if (ch->username_credential) {
		r = read_credential("UsernameCredential", ch->username_credential, &user, &user_len, err);
		if (r < 0)
			return r;
	}
	if (ch->password_credential) {
		r = read_credential("PasswordCredential", ch->password_credential, &pass, &pass_len, err);
		if (r < 0) {
			credential_free(user, user_len);
			return r;
		}
	}
	/* curl copies string options: the secrets are wiped right after. */
	if (user)
		c = curl_easy_setopt(e, CURLOPT_USERNAME, user);
	if (c == CURLE_OK && pass)
		c = curl_easy_setopt(e, CURLOPT_PASSWORD, pass);
	credential_free(user, user_len);
	credential_free(pass, pass_len);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_USE_SSL,
				     config_url_is_loopback(ch->url) ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_MAIL_FROM, ch->from);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_MAIL_RCPT, a->rcpts);
	/* One refused address (a typo, a colleague who left) must not keep the
	 * alert from the others: curl then fails only when every recipient is
	 * refused. (Spelt with three L: the name of Debian 12's curl 7.88,
	 * which later versions keep as an alias.) */
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_READDATA, a);
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->payload_len);
	if (c != CURLE_OK) {
		snprintf(err, REMOTE_ERROR_MAX, "curl: %s", curl_easy_strerror(c));
		return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int deliver_remote_prepare(const channel_config *ch, json_t *const *alerts, const char *const *idem_keys, size_t n,
			   int64_t now, remote_attempt *a, CURL **ret, char err[static REMOTE_ERROR_MAX])
{
	CURL *e = NULL;
	int r;

	err[0] = '\0';
	if (n == 0 || (ch->type == CHANNEL_WEBHOOK && n != 1) || (ch->type != CHANNEL_WEBHOOK && ch->type != CHANNEL_SMTP)) {
		snprintf(err, REMOTE_ERROR_MAX, "channel %s is not a remote channel", ch->name);
		return -EINVAL;
	}
	a->type = ch->type;
	e = curl_easy_init();
	if (!e) {
		snprintf(err, REMOTE_ERROR_MAX, "out of memory");
		return -ENOMEM;
	}
	CURLcode c = setopt_common(e, ch, a);
	if (c != CURLE_OK) {
		snprintf(err, REMOTE_ERROR_MAX, "curl: %s", curl_easy_strerror(c));
		r = c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
		goto fail;
	}
	r = ch->type == CHANNEL_WEBHOOK ? prepare_webhook(ch, alerts[0], idem_keys[0], a, e, err)
					: prepare_smtp(ch, alerts, idem_keys, n, now, a, e, err);
	if (r < 0)
		goto fail;
	*ret = e;
	return 0;
fail:
	curl_easy_cleanup(e);
	deliver_remote_done(a);
	return r;
}

retry_outcome deliver_remote_result(const remote_attempt *a, CURL *easy, CURLcode result, int64_t now,
				    uint64_t *ret_retry_after_usec, char err[static REMOTE_ERROR_MAX])
{
	long code = 0;
	retry_outcome out;

	(void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	*ret_retry_after_usec = 0;
	err[0] = '\0';
	if (a->type == CHANNEL_WEBHOOK) {
		/* A transfer that broke off has no trustworthy status. */
		out = retry_classify_http(result == CURLE_OK ? code : 0);
		if (result == CURLE_OK && out != RETRY_DELIVERED) {
			*ret_retry_after_usec = retry_parse_retry_after(a->retry_after, now);
			if (a->retry_after[0])
				snprintf(err, REMOTE_ERROR_MAX, "HTTP %ld (Retry-After: %s)", code, a->retry_after);
			else
				snprintf(err, REMOTE_ERROR_MAX, "HTTP %ld", code);
			return out;
		}
	} else {
		out = retry_classify_smtp((int)result, code);
	}
	if (out == RETRY_DELIVERED)
		return out;
	if (result == CURLE_OK)
		snprintf(err, REMOTE_ERROR_MAX, "SMTP reply %ld", code);
	else if (code > 0)
		snprintf(err, REMOTE_ERROR_MAX, "%.200s (reply %ld)", a->errbuf[0] ? a->errbuf : curl_easy_strerror(result),
			 code);
	else
		snprintf(err, REMOTE_ERROR_MAX, "%.200s", a->errbuf[0] ? a->errbuf : curl_easy_strerror(result));
	return out;
}

void deliver_remote_done(remote_attempt *a)
{
	if (!a)
		return;
	a->payload = mfree(a->payload);
	a->payload_len = a->payload_off = 0;
	curl_slist_free_all(a->headers);
	curl_slist_free_all(a->rcpts);
	a->headers = a->rcpts = NULL;
}
