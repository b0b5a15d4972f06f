/* test_store.c — the state database against real files in a temporary
 * directory: creation and migration, files, alerts and history, filters,
 * the outbox of deliveries, read-only use, refusals (newer schema, garbage,
 * foreign db) and locking. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "contactwatch/store.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct fixture {
	char dir[64];
	char path[128];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, STORE_FILE_NAME);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	return 0;
}

/* A second, plain sqlite connection: looks at the file behind the module's back. */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *slurp(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rbe");
	char *buf;
	long n;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*ret_n = (size_t)n;
	return buf;
}

static store *open_rw(const fixture *fx)
{
	store *s = NULL;
	assert_int_equal(store_open(fx->path, 0, &s), 0);
	assert_non_null(s);
	return s;
}

static store_file file_row(const char *employee, const char *sha, int64_t received_at)
{
	return (store_file){
		.employee = employee,
		.source = "inbox",
		.path = "/var/lib/contactwatch/inbox/E1/Connections.csv",
		.sha256 = sha,
		.size = 1234,
		.format = "linkedin",
		.received_at = received_at,
		.status = "processed",
		.records = 812,
	};
}

static store_alert alert_row(const char *key, const char *employee, int64_t created_at,
			     int64_t file_id)
{
	return (store_alert){
		.key = key,
		.employee = employee,
		.relation = "R002",
		.severity = "high",
		.classification = "in_window",
		.created_at = created_at,
		.file_id = file_id,
		.body = "{\"score\":1.0}",
	};
}

static void test_create(void **state)
{
	fixture *fx = *state;
	mode_t old = umask(0); /* the 0600 must not come from the umask */
	store *s = open_rw(fx);
	struct stat st;
	sqlite3 *db;

	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	{
		/* sqlite gives the WAL files the database's mode. */
		char wal[160];
		sqlite3 *w = raw_open(fx->path);
		assert_int_equal(sqlite3_exec(w, "CREATE TEMP TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
		snprintf(wal, sizeof wal, "%s-wal", fx->path);
		assert_int_equal(stat(wal, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		sqlite3_close(w);
	}
	umask(old);

	db = raw_open(fx->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				     " AND name IN ('files', 'alerts', 'history')"),
			 3);
	{
		sqlite3_stmt *q = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	assert_string_equal(store_last_error(s), "no error");
	assert_null(store_close(s));
	assert_null(store_close(NULL));

	/* Reopening a current database migrates nothing and works. */
	s = open_rw(fx);
	store_close(s);
}

static void test_files(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	store_file f = file_row("E1", SHA_A, 100);
	int64_t id1 = 0, id2 = 0;
	bool known = true;

	assert_int_equal(store_file_known(s, "E1", SHA_A, &known), 0);
	assert_false(known);
	assert_int_equal(store_file_insert(s, &f, &id1), 0);
	assert_true(id1 > 0);
	assert_int_equal(store_file_known(s, "E1", SHA_A, &known), 0);
	assert_true(known);
	/* Per employee: the same export sent for someone else is not known. */
	assert_int_equal(store_file_known(s, "E2", SHA_A, &known), 0);
	assert_false(known);
	assert_int_equal(store_file_known(s, "E1", SHA_B, &known), 0);
	assert_false(known);

	assert_int_equal(store_file_insert(s, &f, NULL), -EEXIST);
	assert_non_null(strstr(store_last_error(s), "UNIQUE"));

	f = file_row("E2", SHA_A, 200);
	f.status = "rejected";
	f.format = NULL;
	f.error = "Connections.csv:3: no header";
	assert_int_equal(store_file_insert(s, &f, &id2), 0);
	assert_true(id2 > id1);

	f = file_row("E3", SHA_A, 1);
	f.status = "lost";
	assert_int_equal(store_file_insert(s, &f, NULL), -EINVAL);
	f = file_row("E3", "ABC", 1);
	assert_int_equal(store_file_insert(s, &f, NULL), -EINVAL);
	f = file_row("E3", SHA_A, 1);
	f.size = UINT64_MAX;
	assert_int_equal(store_file_insert(s, &f, NULL), -ERANGE);
	assert_int_equal(store_file_known(s, NULL, SHA_A, &known), -EINVAL);

	store_close(s);
}

typedef struct collected {
	int64_t ids[16];
	const char *strs[16];
	size_t n;
	int stop_at; /* return -ECANCELED on this row (1-based), 0: never */
	store *s;    /* set: re-enter the store from the callback */
} collected;

static int collect_file(const store_file *f, void *userdata)
{
	collected *c = userdata;
	assert_true(c->n < ELEMENTSOF(c->ids));
	c->ids[c->n] = f->received_at;
	c->strs[c->n++] = strdup(f->status);
	return 0;
}

static void collected_done(collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free((char *)c->strs[i]);
	c->n = 0;
}

static void test_files_foreach(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	store_file f;
	collected c = { 0 };

	f = file_row("E1", SHA_A, 100);
	assert_int_equal(store_file_insert(s, &f, NULL), 0);
	f = file_row("E1", SHA_B, 300);
	f.status = "rejected";
	assert_int_equal(store_file_insert(s, &f, NULL), 0);
	f = file_row("E2", SHA_A, 200);
	assert_int_equal(store_file_insert(s, &f, NULL), 0);

	assert_int_equal(store_files_foreach(s, NULL, collect_file, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[0], 300);
	assert_int_equal(c.ids[1], 200);
	assert_int_equal(c.ids[2], 100);
	assert_string_equal(c.strs[0], "rejected");
	collected_done(&c);

	assert_int_equal(store_files_foreach(s, "E1", collect_file, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 300);
	assert_int_equal(c.ids[1], 100);
	collected_done(&c);

	assert_int_equal(store_files_foreach(s, "nobody", collect_file, &c), 0);
	assert_int_equal(c.n, 0);
	store_close(s);
}

static int collect_history(const store_history *h, void *userdata)
{
	collected *c = userdata;
	assert_true(c->n < ELEMENTSOF(c->ids));
	c->ids[c->n] = h->at;
	c->strs[c->n++] = strdup(h->action);
	return 0;
}

static void test_alert_insert(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	store_file f = file_row("E1", SHA_A, 100);
	store_alert a;
	int64_t fid = 0, id1 = 0, id2 = 0, id3 = 0;
	collected c = { 0 };
	store_counts n;

	assert_int_equal(store_file_insert(s, &f, &fid), 0);

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_begin(s), -EALREADY);
	a = alert_row("k1", "E1", 1000, fid);
	assert_int_equal(store_alert_insert(s, &a, &id1), 1);
	assert_true(id1 > 0);
	assert_int_equal(store_commit(s), 0);

	/* Same key again: nothing new, the existing id, no second "created". */
	a = alert_row("k1", "E1", 2000, fid);
	assert_int_equal(store_alert_insert(s, &a, &id2), 0);
	assert_int_equal(id2, id1);

	/* No file: allowed (file_id 0). An unknown file: refused. */
	a = alert_row("k2", "E1", 1001, 0);
	assert_int_equal(store_alert_insert(s, &a, &id3), 1);
	assert_true(id3 > id1);
	a = alert_row("k3", "E1", 1002, fid + 100);
	id3 = -1;
	assert_int_equal(store_alert_insert(s, &a, &id3), -ENOENT);
	assert_int_equal(id3, -1); /* untouched on failure */

	a = alert_row("k4", "E1", 1, fid);
	a.severity = "critical";
	assert_int_equal(store_alert_insert(s, &a, NULL), -EINVAL);
	a = alert_row("k4", "E1", 1, fid);
	a.classification = "maybe";
	assert_int_equal(store_alert_insert(s, &a, NULL), -EINVAL);
	a = alert_row("k4", "E1", 1, fid);
	a.state = "open";
	assert_int_equal(store_alert_insert(s, &a, NULL), -EINVAL);
	a = alert_row(NULL, "E1", 1, fid);
	assert_int_equal(store_alert_insert(s, &a, NULL), -EINVAL);

	assert_int_equal(store_history_foreach(s, id1, collect_history, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.strs[0], "created");
	assert_int_equal(c.ids[0], 1000);
	collected_done(&c);

	assert_int_equal(store_history_add(s, &(store_history){ .alert_id = id1, .at = 1500,
								.actor = "legal@example.nl",
								.action = "acknowledged",
								.note = "looking" }),
			 0);
	assert_int_equal(store_history_add(s, &(store_history){ .alert_id = id1 + 1000, .at = 1,
								.actor = "x", .action = "viewed" }),
			 -ENOENT);
	assert_int_equal(store_history_add(s, &(store_history){ .alert_id = id1, .at = 1,
								.actor = "", .action = "viewed" }),
			 -EINVAL);
	assert_int_equal(store_history_foreach(s, id1, collect_history, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.strs[1], "acknowledged");
	collected_done(&c);

	/* A rolled-back transaction leaves neither the alert nor its history. */
	assert_int_equal(store_begin(s), 0);
	a = alert_row("k5", "E1", 3000, fid);
	assert_int_equal(store_alert_insert(s, &a, NULL), 1);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_rollback(s), 0); /* none open: fine */

	assert_int_equal(store_counts_get(s, &n), 0);
	assert_int_equal(n.files_processed, 1);
	assert_int_equal(n.files_rejected, 0);
	assert_int_equal(n.alerts_total, 2);
	assert_int_equal(n.alerts_new, 2);

	store_close(s);
}

static int collect_alert(const store_alert *a, void *userdata)
{
	collected *c = userdata;
	assert_true(c->n < ELEMENTSOF(c->ids));
	c->ids[c->n] = a->id;
	c->strs[c->n++] = strdup(a->key);
	if (c->s) {
		/* Re-entering with the statement the walk is using. */
		collected inner = { 0 };
		assert_int_equal(store_alert_get(c->s, a->id, collect_alert, &inner), 0);
		assert_int_equal(inner.n, 1);
		assert_int_equal(inner.ids[0], a->id);
		collected_done(&inner);
	}
	return c->stop_at && (int)c->n == c->stop_at ? -ECANCELED : 0;
}

static void test_alerts_foreach(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t ids[4];
	collected c = { 0 };
	store_counts n;

	{
		store_alert a;
		a = alert_row("a", "E1", 100, 0);
		assert_int_equal(store_alert_insert(s, &a, &ids[0]), 1);
		a = alert_row("b", "E2", 200, 0);
		assert_int_equal(store_alert_insert(s, &a, &ids[1]), 1);
		a = alert_row("c", "E1", 300, 0);
		a.state = "confirmed";
		assert_int_equal(store_alert_insert(s, &a, &ids[2]), 1);
		a = alert_row("d", "E1", 400, 0);
		assert_int_equal(store_alert_insert(s, &a, &ids[3]), 1);
	}

	assert_int_equal(store_alerts_foreach(s, NULL, collect_alert, &c), 0);
	assert_int_equal(c.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(c.ids[i], ids[i]);
	collected_done(&c);

	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .employee = "E1" },
					      collect_alert, &c),
			 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.strs[0], "a");
	assert_string_equal(c.strs[1], "c");
	assert_string_equal(c.strs[2], "d");
	collected_done(&c);

	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .state = "new", .employee = "E1" },
					      collect_alert, &c),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.strs[0], "a");
	assert_string_equal(c.strs[1], "d");
	collected_done(&c);

	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .since = 200 }, collect_alert, &c),
			 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.strs[0], "b");
	assert_string_equal(c.strs[2], "d");
	collected_done(&c);

	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .state = "confirmed", .since = 300 },
					      collect_alert, &c),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.strs[0], "c");
	collected_done(&c);

	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .state = "bogus" }, collect_alert, &c),
			 -EINVAL);

	/* A callback's negative value stops the walk and comes back. */
	c.stop_at = 2;
	assert_int_equal(store_alerts_foreach(s, NULL, collect_alert, &c), -ECANCELED);
	assert_int_equal(c.n, 2);
	collected_done(&c);
	c.stop_at = 0;

	/* Callbacks may call back into the store, and the walk goes on. */
	c.s = s;
	assert_int_equal(store_alerts_foreach(s, NULL, collect_alert, &c), 0);
	assert_int_equal(c.n, 4);
	collected_done(&c);
	c.s = NULL;

	assert_int_equal(store_alert_get(s, ids[1], collect_alert, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.strs[0], "b");
	collected_done(&c);
	assert_int_equal(store_alert_get(s, ids[3] + 1, collect_alert, &c), -ENOENT);
	assert_int_equal(c.n, 0);

	assert_int_equal(store_alert_set_state(s, ids[0], "acknowledged"), 0);
	assert_int_equal(store_alert_set_state(s, ids[0], "closed"), -EINVAL);
	assert_int_equal(store_alert_set_state(s, ids[0], NULL), -EINVAL);
	assert_int_equal(store_alert_set_state(s, ids[3] + 1, "dismissed"), -ENOENT);
	assert_int_equal(store_alerts_foreach(s, &(store_alert_filter){ .state = "acknowledged" },
					      collect_alert, &c),
			 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], ids[0]);
	collected_done(&c);

	assert_int_equal(store_counts_get(s, &n), 0);
	assert_int_equal(n.alerts_total, 4);
	assert_int_equal(n.alerts_new, 2);
	store_close(s);
}

static void test_readonly(void **state)
{
	fixture *fx = *state;
	store *s = NULL, *ro = NULL;
	store_file f = file_row("E1", SHA_A, 100);
	store_alert a = alert_row("k", "E1", 1, 0);
	store_counts n;
	int64_t id = 0;

	assert_int_equal(store_open(fx->path, STORE_READONLY, &ro), -ENOENT);
	assert_null(ro);

	s = open_rw(fx);
	assert_int_equal(store_file_insert(s, &f, NULL), 0);
	assert_int_equal(store_alert_insert(s, &a, &id), 1);
	store_close(s);

	assert_int_equal(store_open(fx->path, STORE_READONLY, &ro), 0);
	assert_int_equal(store_counts_get(ro, &n), 0);
	assert_int_equal(n.files_processed, 1);
	assert_int_equal(n.alerts_total, 1);
	f = file_row("E1", SHA_B, 100);
	assert_int_equal(store_file_insert(ro, &f, NULL), -EROFS);
	assert_int_equal(store_alert_set_state(ro, id, "confirmed"), -EROFS);
	assert_int_equal(store_begin(ro), -EROFS);
	store_close(ro);
}

static void test_readonly_stale(void **state)
{
	fixture *fx = *state;
	store *ro = NULL;
	int fd = open(fx->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	/* An empty file is an unmigrated database: readable only once migrated. */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(fx->path, STORE_READONLY, &ro), -ESTALE);
	assert_null(ro);
}

static void test_newer_schema(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = raw_open(fx->path);
	store *s = NULL;
	char *before, *after;
	size_t nb, na;

	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99;", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	before = slurp(fx->path, &nb);

	assert_int_equal(store_open(fx->path, 0, &s), -EPROTONOSUPPORT);
	assert_null(s);
	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), -EPROTONOSUPPORT);

	after = slurp(fx->path, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	assert_int_equal(access(fx->dir, F_OK), 0);
	{
		char wal[160];
		snprintf(wal, sizeof wal, "%s-wal", fx->path);
		assert_int_equal(access(wal, F_OK), -1);
	}
	free(before);
	free(after);
}

/* A database written by schema version 1 (as shipped: this text never
 * changes) is migrated on open, keeping its rows. */
static int collect_file_v1(const store_file *f, void *userdata)
{
	int *n = userdata;
	assert_string_equal(f->sha256, SHA_A);
	assert_string_equal(f->status, "rejected");
	assert_null(f->kept_path);
	assert_null(f->encoding);
	(*n)++;
	return 0;
}

static void test_migrate_from_v1(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = raw_open(fx->path);
	store *s = NULL;
	int n = 0;

	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE files (id INTEGER PRIMARY KEY, employee TEXT NOT NULL,"
				      " source TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,"
				      " size INTEGER NOT NULL CHECK (size >= 0), format TEXT,"
				      " received_at INTEGER NOT NULL, status TEXT NOT NULL"
				      " CHECK (status IN ('processed', 'rejected')), error TEXT,"
				      " records INTEGER NOT NULL DEFAULT 0, rejected_records INTEGER NOT NULL DEFAULT 0,"
				      " UNIQUE (employee, sha256));"
				      "CREATE TABLE alerts (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
				      " employee TEXT NOT NULL, relation TEXT NOT NULL, severity TEXT NOT NULL,"
				      " classification TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
				      " created_at INTEGER NOT NULL, file_id INTEGER REFERENCES files (id),"
				      " body TEXT NOT NULL);"
				      "CREATE TABLE history (id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL"
				      " REFERENCES alerts (id) ON DELETE CASCADE, at INTEGER NOT NULL,"
				      " actor TEXT NOT NULL, action TEXT NOT NULL, note TEXT);"
				      "INSERT INTO files (employee, source, path, sha256, size, received_at, status)"
				      " VALUES ('E1', 'inbox', '/x.csv', '" SHA_A "', 10, 1, 'rejected');"
				      "PRAGMA application_id = 1131698036; PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), -ESTALE);
	assert_int_equal(store_open(fx->path, 0, &s), 0);
	assert_int_equal(store_files_foreach(s, NULL, collect_file_v1, &n), 0);
	assert_int_equal(n, 1);
	store_close(s);
	db = raw_open(fx->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	sqlite3_close(db);
}

static int count_files(const store_file *f, void *userdata)
{
	(void)f;
	(*(int *)userdata)++;
	return 0;
}

/* ---- baselines ----------------------------------------------------------- */

static void hmac_of(unsigned i, uint8_t ret[static STORE_SEEN_HMAC_SIZE])
{
	/* Distinct, well-spread 32-byte values (not real HMACs: the store
	 * only compares blobs). */
	for (unsigned k = 0; k < STORE_SEEN_HMAC_SIZE; k++)
		ret[k] = (uint8_t)((i * 2654435761u) >> (k % 4 * 8)) ^ (uint8_t)(k * 31u + i);
}

static void test_seen(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	const store_baseline a = { .employee = "E1", .source = "inbox", .format = "vcard" };
	const store_baseline other_source = { .employee = "E1", .source = "crm", .format = "vcard" };
	const store_baseline other_format = { .employee = "E1", .source = "inbox", .format = "outlook" };
	const store_baseline other_employee = { .employee = "E2", .source = "inbox", .format = "vcard" };
	uint8_t h[3][STORE_SEEN_HMAC_SIZE];
	size_t added = 99;
	bool yes = true;

	for (unsigned i = 0; i < 3; i++)
		hmac_of(i, h[i]);
	assert_int_equal(store_seen_has_baseline(s, &a, &yes), 0);
	assert_false(yes);
	assert_int_equal(store_seen_contains(s, &a, h[0], &yes), 0);
	assert_false(yes);

	/* Inside the file's transaction, as the scan does. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_seen_add(s, &a, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, 2, 1000, &added), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(added, 2);
	assert_int_equal(store_seen_has_baseline(s, &a, &yes), 0);
	assert_true(yes);
	assert_int_equal(store_seen_contains(s, &a, h[0], &yes), 0);
	assert_true(yes);
	assert_int_equal(store_seen_contains(s, &a, h[2], &yes), 0);
	assert_false(yes);

	/* Baselines are separate per employee, source and format. */
	for (size_t i = 0; i < 3; i++) {
		const store_baseline *b = i == 0 ? &other_source : i == 1 ? &other_format : &other_employee;
		assert_int_equal(store_seen_has_baseline(s, b, &yes), 0);
		assert_false(yes);
		assert_int_equal(store_seen_contains(s, b, h[0], &yes), 0);
		assert_false(yes);
	}

	/* Known hashes are ignored and keep their first_seen; without a
	 * transaction the savepoint commits on its own. */
	assert_int_equal(store_seen_add(s, &a, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, 3, 2000, &added), 0);
	assert_int_equal(added, 1);
	{
		sqlite3 *db = raw_open(fx->path);
		assert_int_equal(raw_int(db, "SELECT count(*) FROM seen"), 3);
		assert_int_equal(raw_int(db, "SELECT min(first_seen) FROM seen"), 1000);
		assert_int_equal(raw_int(db, "SELECT count(*) FROM seen WHERE first_seen = 2000"), 1);
		sqlite3_close(db);
	}

	/* A rolled-back file adds nothing. */
	{
		uint8_t x[1][STORE_SEEN_HMAC_SIZE];
		hmac_of(77, x[0]);
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(store_seen_add(s, &other_source, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])x, 1, 3000,
						NULL),
				 0);
		assert_int_equal(store_rollback(s), 0);
		assert_int_equal(store_seen_has_baseline(s, &other_source, &yes), 0);
		assert_false(yes);
	}

	/* Zero hashes: a no-op. */
	assert_int_equal(store_seen_add(s, &other_source, NULL, 0, 1, &added), 0);
	assert_int_equal(added, 0);

	/* Refusals. */
	{
		const store_baseline bad = { .employee = "E1", .source = "inbox", .format = NULL };
		assert_int_equal(store_seen_has_baseline(s, &bad, &yes), -EINVAL);
		assert_int_equal(store_seen_has_baseline(s, NULL, &yes), -EINVAL);
		assert_int_equal(store_seen_contains(s, &bad, h[0], &yes), -EINVAL);
		assert_int_equal(store_seen_add(s, &bad, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, 1, 1, NULL),
				 -EINVAL);
		assert_int_equal(store_seen_add(s, &a, NULL, 1, 1, NULL), -EINVAL);
	}
	store_close(s);

	/* Read-only users can ask but not add. */
	{
		store *ro = NULL;
		assert_int_equal(store_open(fx->path, STORE_READONLY, &ro), 0);
		assert_int_equal(store_seen_contains(ro, &a, h[1], &yes), 0);
		assert_true(yes);
		assert_int_equal(store_seen_add(ro, &a, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, 1, 1, NULL),
				 -EROFS);
		store_close(ro);
	}
}

static int hmac_cmp(const void *x, const void *y)
{
	return memcmp(x, y, STORE_SEEN_HMAC_SIZE);
}

/* A million hashes in one transaction, one prepared statement: must be
 * quick (a generous bound, the figure is in the log). */
static void test_seen_many(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	const store_baseline a = { .employee = "E1042", .source = "inbox", .format = "google" };
	const size_t n = 1000000;
	uint8_t (*h)[STORE_SEEN_HMAC_SIZE] = calloc(n, sizeof *h);
	struct timespec t0, t1;
	size_t added = 0;
	bool yes = false;

	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		hmac_of((unsigned)i, h[i]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* As the scan does: sorted, the B-tree is filled in order. */
	qsort(h, n, sizeof *h, hmac_cmp);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_seen_add(s, &a, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, n, 1, &added), 0);
	assert_int_equal(store_commit(s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(added, n);
	assert_int_equal(store_seen_contains(s, &a, h[n / 2], &yes), 0);
	assert_true(yes);
	print_message("# 1,000,000 hashes sorted and inserted in %.2f s\n",
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_true(t1.tv_sec - t0.tv_sec < 60);
	free(h);
	store_close(s);
}

/* A database at schema version 2 (as shipped) is migrated to 3 on open,
 * keeping its files, alerts and history, and gains an empty seen table. */
static void test_migrate_from_v2(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	store_file f = file_row("E1", SHA_A, 100);
	int64_t file_id = 0, id = 0;
	sqlite3 *db;
	bool yes = true;
	int n = 0;

	/* Build a current database, then take it back to exactly what
	 * migration 2 left: no seen table, user_version 2. */
	assert_int_equal(store_file_insert(s, &f, &file_id), 0);
	store_alert a = alert_row("k1", "E1", 100, file_id);
	assert_int_equal(store_alert_insert(s, &a, &id), 1);
	store_close(s);
	db = raw_open(fx->path);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE deliveries; DROP TABLE seen; PRAGMA user_version = 2;", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), -ESTALE);
	s = open_rw(fx);
	assert_int_equal(store_files_foreach(s, NULL, count_files, &n), 0);
	assert_int_equal(n, 1);
	{
		store_counts c;
		assert_int_equal(store_counts_get(s, &c), 0);
		assert_int_equal(c.alerts_total, 1);
		assert_int_equal(c.files_processed, 1);
	}
	/* No baseline survives from before: the next export of each source is
	 * the first one (undated, never a flood of "new"). */
	const store_baseline b = { .employee = "E1", .source = "inbox", .format = "linkedin" };
	assert_int_equal(store_seen_has_baseline(s, &b, &yes), 0);
	assert_false(yes);
	store_close(s);
	db = raw_open(fx->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM history"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'seen'"), 1);
	sqlite3_close(db);
}

/* ---- the outbox ------------------------------------------------------------ */

/* A copy of the fields of one delivery row (its strings die with the callback). */
typedef struct delivery_copy {
	int64_t id, alert_id, next_attempt_at, created_at, delivered_at;
	char channel[32], employee[32], idem_key[96], state[16], last_error[96];
	unsigned attempts;
	bool has_error;
} delivery_copy;

typedef struct deliveries {
	delivery_copy items[16];
	size_t n;
	store *mark;  /* set: mark each row for retry from inside the walk */
} deliveries;

static int collect_delivery(const store_delivery *d, void *userdata)
{
	deliveries *l = userdata;
	delivery_copy *c;

	assert_true(l->n < ELEMENTSOF(l->items));
	c = &l->items[l->n++];
	*c = (delivery_copy){ .id = d->id, .alert_id = d->alert_id, .next_attempt_at = d->next_attempt_at,
			      .created_at = d->created_at, .delivered_at = d->delivered_at, .attempts = d->attempts,
			      .has_error = d->last_error != NULL };
	snprintf(c->channel, sizeof c->channel, "%s", d->channel);
	snprintf(c->employee, sizeof c->employee, "%s", d->employee);
	snprintf(c->idem_key, sizeof c->idem_key, "%s", d->idem_key);
	snprintf(c->state, sizeof c->state, "%s", d->state);
	snprintf(c->last_error, sizeof c->last_error, "%s", strempty(d->last_error));
	if (l->mark)
		assert_int_equal(store_delivery_mark_retry(l->mark, d->id, 99999, "from the walk"), 0);
	return 0;
}

static delivery_copy delivery_of(store *s, int64_t id)
{
	deliveries l = { 0 };
	assert_int_equal(store_delivery_get(s, id, collect_delivery, &l), 0);
	assert_int_equal(l.n, 1);
	return l.items[0];
}

/* An alert (with a file row) to hang deliveries on; its key is key. */
static int64_t outbox_alert(store *s, const char *key, const char *employee)
{
	store_alert a = alert_row(key, employee, 1000, 0);
	int64_t id = 0;
	assert_int_equal(store_alert_insert(s, &a, &id), 1);
	return id;
}

static void test_delivery_add(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t alert, d1 = 0, d2 = 0, none = -1;
	delivery_copy c;

	/* An alert and its deliveries in one transaction, as scan.c does. */
	assert_int_equal(store_begin(s), 0);
	alert = outbox_alert(s, "k1", "E1");
	assert_int_equal(store_delivery_add(s, alert, "archive", "k1-archive", 5000, &d1), 0);
	assert_int_equal(store_delivery_add(s, alert, "teams", "k1-teams", 5000, &d2), 0);
	assert_int_equal(store_commit(s), 0);
	assert_true(d1 > 0 && d2 > d1);

	c = delivery_of(s, d1);
	assert_int_equal(c.alert_id, alert);
	assert_string_equal(c.channel, "archive");
	assert_string_equal(c.employee, "E1");
	assert_string_equal(c.idem_key, "k1-archive");
	assert_string_equal(c.state, "queued");
	assert_int_equal(c.attempts, 0);
	assert_int_equal(c.next_attempt_at, 5000); /* due at once */
	assert_int_equal(c.created_at, 5000);
	assert_int_equal(c.delivered_at, 0);
	assert_false(c.has_error);

	/* One row per alert and channel; one row per idempotency key. */
	assert_int_equal(store_delivery_add(s, alert, "archive", "other-key", 5001, &none), -EEXIST);
	assert_int_equal(none, -1);
	int64_t alert2 = outbox_alert(s, "k2", "E1");
	assert_int_equal(store_delivery_add(s, alert2, "archive", "k1-archive", 5001, NULL), -EEXIST);
	assert_int_equal(store_delivery_add(s, alert + 100, "archive", "k9-archive", 5001, NULL), -ENOENT);
	assert_int_equal(store_delivery_add(s, alert2, "", "k2-x", 5001, NULL), -EINVAL);
	assert_int_equal(store_delivery_add(s, alert2, "x", NULL, 5001, NULL), -EINVAL);
	assert_int_equal(store_delivery_get(s, d2 + 100, collect_delivery, &(deliveries){ 0 }), -ENOENT);

	/* Rolled back together: neither the alert nor its delivery stays. */
	assert_int_equal(store_begin(s), 0);
	int64_t alert3 = outbox_alert(s, "k3", "E2");
	assert_int_equal(store_delivery_add(s, alert3, "archive", "k3-archive", 6000, NULL), 0);
	assert_int_equal(store_rollback(s), 0);
	{
		deliveries l = { 0 };
		assert_int_equal(store_deliveries_due(s, NULL, -1, collect_delivery, &l), 0);
		assert_int_equal(l.n, 2);
	}
	store_close(s);

	/* Read-only: seen, not changed. */
	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), 0);
	assert_string_equal(delivery_of(s, d2).idem_key, "k1-teams");
	assert_int_equal(store_delivery_add(s, alert2, "teams", "k2-teams", 1, NULL), -EROFS);
	assert_int_equal(store_delivery_mark_delivered(s, d1, 1), -EROFS);
	assert_int_equal(store_delivery_requeue(s, 0, 1, NULL), -EROFS);
	store_close(s);
}

static void test_delivery_due(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t a1 = outbox_alert(s, "k1", "E1"), a2 = outbox_alert(s, "k2", "E2");
	int64_t d[4], next = 0;
	deliveries l = { 0 };

	assert_int_equal(store_delivery_next_due(s, &next), 0); /* nothing queued */
	assert_int_equal(store_delivery_add(s, a1, "archive", "k1-archive", 100, &d[0]), 0);
	assert_int_equal(store_delivery_add(s, a1, "teams", "k1-teams", 100, &d[1]), 0);
	assert_int_equal(store_delivery_add(s, a2, "archive", "k2-archive", 200, &d[2]), 0);
	assert_int_equal(store_delivery_add(s, a2, "teams", "k2-teams", 200, &d[3]), 0);
	/* k1-teams failed once: due at 500. k2-archive delivered. */
	assert_int_equal(store_delivery_mark_retry(s, d[1], 500, "HTTP 503"), 0);
	assert_int_equal(store_delivery_mark_delivered(s, d[2], 210), 0);

	assert_int_equal(store_delivery_next_due(s, &next), 1);
	assert_int_equal(next, 100);

	/* Due at 150: the first archive row only (k2-teams is due at 200). */
	assert_int_equal(store_deliveries_due(s, NULL, 150, collect_delivery, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].id, d[0]);
	l.n = 0;
	/* Due at 300, oldest first; k1-teams waits for its backoff. */
	assert_int_equal(store_deliveries_due(s, NULL, 300, collect_delivery, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].id, d[0]);
	assert_int_equal(l.items[1].id, d[3]);
	l.n = 0;
	/* One channel. */
	assert_int_equal(store_deliveries_due(s, "teams", 1000, collect_delivery, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].id, d[1]);
	assert_int_equal(l.items[0].attempts, 1);
	assert_string_equal(l.items[0].last_error, "HTTP 503");
	assert_int_equal(l.items[1].id, d[3]);
	l.n = 0;
	/* now < 0: every queued row, backoff or not (--once). */
	assert_int_equal(store_deliveries_due(s, NULL, -1, collect_delivery, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.items[0].id, d[0]);
	assert_int_equal(l.items[1].id, d[1]);
	assert_int_equal(l.items[2].id, d[3]);
	l.n = 0;

	/* A callback that records an outcome for its row (the engine's way)
	 * sees every row once, even with every queued row due. */
	l.mark = s;
	assert_int_equal(store_deliveries_due(s, NULL, -1, collect_delivery, &l), 0);
	assert_int_equal(l.n, 3);
	l = (deliveries){ 0 };
	assert_int_equal(store_delivery_next_due(s, &next), 1);
	assert_int_equal(next, 99999);
	assert_int_equal(store_deliveries_due(s, NULL, 99998, collect_delivery, &l), 0);
	assert_int_equal(l.n, 0);

	/* No callback: refused. */
	assert_int_equal(store_deliveries_due(s, NULL, -1, NULL, NULL), -EINVAL);
	store_close(s);
}

static void test_delivery_marks(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t a = outbox_alert(s, "k1", "E1"), d1, d2, d3;
	delivery_copy c;

	assert_int_equal(store_delivery_add(s, a, "archive", "k1-archive", 100, &d1), 0);
	assert_int_equal(store_delivery_add(s, a, "teams", "k1-teams", 100, &d2), 0);
	assert_int_equal(store_delivery_add(s, a, "mail", "k1-mail", 100, &d3), 0);

	/* Retries count attempts and keep the latest error. */
	assert_int_equal(store_delivery_mark_retry(s, d1, 160, "connection refused"), 0);
	assert_int_equal(store_delivery_mark_retry(s, d1, 280, "HTTP 502"), 0);
	c = delivery_of(s, d1);
	assert_string_equal(c.state, "queued");
	assert_int_equal(c.attempts, 2);
	assert_int_equal(c.next_attempt_at, 280);
	assert_string_equal(c.last_error, "HTTP 502");
	assert_int_equal(store_delivery_mark_delivered(s, d1, 300), 0);
	c = delivery_of(s, d1);
	assert_string_equal(c.state, "delivered");
	assert_int_equal(c.delivered_at, 300);
	assert_int_equal(c.attempts, 2);

	/* Only a queued row changes: a finished one is somebody else's. */
	assert_int_equal(store_delivery_mark_delivered(s, d1, 301), -ESTALE);
	assert_int_equal(store_delivery_mark_retry(s, d1, 400, "x"), -ESTALE);
	assert_int_equal(store_delivery_mark_failed(s, d1, true, "x"), -ESTALE);
	assert_int_equal(delivery_of(s, d1).delivered_at, 300);
	assert_int_equal(store_delivery_mark_delivered(s, d3 + 100, 1), -ENOENT);
	assert_int_equal(store_delivery_mark_retry(s, d3 + 100, 1, "x"), -ENOENT);
	assert_int_equal(store_delivery_mark_failed(s, d3 + 100, true, "x"), -ENOENT);

	/* A permanent failure counts the attempt; giving up does not. */
	assert_int_equal(store_delivery_mark_failed(s, d2, true, "HTTP 404"), 0);
	c = delivery_of(s, d2);
	assert_string_equal(c.state, "failed");
	assert_int_equal(c.attempts, 1);
	assert_string_equal(c.last_error, "HTTP 404");
	assert_int_equal(store_delivery_mark_retry(s, d3, 200, "timeout"), 0);
	assert_int_equal(store_delivery_mark_failed(s, d3, false, "gave up"), 0);
	c = delivery_of(s, d3);
	assert_string_equal(c.state, "failed");
	assert_int_equal(c.attempts, 1);
	assert_int_equal(store_delivery_mark_delivered(s, d3, 1), -ESTALE);
	store_close(s);
}

static void test_delivery_requeue(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t a1 = outbox_alert(s, "k1", "E1"), a2 = outbox_alert(s, "k2", "E1"), a3 = outbox_alert(s, "k3", "E1");
	int64_t d1, d2, d3, d4;
	size_t n = 99;
	delivery_copy c;

	assert_int_equal(store_delivery_add(s, a1, "archive", "k1-archive", 100, &d1), 0);
	assert_int_equal(store_delivery_add(s, a1, "teams", "k1-teams", 100, &d2), 0);
	assert_int_equal(store_delivery_add(s, a2, "teams", "k2-teams", 100, &d3), 0);
	assert_int_equal(store_delivery_add(s, a2, "archive", "k2-archive", 100, &d4), 0);
	assert_int_equal(store_delivery_mark_delivered(s, d1, 110), 0);
	assert_int_equal(store_delivery_mark_failed(s, d2, true, "HTTP 410"), 0);
	assert_int_equal(store_delivery_mark_failed(s, d3, true, "HTTP 403"), 0);
	assert_int_equal(store_delivery_mark_retry(s, d4, 900, "disk full"), 0);

	/* --failed: the failed rows of every alert, nothing else. */
	assert_int_equal(store_delivery_requeue(s, 0, 1000, &n), 0);
	assert_int_equal(n, 2);
	c = delivery_of(s, d2);
	assert_string_equal(c.state, "queued");
	assert_int_equal(c.attempts, 0);
	assert_int_equal(c.next_attempt_at, 1000);
	assert_int_equal(c.created_at, 1000); /* GiveUpAfter= counts from the requeue */
	assert_string_equal(c.last_error, "HTTP 410"); /* kept until the next attempt */
	assert_string_equal(c.idem_key, "k1-teams"); /* unchanged: receivers may drop it */
	assert_string_equal(delivery_of(s, d1).state, "delivered");
	assert_int_equal(delivery_of(s, d4).next_attempt_at, 900);
	assert_int_equal(store_delivery_requeue(s, -1, 1001, &n), 0);
	assert_int_equal(n, 0);

	/* ALERT: every row of that alert, the delivered one included. */
	assert_int_equal(store_delivery_requeue(s, a1, 2000, &n), 0);
	assert_int_equal(n, 2);
	c = delivery_of(s, d1);
	assert_string_equal(c.state, "queued");
	assert_int_equal(c.delivered_at, 0);
	assert_int_equal(c.next_attempt_at, 2000);
	assert_int_equal(delivery_of(s, d4).next_attempt_at, 900); /* another alert's */
	assert_int_equal(store_delivery_requeue(s, a2, 2001, NULL), 0);
	assert_int_equal(delivery_of(s, d4).next_attempt_at, 2001);
	assert_int_equal(delivery_of(s, d4).attempts, 0);

	/* An alert without rows (raised before schema 4): nothing to requeue. */
	n = 99;
	assert_int_equal(store_delivery_requeue(s, a3, 3000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_delivery_requeue(s, a3 + 100, 3000, &n), -ENOENT);
	store_close(s);
}

typedef struct counts_list {
	store_channel_counts items[8];
	char names[8][32], errors[8][64];
	size_t n;
} counts_list;

static int collect_counts(const store_channel_counts *c, void *userdata)
{
	counts_list *l = userdata;

	assert_true(l->n < ELEMENTSOF(l->items));
	l->items[l->n] = *c;
	snprintf(l->names[l->n], sizeof l->names[0], "%s", c->channel);
	l->items[l->n].channel = l->names[l->n];
	if (c->last_error) {
		snprintf(l->errors[l->n], sizeof l->errors[0], "%s", c->last_error);
		l->items[l->n].last_error = l->errors[l->n];
	}
	l->n++;
	return 0;
}

static void test_delivery_counts(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	int64_t a[5], d[5], t[5];
	counts_list l = { 0 };

	assert_int_equal(store_delivery_counts_foreach(s, collect_counts, &l), 0);
	assert_int_equal(l.n, 0);
	for (int i = 0; i < 5; i++) {
		char key[16], idem[32];
		snprintf(key, sizeof key, "k%d", i);
		a[i] = outbox_alert(s, key, "E1");
		snprintf(idem, sizeof idem, "k%d-teams", i);
		assert_int_equal(store_delivery_add(s, a[i], "teams", idem, 100 + i, &t[i]), 0);
		snprintf(idem, sizeof idem, "k%d-archive", i);
		assert_int_equal(store_delivery_add(s, a[i], "archive", idem, 100 + i, &d[i]), 0);
	}
	/* teams: 0 and 1 delivered (1 after a failure), 2 retrying, 3
	 * failed, 4 queued. The latest failure is 3's; 1's is older and
	 * recovered anyway. */
	assert_int_equal(store_delivery_mark_delivered(s, t[0], 200), 0);
	assert_int_equal(store_delivery_mark_retry(s, t[2], 300, "HTTP 503"), 0);
	assert_int_equal(store_delivery_mark_retry(s, t[1], 300, "timeout"), 0);
	assert_int_equal(store_delivery_mark_delivered(s, t[1], 310), 0);
	assert_int_equal(store_delivery_mark_failed(s, t[3], true, "HTTP 404"), 0);
	/* archive: all delivered, one after a failure: no error shown. */
	assert_int_equal(store_delivery_mark_retry(s, d[0], 300, "disk full"), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_delivery_mark_delivered(s, d[i], 400), 0);

	assert_int_equal(store_delivery_counts_foreach(s, collect_counts, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].channel, "archive"); /* by name */
	assert_int_equal(l.items[0].queued, 0);
	assert_int_equal(l.items[0].retrying, 0);
	assert_int_equal(l.items[0].failed, 0);
	assert_int_equal(l.items[0].delivered, 5);
	assert_int_equal(l.items[0].oldest_queued, 0);
	assert_null(l.items[0].last_error);
	assert_string_equal(l.items[1].channel, "teams");
	assert_int_equal(l.items[1].queued, 1);
	assert_int_equal(l.items[1].retrying, 1);
	assert_int_equal(l.items[1].failed, 1);
	assert_int_equal(l.items[1].delivered, 2);
	assert_int_equal(l.items[1].oldest_queued, 102);
	assert_string_equal(l.items[1].last_error, "HTTP 404");

	/* A later retry is the latest error. */
	assert_int_equal(store_delivery_mark_retry(s, t[2], 500, "HTTP 502"), 0);
	l.n = 0;
	assert_int_equal(store_delivery_counts_foreach(s, collect_counts, &l), 0);
	assert_string_equal(l.items[1].last_error, "HTTP 502");
	assert_int_equal(store_delivery_counts_foreach(s, NULL, NULL), -EINVAL);
	store_close(s);
}

/* A database as schema 3 left it, with alerts raised and delivered by the
 * old synchronous code: migrated, its rows kept, and no delivery queued
 * for the old alerts (they would be sent a second time). */
static void test_migrate_from_v3(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	store_file f = file_row("E1", SHA_A, 100);
	int64_t file_id = 0, id = 0, next = 0;
	deliveries l = { 0 };
	sqlite3 *db;
	bool yes = false;
	uint8_t h[STORE_SEEN_HMAC_SIZE];
	const store_baseline b = { .employee = "E1", .source = "inbox", .format = "vcard" };

	assert_int_equal(store_file_insert(s, &f, &file_id), 0);
	store_alert a = alert_row("k1", "E1", 100, file_id);
	assert_int_equal(store_alert_insert(s, &a, &id), 1);
	a = alert_row("k2", "E1", 101, file_id);
	assert_int_equal(store_alert_insert(s, &a, NULL), 1);
	hmac_of(7, h);
	assert_int_equal(store_seen_add(s, &b, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])h, 1, 100, NULL), 0);
	store_close(s);
	/* Exactly what migration 3 left: no deliveries table, user_version 3. */
	db = raw_open(fx->path);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE deliveries; PRAGMA user_version = 3;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), -ESTALE);
	s = open_rw(fx);
	{
		store_counts c;
		assert_int_equal(store_counts_get(s, &c), 0);
		assert_int_equal(c.alerts_total, 2);
		assert_int_equal(c.files_processed, 1);
	}
	assert_int_equal(store_seen_contains(s, &b, h, &yes), 0);
	assert_true(yes);
	assert_int_equal(store_deliveries_due(s, NULL, -1, collect_delivery, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_delivery_next_due(s, &next), 0);
	/* New alerts get their rows as usual. */
	assert_int_equal(store_delivery_add(s, id, "archive", "k1-archive", 200, NULL), 0);
	store_close(s);
	db = raw_open(fx->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM history"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM deliveries"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'deliveries_due'"), 1);
	sqlite3_close(db);
}

static void test_garbage(void **state)
{
	fixture *fx = *state;
	static const char junk[] = "Name,Company\nJan de Vries,Acme\nnot a database at all, really\n";
	store *s = NULL;
	int fd = open(fx->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof junk - 1), (ssize_t)(sizeof junk - 1));
	close(fd);
	assert_int_equal(store_open(fx->path, 0, &s), -EBADMSG);
	assert_null(s);
	assert_int_equal(store_open(fx->path, STORE_READONLY, &s), -EBADMSG);
}

static void test_corrupt(void **state)
{
	fixture *fx = *state;
	store *s = open_rw(fx);
	char junk[2048];
	int fd;

	s = store_close(s); /* checkpoints: everything is in the main file */
	/* Keep the 100-byte header, smash the schema page behind it. */
	memset(junk, 0x5a, sizeof junk);
	fd = open(fx->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof junk, 100), (ssize_t)sizeof junk);
	close(fd);
	assert_int_equal(store_open(fx->path, 0, &s), -EBADMSG);
	assert_null(s);
}

static void test_foreign_database(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = raw_open(fx->path);
	store *s = NULL;

	/* Somebody else's sqlite file: never migrate on top of it. */
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE moz_cookies (x);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(fx->path, 0, &s), -EBADMSG);
	assert_null(s);
}

static void test_not_regular(void **state)
{
	fixture *fx = *state;
	store *s = NULL;
	assert_int_equal(store_open(fx->dir, 0, &s), -EISDIR);
	assert_int_equal(store_open("", 0, &s), -EINVAL);
	assert_null(s);
}

static void test_busy(void **state)
{
	fixture *fx = *state;
	store *a = open_rw(fx), *b = open_rw(fx);
	store_file f = file_row("E1", SHA_A, 1);
	bool known = true;

	assert_int_equal(store_set_busy_timeout(b, 50), 0);
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_file_insert(a, &f, NULL), 0);

	assert_int_equal(store_begin(b), -EBUSY);
	assert_non_null(strstr(store_last_error(b), "locked"));
	/* WAL: the reader is not blocked and does not see the uncommitted row. */
	assert_int_equal(store_file_known(b, "E1", SHA_A, &known), 0);
	assert_false(known);

	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_begin(b), 0);
	assert_int_equal(store_file_known(b, "E1", SHA_A, &known), 0);
	assert_true(known);
	assert_int_equal(store_rollback(b), 0);

	store_close(a);
	store_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_insert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
