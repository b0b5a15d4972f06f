/* store.c — owns the sqlite3 state database: opening it safely (0600, WAL,
 * foreign keys, busy timeout), the user_version migrations, a cache of
 * prepared statements, the mapping of sqlite's result codes to -errno, and
 * the rows behind files, alerts, history, the keyed-hash baselines and the
 * outbox of deliveries. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contactwatch/store.h"

/* 'CtWt': tells our database from any other sqlite file an admin points us at. */
#define STORE_APPLICATION_ID 0x43745774

/* Migration i takes the schema from version i to i + 1 and ends by setting
 * user_version, so the SQL carries no formatted values at all. Append only:
 * a shipped migration never changes (databases in the field ran it). */
static const char *const store_migrations[] = {
	/* 1: files seen, alerts, triage history. The files index leads with
	 * employee (the per-employee lookups) and adds received_at for the
	 * newest-first walk. Later: deliveries/outbox, hash chain. */
	"CREATE TABLE files ("
	"  id INTEGER PRIMARY KEY,"
	"  employee TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  format TEXT,"
	"  received_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('processed', 'rejected')),"
	"  error TEXT,"
	"  records INTEGER NOT NULL DEFAULT 0 CHECK (records >= 0),"
	"  rejected_records INTEGER NOT NULL DEFAULT 0 CHECK (rejected_records >= 0),"
	"  UNIQUE (employee, sha256)"
	");"
	"CREATE INDEX files_employee ON files (employee, received_at);"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  employee TEXT NOT NULL,"
	"  relation TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  classification TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'new'"
	"    CHECK (state IN ('new', 'acknowledged', 'confirmed', 'dismissed')),"
	"  created_at INTEGER NOT NULL,"
	"  file_id INTEGER REFERENCES files (id),"
	"  body TEXT NOT NULL"
	");"
	"CREATE INDEX alerts_employee ON alerts (employee);"
	"CREATE INDEX alerts_state ON alerts (state);"
	"CREATE INDEX alerts_file ON alerts (file_id);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  note TEXT"
	");"
	"CREATE INDEX history_alert ON history (alert_id);"
	"PRAGMA application_id = 1131698036;" /* STORE_APPLICATION_ID */
	"PRAGMA user_version = 1;",
	/* 2: where a rejected export is kept as evidence, and the character
	 * encoding an export was read in. */
	"ALTER TABLE files ADD COLUMN kept_path TEXT;"
	"ALTER TABLE files ADD COLUMN encoding TEXT;"
	"PRAGMA user_version = 2;",
	/* 3: the baselines of undated sources — keyed hashes (HMAC-SHA256
	 * with the per-installation secret) of the contact identities seen in
	 * an employee's exports of a source in one format, never the contacts
	 * themselves. The key leads with (employee, source, format) so a
	 * baseline is one index prefix and purging an employee a range delete;
	 * WITHOUT ROWID stores each row once, in the key's B-tree. */
	"CREATE TABLE seen ("
	"  employee TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  format TEXT NOT NULL,"
	"  hmac BLOB NOT NULL CHECK (length(hmac) = 32),"
	"  first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (employee, source, format, hmac)"
	") WITHOUT ROWID;"
	"PRAGMA user_version = 3;",
	/* 4: the outbox — one row per alert and channel, added in the alert's
	 * transaction. Existing alerts get no rows: the code before schema 4
	 * delivered every alert synchronously when it was raised, so queueing
	 * them now would send each of them a second time. idem_key is what a
	 * receiver deduplicates on; UNIQUE (alert_id, channel) is what makes a
	 * second row for the same pair impossible. The due index serves the
	 * engine's "queued and due" walk and its earliest-next-attempt query.
	 * error_seq orders failures without a clock (the mark_* calls take
	 * none): status shows the most recent one per channel. */
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,"
	"  channel TEXT NOT NULL,"
	"  idem_key TEXT NOT NULL UNIQUE,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  next_attempt_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  delivered_at INTEGER,"
	"  last_error TEXT,"
	"  error_seq INTEGER,"
	"  UNIQUE (alert_id, channel)"
	");"
	"CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);"
	"CREATE INDEX deliveries_error ON deliveries (error_seq);"
	"PRAGMA user_version = 4;",
};

_Static_assert(ELEMENTSOF(store_migrations) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");
_Static_assert(STORE_APPLICATION_ID == 1131698036, "migration 1 spells the id out");

enum {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_FILE_KNOWN,
	STMT_FILE_INSERT,
	STMT_FILES_ALL,
	STMT_FILES_EMPLOYEE,
	STMT_ALERT_INSERT,
	STMT_ALERT_BY_KEY,
	STMT_ALERTS,
	STMT_ALERT_GET,
	STMT_ALERT_SET_STATE,
	STMT_HISTORY_ADD,
	STMT_HISTORY,
	STMT_COUNTS,
	STMT_SEEN_BASELINE,
	STMT_SEEN_CONTAINS,
	STMT_SEEN_ADD,
	STMT_SEEN_SAVEPOINT,
	STMT_SEEN_RELEASE,
	STMT_SEEN_ROLLBACK_TO,
	STMT_DELIVERY_ADD,
	STMT_DELIVERIES_DUE,
	STMT_DELIVERY_NEXT_DUE,
	STMT_DELIVERY_GET,
	STMT_DELIVERY_STATE,
	STMT_DELIVERY_DELIVERED,
	STMT_DELIVERY_RETRY,
	STMT_DELIVERY_FAILED,
	STMT_ALERT_EXISTS,
	STMT_DELIVERY_REQUEUE_ALERT,
	STMT_DELIVERY_REQUEUE_FAILED,
	STMT_DELIVERY_COUNTS,
	STMT_ALERT_RECLASSIFY,
	STMT_DELIVERY_RENEW,
	_STMT_MAX,
};

#define ALERT_COLUMNS \
	"id, key, employee, relation, severity, classification, state, created_at, file_id, body"
#define FILE_COLUMNS \
	"id, employee, source, path, sha256, size, format, received_at, status, error, " \
	"records, rejected_records, kept_path, encoding"
/* The employee comes from the alert: digests group deliveries by it. */
#define DELIVERY_COLUMNS \
	"d.id, d.alert_id, d.channel, a.employee, d.idem_key, d.state, d.attempts, d.next_attempt_at, " \
	"d.created_at, d.delivered_at, d.last_error"
#define DELIVERY_FROM " FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
/* One more than the latest failure's, for error_seq. */
#define DELIVERY_NEXT_ERROR_SEQ "(SELECT coalesce(max(error_seq), 0) + 1 FROM deliveries)"

static const char *const stmt_sql[_STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT store_alert_insert",
	[STMT_RELEASE] = "RELEASE store_alert_insert",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO store_alert_insert",
	[STMT_FILE_KNOWN] = "SELECT 1 FROM files WHERE employee = ?1 AND sha256 = ?2",
	[STMT_FILE_INSERT] =
		"INSERT INTO files (employee, source, path, sha256, size, format, received_at,"
		" status, error, records, rejected_records, kept_path, encoding)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[STMT_FILES_ALL] = "SELECT " FILE_COLUMNS " FROM files ORDER BY received_at DESC, id DESC",
	[STMT_FILES_EMPLOYEE] = "SELECT " FILE_COLUMNS " FROM files WHERE employee = ?1"
				" ORDER BY received_at DESC, id DESC",
	[STMT_ALERT_INSERT] =
		"INSERT INTO alerts (key, employee, relation, severity, classification, state,"
		" created_at, file_id, body)"
		" VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 'new'), ?7, ?8, ?9)"
		" ON CONFLICT (key) DO NOTHING",
	[STMT_ALERT_BY_KEY] = "SELECT id FROM alerts WHERE key = ?1",
	[STMT_ALERTS] = "SELECT " ALERT_COLUMNS " FROM alerts"
			" WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR employee = ?2)"
			" AND (?3 = 0 OR created_at >= ?3) ORDER BY id",
	[STMT_ALERT_GET] = "SELECT " ALERT_COLUMNS " FROM alerts WHERE id = ?1",
	[STMT_ALERT_SET_STATE] = "UPDATE alerts SET state = ?2 WHERE id = ?1",
	[STMT_HISTORY_ADD] = "INSERT INTO history (alert_id, at, actor, action, note)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_HISTORY] = "SELECT alert_id, at, actor, action, note FROM history"
			 " WHERE alert_id = ?1 ORDER BY at, id",
	[STMT_COUNTS] = "SELECT"
			" (SELECT count(*) FROM files WHERE status = 'processed'),"
			" (SELECT count(*) FROM files WHERE status = 'rejected'),"
			" (SELECT count(*) FROM alerts),"
			" (SELECT count(*) FROM alerts WHERE state = 'new')",
	[STMT_SEEN_BASELINE] = "SELECT 1 FROM seen WHERE employee = ?1 AND source = ?2 AND format = ?3 LIMIT 1",
	[STMT_SEEN_CONTAINS] = "SELECT 1 FROM seen WHERE employee = ?1 AND source = ?2 AND format = ?3"
			       " AND hmac = ?4",
	/* DO NOTHING on the key only: a CHECK failure must still be an error. */
	[STMT_SEEN_ADD] = "INSERT INTO seen (employee, source, format, hmac, first_seen) VALUES (?1, ?2, ?3, ?4, ?5)"
			  " ON CONFLICT (employee, source, format, hmac) DO NOTHING",
	[STMT_SEEN_SAVEPOINT] = "SAVEPOINT store_seen_add",
	[STMT_SEEN_RELEASE] = "RELEASE store_seen_add",
	[STMT_SEEN_ROLLBACK_TO] = "ROLLBACK TO store_seen_add",
	[STMT_ALERT_RECLASSIFY] = "UPDATE alerts SET severity = ?2, classification = ?3, file_id = ?4, body = ?5"
				  " WHERE id = ?1",
	/* A renewed delivery is a new message (new key), due at once, with a
	 * clean slate; a channel the alert did not reach before gets its row. */
	[STMT_DELIVERY_RENEW] = "INSERT INTO deliveries (alert_id, channel, idem_key, state, attempts, next_attempt_at,"
				" created_at) VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?4)"
				" ON CONFLICT (alert_id, channel) DO UPDATE SET idem_key = excluded.idem_key,"
				" state = 'queued', attempts = 0, next_attempt_at = excluded.next_attempt_at,"
				" created_at = excluded.created_at, delivered_at = NULL, last_error = NULL,"
				" error_seq = NULL",
	[STMT_DELIVERY_ADD] = "INSERT INTO deliveries (alert_id, channel, idem_key, state, attempts, next_attempt_at,"
			      " created_at) VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?4)",
	/* By id, i.e. in the order the rows were added: the walk either
	 * follows the rowid or sorts first, so a callback that marks the row
	 * it was handed never meets that row again. */
	[STMT_DELIVERIES_DUE] = "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
				" WHERE d.state = 'queued' AND (?1 IS NULL OR d.channel = ?1)"
				" AND (?2 < 0 OR d.next_attempt_at <= ?2) ORDER BY d.id",
	[STMT_DELIVERY_NEXT_DUE] = "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'queued'",
	[STMT_DELIVERY_GET] = "SELECT " DELIVERY_COLUMNS DELIVERY_FROM " WHERE d.id = ?1",
	[STMT_DELIVERY_STATE] = "SELECT state FROM deliveries WHERE id = ?1",
	/* Each outcome changes a queued row only: a row somebody else finished
	 * (a second engine, a redeliver racing a slow attempt) stays as it is. */
	[STMT_DELIVERY_DELIVERED] = "UPDATE deliveries SET state = 'delivered', delivered_at = ?2"
				    " WHERE id = ?1 AND state = 'queued'",
	[STMT_DELIVERY_RETRY] = "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3,"
				" error_seq = " DELIVERY_NEXT_ERROR_SEQ " WHERE id = ?1 AND state = 'queued'",
	[STMT_DELIVERY_FAILED] = "UPDATE deliveries SET state = 'failed', attempts = attempts + ?2, last_error = ?3,"
				 " error_seq = " DELIVERY_NEXT_ERROR_SEQ " WHERE id = ?1 AND state = 'queued'",
	[STMT_ALERT_EXISTS] = "SELECT 1 FROM alerts WHERE id = ?1",
	/* created_at restarts with the requeue: GiveUpAfter= counts from it,
	 * or a row that was given up would be given up again unattempted. */
	[STMT_DELIVERY_REQUEUE_ALERT] = "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?2,"
					" created_at = ?2, delivered_at = NULL WHERE alert_id = ?1",
	[STMT_DELIVERY_REQUEUE_FAILED] = "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?1,"
					 " created_at = ?1 WHERE state = 'failed'",
	/* The last error is the latest failure among rows not delivered: a
	 * channel that has recovered shows none. */
	[STMT_DELIVERY_COUNTS] =
		"SELECT d.channel,"
		" sum(d.state = 'queued' AND d.attempts = 0), sum(d.state = 'queued' AND d.attempts > 0),"
		" sum(d.state = 'failed'), sum(d.state = 'delivered'),"
		" coalesce(min(CASE WHEN d.state = 'queued' THEN d.created_at END), 0),"
		" (SELECT e.last_error FROM deliveries e WHERE e.channel = d.channel AND e.state != 'delivered'"
		"  AND e.last_error IS NOT NULL ORDER BY e.error_seq DESC, e.id DESC LIMIT 1)"
		" FROM deliveries d GROUP BY d.channel ORDER BY d.channel",
};

struct store {
	sqlite3 *db;
	bool readonly;
	/* Prepared once, reused; stmt_busy marks the ones a walk is stepping
	 * through, so a callback that re-enters gets a fresh statement. */
	sqlite3_stmt *stmts[_STMT_MAX];
	bool stmt_busy[_STMT_MAX];
	char error[256];
};

static const char *const alert_states[] = { "new", "acknowledged", "confirmed", "dismissed" };
static const char *const alert_severities[] = { "low", "medium", "high" };
static const char *const alert_classifications[] = {
	"in_window", "pre_existing", "new_since_baseline", "undated",
};

static bool str_in(const char *s, const char *const *set, size_t n)
{
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (streq(s, set[i]))
			return true;
	return false;
}

static int errno_from_sqlite(int rc, int sys_errno)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return sys_errno == ENOENT ? -ENOENT : -EACCES;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		/* The caller needs to tell "already there" from "bad row". */
		switch (rc) {
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return -ENOENT;
		case SQLITE_CONSTRAINT_CHECK:
		case SQLITE_CONSTRAINT_NOTNULL:
			return -EINVAL;
		default:
			return -EEXIST;
		}
	default:
		return -EIO;
	}
}

/* Records sqlite's message for store_last_error and returns the -errno. */
static int store_fail(store *s, int rc)
{
	snprintf(s->error, sizeof s->error, "%s", sqlite3_errmsg(s->db));
	return errno_from_sqlite(rc, sqlite3_system_errno(s->db));
}

/* For refusals of our own, where sqlite's message would be stale. */
static int store_refuse(store *s, int r, const char *why)
{
	snprintf(s->error, sizeof s->error, "%s", why);
	return r;
}

typedef struct stmt_ref {
	store *s;
	unsigned id;
	bool cached;
	sqlite3_stmt *stmt;
} stmt_ref;

static void stmt_release(stmt_ref *q)
{
	if (!q->stmt)
		return;
	if (q->cached) {
		sqlite3_reset(q->stmt);
		sqlite3_clear_bindings(q->stmt);
		q->s->stmt_busy[q->id] = false;
	} else
		sqlite3_finalize(q->stmt);
	q->stmt = NULL;
}

#define _cleanup_stmt_ _cleanup_(stmt_release)

static int stmt_get(store *s, unsigned id, stmt_ref *ret)
{
	sqlite3_stmt *st = NULL;

	if (!s->stmt_busy[id] && s->stmts[id]) {
		st = s->stmts[id];
	} else {
		bool cache = !s->stmt_busy[id];
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, cache ? SQLITE_PREPARE_PERSISTENT : 0,
					&st, NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc);
		if (cache)
			s->stmts[id] = st;
	}
	*ret = (stmt_ref){
		.s = s,
		.id = id,
		.cached = st == s->stmts[id],
		.stmt = st,
	};
	if (ret->cached)
		s->stmt_busy[id] = true;
	return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v > INT64_MAX)
		return SQLITE_RANGE;
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);
	return v < 0 ? 0 : (uint64_t)v;
}

/* Runs a statement that returns no rows (or whose rows do not matter). */
static int stmt_run(store *s, unsigned id)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, id, &q);
	if (r < 0)
		return r;
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, rc);
	return 0;
}

/* One-off statements at open time (pragmas); not worth caching. */
static int exec_int(store *s, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ret)
			*ret = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE)
		r = store_fail(s, rc);
	else if (ret)
		r = store_refuse(s, -EIO, "pragma returned no row");
	sqlite3_finalize(st);
	return r;
}

static int exec_sql(store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* Whether the file is ours: a database created by migration 1 carries our
 * application_id; an unmigrated one must be empty (no foreign schema to
 * migrate over). Reading sqlite_master also parses the schema, which is
 * what notices a corrupt one. */
static int check_identity(store *s, int64_t version)
{
	int64_t app_id = 0, objects = 0;
	int r;

	r = exec_int(s, "PRAGMA application_id", &app_id);
	if (r < 0)
		return r;
	r = exec_int(s, "SELECT count(*) FROM sqlite_master", &objects);
	if (r < 0)
		return r;
	if (version > 0 ? app_id != STORE_APPLICATION_ID : (app_id != 0 || objects > 0))
		return store_refuse(s, -EBADMSG, "not a contactwatch database");
	return 0;
}

/* Applies the next migration in its own transaction. Returns 1 when one
 * was applied, 0 when the schema is current. The version is re-read under
 * the write lock: another process may have migrated while we waited. */
static int migrate_one(store *s)
{
	int64_t version = 0, after = 0;
	int r;

	r = exec_sql(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_int(s, "PRAGMA user_version", &version);
	if (r < 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		r = store_refuse(s, -EPROTONOSUPPORT, "database schema is newer than this program");
		goto fail;
	}
	if (version == STORE_SCHEMA_VERSION) {
		r = exec_sql(s, "COMMIT");
		if (r < 0)
			goto fail;
		return 0;
	}
	r = exec_sql(s, store_migrations[version]);
	if (r < 0)
		goto fail;
	/* A migration that forgot its user_version would loop for ever. */
	r = exec_int(s, "PRAGMA user_version", &after);
	if (r < 0)
		goto fail;
	if (after != version + 1) {
		r = store_refuse(s, -EIO, "migration did not advance the schema version");
		goto fail;
	}
	r = exec_sql(s, "COMMIT");
	if (r < 0)
		goto fail;
	return 1;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int migrate(store *s)
{
	int r;

	while ((r = migrate_one(s)) > 0)
		;
	return r;
}

/* Creates the file ourselves so its mode is 0600 whatever the umask (sqlite
 * would use 0644), and the -wal/-shm files sqlite makes copy that mode.
 * Also turns "missing" and "not a regular file" into plain errno. */
static int prepare_file(const char *path, bool readonly)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, readonly ? O_RDONLY | O_CLOEXEC | O_NOFOLLOW
				 : O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno; /* ELOOP: a symlink where the database should be */
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADMSG;
	close(fd);
	return r;
}

int store_open(const char *path, unsigned flags, store **ret)
{
	bool readonly = flags & STORE_READONLY;
	int64_t version = 0;
	store *s = NULL;
	int rc, r;

	if (isempty(path) || !ret || (flags & ~(unsigned)STORE_READONLY))
		return -EINVAL;
	r = prepare_file(path, readonly);
	if (r < 0)
		return r;

	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->readonly = readonly;
	rc = sqlite3_open_v2(path, &s->db,
			     (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
				     SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK) {
		r = s->db ? store_fail(s, rc) : -ENOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, (int)STORE_BUSY_TIMEOUT_MS);

	/* Read the version before anything that could write: a newer
	 * schema is left exactly as it is. This is also the first read of
	 * the file, where sqlite notices it is not a database. */
	r = exec_int(s, "PRAGMA user_version", &version);
	if (r < 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		r = store_refuse(s, -EPROTONOSUPPORT, "database schema is newer than this program");
		goto fail;
	}
	r = check_identity(s, version);
	if (r < 0)
		goto fail;
	if (readonly && version < STORE_SCHEMA_VERSION) {
		r = store_refuse(s, -ESTALE, "database schema is older than this program");
		goto fail;
	}

	/* foreign_keys is per connection and ignored inside a transaction,
	 * so it goes first. */
	r = exec_sql(s, "PRAGMA foreign_keys = ON");
	if (r < 0)
		goto fail;
	if (!readonly) {
		sqlite3_stmt *st = NULL;
		bool wal;

		/* journal_mode answers with the mode it ended up in. */
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc != SQLITE_OK) {
			r = store_fail(s, rc);
			goto fail;
		}
		rc = sqlite3_step(st);
		wal = rc == SQLITE_ROW && col_text(st, 0) && streq(col_text(st, 0), "wal");
		if (rc != SQLITE_ROW)
			r = store_fail(s, rc);
		sqlite3_finalize(st);
		if (r < 0)
			goto fail;
		if (!wal) {
			r = store_refuse(s, -EIO, "cannot switch the database to WAL mode");
			goto fail;
		}
		r = exec_sql(s, "PRAGMA synchronous = NORMAL");
		if (r < 0)
			goto fail;
		r = migrate(s);
		if (r < 0)
			goto fail;
	}

	*ret = s;
	return 0;
fail:
	store_close(s);
	return r;
}

store *store_close(store *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < _STMT_MAX; i++)
		sqlite3_finalize(s->stmts[i]);
	/* Every statement is finalized, so close cannot be left pending. */
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

const char *store_last_error(const store *s)
{
	if (!s)
		return "no database";
	return s->error[0] ? s->error : "no error";
}

int store_set_busy_timeout(store *s, unsigned ms)
{
	int rc;

	if (ms > INT32_MAX)
		return -ERANGE;
	rc = sqlite3_busy_timeout(s->db, (int)ms);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

int store_begin(store *s)
{
	/* sqlite would grant BEGIN IMMEDIATE on a read-only connection and
	 * fail only at the first write; say so up front. */
	if (s->readonly)
		return store_refuse(s, -EROFS, "the database is open read-only");
	if (!sqlite3_get_autocommit(s->db))
		return store_refuse(s, -EALREADY, "a transaction is already open");
	return stmt_run(s, STMT_BEGIN);
}

int store_commit(store *s)
{
	return stmt_run(s, STMT_COMMIT);
}

int store_rollback(store *s)
{
	/* Cleanup paths call this without knowing whether sqlite already
	 * rolled back (it does on some errors). */
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return stmt_run(s, STMT_ROLLBACK);
}

static bool is_sha256_hex(const char *h)
{
	size_t n = 0;

	if (!h)
		return false;
	for (; h[n]; n++)
		if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
			return false;
	return n == 64;
}

int store_file_known(store *s, const char *employee, const char *sha256, bool *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (isempty(employee) || isempty(sha256) || !ret)
		return store_refuse(s, -EINVAL, "store_file_known: employee and sha256 are required");
	r = stmt_get(s, STMT_FILE_KNOWN, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, employee)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, sha256)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, rc);
	*ret = rc == SQLITE_ROW;
	return 0;
}

int store_file_insert(store *s, const store_file *f, int64_t *ret_id)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!f || isempty(f->employee) || isempty(f->source) || isempty(f->path))
		return store_refuse(s, -EINVAL, "file: employee, source and path are required");
	if (!is_sha256_hex(f->sha256))
		return store_refuse(s, -EINVAL, "file: sha256 must be 64 lowercase hex digits");
	if (!f->status || !(streq(f->status, "processed") || streq(f->status, "rejected")))
		return store_refuse(s, -EINVAL, "file: status must be processed or rejected");

	r = stmt_get(s, STMT_FILE_INSERT, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, f->employee)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, f->source)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, f->path)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 4, f->sha256)) != SQLITE_OK ||
	    (rc = bind_u64(q.stmt, 5, f->size)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 6, f->format)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 7, f->received_at)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 8, f->status)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 9, f->error)) != SQLITE_OK ||
	    (rc = bind_u64(q.stmt, 10, f->records)) != SQLITE_OK ||
	    (rc = bind_u64(q.stmt, 11, f->rejected_records)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 12, f->kept_path)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 13, f->encoding)) != SQLITE_OK) {
		if (rc == SQLITE_RANGE)
			return store_refuse(s, -ERANGE, "file: a count is too large");
		return store_fail(s, rc);
	}
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static void file_from_row(sqlite3_stmt *st, store_file *f)
{
	*f = (store_file){
		.id = sqlite3_column_int64(st, 0),
		.employee = col_text(st, 1),
		.source = col_text(st, 2),
		.path = col_text(st, 3),
		.sha256 = col_text(st, 4),
		.size = col_u64(st, 5),
		.format = col_text(st, 6),
		.received_at = sqlite3_column_int64(st, 7),
		.status = col_text(st, 8),
		.error = col_text(st, 9),
		.records = col_u64(st, 10),
		.rejected_records = col_u64(st, 11),
		.kept_path = col_text(st, 12),
		.encoding = col_text(st, 13),
	};
}

int store_files_foreach(store *s, const char *employee, store_file_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_files_foreach: no callback");
	r = stmt_get(s, employee ? STMT_FILES_EMPLOYEE : STMT_FILES_ALL, &q);
	if (r < 0)
		return r;
	if (employee && (rc = bind_text(q.stmt, 1, employee)) != SQLITE_OK)
		return store_fail(s, rc);
	while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
		store_file f;

		file_from_row(q.stmt, &f);
		r = cb(&f, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

static int history_insert(store *s, const store_history *h)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_HISTORY_ADD, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, h->alert_id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 2, h->at)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, h->actor)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 4, h->action)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 5, h->note)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

/* The insert proper, inside store_alert_insert's savepoint. */
static int alert_insert_rows(store *s, const store_alert *a, int64_t *ret_id)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_ALERT_INSERT, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, a->key)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, a->employee)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, a->relation)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 4, a->severity)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 5, a->classification)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 6, a->state)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 7, a->created_at)) != SQLITE_OK ||
	    (rc = a->file_id > 0 ? sqlite3_bind_int64(q.stmt, 8, a->file_id)
				 : sqlite3_bind_null(q.stmt, 8)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 9, a->body)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);

	if (sqlite3_changes(s->db) > 0) {
		int64_t id = sqlite3_last_insert_rowid(s->db);
		r = history_insert(s, &(store_history){
					      .alert_id = id,
					      .at = a->created_at,
					      .actor = "contactwatchd",
					      .action = "created",
				      });
		if (r < 0)
			return r;
		*ret_id = id;
		return 1;
	}

	stmt_release(&q);
	r = stmt_get(s, STMT_ALERT_BY_KEY, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, a->key)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc == SQLITE_DONE) /* DO NOTHING fired, yet no row: cannot happen in one transaction */
		return store_refuse(s, -EIO, "alert key conflict without a row");
	if (rc != SQLITE_ROW)
		return store_fail(s, rc);
	*ret_id = sqlite3_column_int64(q.stmt, 0);
	return 0;
}

int store_alert_insert(store *s, const store_alert *a, int64_t *ret_id)
{
	int64_t id = 0;
	int r;

	if (!a || isempty(a->key) || isempty(a->employee) || isempty(a->relation) || !a->body)
		return store_refuse(s, -EINVAL, "alert: key, employee, relation and body are required");
	if (!str_in(a->severity, alert_severities, ELEMENTSOF(alert_severities)))
		return store_refuse(s, -EINVAL, "alert: unknown severity");
	if (!str_in(a->classification, alert_classifications, ELEMENTSOF(alert_classifications)))
		return store_refuse(s, -EINVAL, "alert: unknown classification");
	if (a->state && !str_in(a->state, alert_states, ELEMENTSOF(alert_states)))
		return store_refuse(s, -EINVAL, "alert: unknown state");

	/* A savepoint, so the alert never exists without its "created" row,
	 * inside the caller's transaction or without one. */
	r = stmt_run(s, STMT_SAVEPOINT);
	if (r < 0)
		return r;
	r = alert_insert_rows(s, a, &id);
	if (r < 0) {
		/* Keep the first error's message, not the rollback's. */
		char why[sizeof s->error];

		memcpy(why, s->error, sizeof why);
		if (stmt_run(s, STMT_ROLLBACK_TO) >= 0)
			(void)stmt_run(s, STMT_RELEASE);
		memcpy(s->error, why, sizeof why);
		return r;
	}
	int k = stmt_run(s, STMT_RELEASE);
	if (k < 0)
		return k;
	if (ret_id)
		*ret_id = id;
	return r;
}

static void alert_from_row(sqlite3_stmt *st, store_alert *a)
{
	*a = (store_alert){
		.id = sqlite3_column_int64(st, 0),
		.key = col_text(st, 1),
		.employee = col_text(st, 2),
		.relation = col_text(st, 3),
		.severity = col_text(st, 4),
		.classification = col_text(st, 5),
		.state = col_text(st, 6),
		.created_at = sqlite3_column_int64(st, 7),
		.file_id = sqlite3_column_int64(st, 8),
		.body = col_text(st, 9),
	};
}

/* Steps an alert query to its end, handing each row to cb. */
static int alerts_walk(store *s, sqlite3_stmt *st, store_alert_fn cb, void *userdata,
		       unsigned *ret_rows)
{
	unsigned rows = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_alert a;
		int r;

		rows++;
		alert_from_row(st, &a);
		r = cb(&a, userdata);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (ret_rows)
		*ret_rows = rows;
	return 0;
}

int store_alerts_foreach(store *s, const store_alert_filter *f, store_alert_fn cb, void *userdata)
{
	static const store_alert_filter all = { 0 };
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!f)
		f = &all;
	if (!cb)
		return store_refuse(s, -EINVAL, "store_alerts_foreach: no callback");
	if (f->state && !str_in(f->state, alert_states, ELEMENTSOF(alert_states)))
		return store_refuse(s, -EINVAL, "unknown alert state");
	r = stmt_get(s, STMT_ALERTS, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, f->state)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, f->employee)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 3, f->since)) != SQLITE_OK)
		return store_fail(s, rc);
	return alerts_walk(s, q.stmt, cb, userdata, NULL);
}

int store_alert_get(store *s, int64_t id, store_alert_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	unsigned rows = 0;
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_alert_get: no callback");
	r = stmt_get(s, STMT_ALERT_GET, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK)
		return store_fail(s, rc);
	r = alerts_walk(s, q.stmt, cb, userdata, &rows);
	if (r < 0)
		return r;
	return rows > 0 ? 0 : store_refuse(s, -ENOENT, "no such alert");
}

int store_alert_set_state(store *s, int64_t id, const char *state)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!str_in(state, alert_states, ELEMENTSOF(alert_states)))
		return store_refuse(s, -EINVAL, "unknown alert state");
	r = stmt_get(s, STMT_ALERT_SET_STATE, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, state)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	return sqlite3_changes(s->db) > 0 ? 0 : store_refuse(s, -ENOENT, "no such alert");
}

int store_alert_reclassify(store *s, int64_t id, const store_alert *a)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!a || !a->body)
		return store_refuse(s, -EINVAL, "alert: body is required");
	if (!str_in(a->severity, alert_severities, ELEMENTSOF(alert_severities)))
		return store_refuse(s, -EINVAL, "alert: unknown severity");
	if (!str_in(a->classification, alert_classifications, ELEMENTSOF(alert_classifications)))
		return store_refuse(s, -EINVAL, "alert: unknown classification");
	r = stmt_get(s, STMT_ALERT_RECLASSIFY, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, a->severity)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, a->classification)) != SQLITE_OK ||
	    (rc = a->file_id > 0 ? sqlite3_bind_int64(q.stmt, 4, a->file_id) : sqlite3_bind_null(q.stmt, 4)) !=
		    SQLITE_OK ||
	    (rc = bind_text(q.stmt, 5, a->body)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	return sqlite3_changes(s->db) > 0 ? 0 : store_refuse(s, -ENOENT, "no such alert");
}

int store_history_add(store *s, const store_history *h)
{
	if (!h || isempty(h->actor) || isempty(h->action))
		return store_refuse(s, -EINVAL, "history: actor and action are required");
	return history_insert(s, h);
}

int store_history_foreach(store *s, int64_t alert_id, store_history_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_history_foreach: no callback");
	r = stmt_get(s, STMT_HISTORY, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, alert_id)) != SQLITE_OK)
		return store_fail(s, rc);
	while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
		store_history h = {
			.alert_id = sqlite3_column_int64(q.stmt, 0),
			.at = sqlite3_column_int64(q.stmt, 1),
			.actor = col_text(q.stmt, 2),
			.action = col_text(q.stmt, 3),
			.note = col_text(q.stmt, 4),
		};

		r = cb(&h, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_counts_get(store *s, store_counts *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!ret)
		return store_refuse(s, -EINVAL, "store_counts_get: no result");
	r = stmt_get(s, STMT_COUNTS, &q);
	if (r < 0)
		return r;
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc);
	*ret = (store_counts){
		.files_processed = col_u64(q.stmt, 0),
		.files_rejected = col_u64(q.stmt, 1),
		.alerts_total = col_u64(q.stmt, 2),
		.alerts_new = col_u64(q.stmt, 3),
	};
	return 0;
}

/* Binds (employee, source, format), the leading key columns of seen. */
static int seen_bind(store *s, sqlite3_stmt *st, const store_baseline *b)
{
	int rc;

	if ((rc = bind_text(st, 1, b->employee)) != SQLITE_OK || (rc = bind_text(st, 2, b->source)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, b->format)) != SQLITE_OK)
		return store_fail(s, rc);
	return 0;
}

static bool baseline_valid(const store_baseline *b)
{
	return b && !isempty(b->employee) && !isempty(b->source) && !isempty(b->format);
}

int store_seen_has_baseline(store *s, const store_baseline *b, bool *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!baseline_valid(b) || !ret)
		return store_refuse(s, -EINVAL, "baseline: employee, source and format are required");
	r = stmt_get(s, STMT_SEEN_BASELINE, &q);
	if (r < 0)
		return r;
	r = seen_bind(s, q.stmt, b);
	if (r < 0)
		return r;
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, rc);
	*ret = rc == SQLITE_ROW;
	return 0;
}

int store_seen_contains(store *s, const store_baseline *b, const uint8_t hmac[static STORE_SEEN_HMAC_SIZE],
			bool *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!baseline_valid(b) || !hmac || !ret)
		return store_refuse(s, -EINVAL, "baseline: employee, source, format and hash are required");
	r = stmt_get(s, STMT_SEEN_CONTAINS, &q);
	if (r < 0)
		return r;
	r = seen_bind(s, q.stmt, b);
	if (r < 0)
		return r;
	rc = sqlite3_bind_blob(q.stmt, 4, hmac, STORE_SEEN_HMAC_SIZE, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, rc);
	*ret = rc == SQLITE_ROW;
	return 0;
}

/* The inserts proper, inside store_seen_add's savepoint: one prepared
 * statement, the baseline and first_seen bound once, only the hash rebound
 * per row (sqlite3_reset keeps the other bindings). */
static int seen_insert_rows(store *s, const store_baseline *b, const uint8_t (*hmacs)[STORE_SEEN_HMAC_SIZE],
			    size_t n, int64_t first_seen, size_t *ret_added)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	size_t added = 0;
	int r, rc;

	r = stmt_get(s, STMT_SEEN_ADD, &q);
	if (r < 0)
		return r;
	r = seen_bind(s, q.stmt, b);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(q.stmt, 5, first_seen);
	if (rc != SQLITE_OK)
		return store_fail(s, rc);
	for (size_t i = 0; i < n; i++) {
		rc = sqlite3_bind_blob(q.stmt, 4, hmacs[i], STORE_SEEN_HMAC_SIZE, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return store_fail(s, rc);
		rc = sqlite3_step(q.stmt);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc);
		added += (size_t)sqlite3_changes(s->db);
		sqlite3_reset(q.stmt);
	}
	*ret_added = added;
	return 0;
}

int store_seen_add(store *s, const store_baseline *b, const uint8_t (*hmacs)[STORE_SEEN_HMAC_SIZE], size_t n,
		   int64_t first_seen, size_t *ret_added)
{
	size_t added = 0;
	int r;

	if (!baseline_valid(b) || (!hmacs && n > 0))
		return store_refuse(s, -EINVAL, "baseline: employee, source, format and hashes are required");
	if (s->readonly)
		return store_refuse(s, -EROFS, "the database is open read-only");
	/* A savepoint: all of a file's hashes or none, inside the caller's
	 * transaction or without one. */
	r = stmt_run(s, STMT_SEEN_SAVEPOINT);
	if (r < 0)
		return r;
	r = seen_insert_rows(s, b, hmacs, n, first_seen, &added);
	if (r < 0) {
		/* Keep the first error's message, not the rollback's. */
		char why[sizeof s->error];

		memcpy(why, s->error, sizeof why);
		if (stmt_run(s, STMT_SEEN_ROLLBACK_TO) >= 0)
			(void)stmt_run(s, STMT_SEEN_RELEASE);
		memcpy(s->error, why, sizeof why);
		return r;
	}
	r = stmt_run(s, STMT_SEEN_RELEASE);
	if (r < 0)
		return r;
	if (ret_added)
		*ret_added = added;
	return 0;
}

/* ---- the outbox ------------------------------------------------------------ */

static void delivery_from_row(sqlite3_stmt *st, store_delivery *d)
{
	sqlite3_int64 attempts = sqlite3_column_int64(st, 6);

	*d = (store_delivery){
		.id = sqlite3_column_int64(st, 0),
		.alert_id = sqlite3_column_int64(st, 1),
		.channel = col_text(st, 2),
		.employee = col_text(st, 3),
		.idem_key = col_text(st, 4),
		.state = col_text(st, 5),
		.attempts = attempts < 0 ? 0 : attempts > UINT32_MAX ? UINT32_MAX : (unsigned)attempts,
		.next_attempt_at = sqlite3_column_int64(st, 7),
		.created_at = sqlite3_column_int64(st, 8),
		.delivered_at = sqlite3_column_int64(st, 9),
		.last_error = col_text(st, 10),
	};
}

/* Steps a delivery query to its end, handing each row to cb. */
static int deliveries_walk(store *s, sqlite3_stmt *st, store_delivery_fn cb, void *userdata, unsigned *ret_rows)
{
	unsigned rows = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_delivery d;
		int r;

		rows++;
		delivery_from_row(st, &d);
		r = cb(&d, userdata);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (ret_rows)
		*ret_rows = rows;
	return 0;
}

/* store_delivery_add and _renew: the same row, inserted or renewed. */
static int delivery_insert(store *s, int stmt, int64_t alert_id, const char *channel, const char *idem_key,
			   int64_t now, int64_t *ret_id)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (isempty(channel) || isempty(idem_key))
		return store_refuse(s, -EINVAL, "delivery: channel and idempotency key are required");
	r = stmt_get(s, stmt, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, alert_id)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 2, channel)) != SQLITE_OK || (rc = bind_text(q.stmt, 3, idem_key)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 4, now)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_delivery_add(store *s, int64_t alert_id, const char *channel, const char *idem_key, int64_t now,
		       int64_t *ret_id)
{
	return delivery_insert(s, STMT_DELIVERY_ADD, alert_id, channel, idem_key, now, ret_id);
}

int store_delivery_renew(store *s, int64_t alert_id, const char *channel, const char *idem_key, int64_t now)
{
	return delivery_insert(s, STMT_DELIVERY_RENEW, alert_id, channel, idem_key, now, NULL);
}

int store_deliveries_due(store *s, const char *channel, int64_t now, store_delivery_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_deliveries_due: no callback");
	r = stmt_get(s, STMT_DELIVERIES_DUE, &q);
	if (r < 0)
		return r;
	if ((rc = bind_text(q.stmt, 1, channel)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 2, now < 0 ? -1 : now)) != SQLITE_OK)
		return store_fail(s, rc);
	return deliveries_walk(s, q.stmt, cb, userdata, NULL);
}

int store_delivery_next_due(store *s, int64_t *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!ret)
		return store_refuse(s, -EINVAL, "store_delivery_next_due: no result");
	r = stmt_get(s, STMT_DELIVERY_NEXT_DUE, &q);
	if (r < 0)
		return r;
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc);
	/* An aggregate always answers one row: NULL when nothing is queued. */
	if (sqlite3_column_type(q.stmt, 0) == SQLITE_NULL)
		return 0;
	*ret = sqlite3_column_int64(q.stmt, 0);
	return 1;
}

int store_delivery_get(store *s, int64_t id, store_delivery_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	unsigned rows = 0;
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_delivery_get: no callback");
	r = stmt_get(s, STMT_DELIVERY_GET, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK)
		return store_fail(s, rc);
	r = deliveries_walk(s, q.stmt, cb, userdata, &rows);
	if (r < 0)
		return r;
	return rows > 0 ? 0 : store_refuse(s, -ENOENT, "no such delivery");
}

/* After an outcome UPDATE changed nothing: tells "no such row" (-ENOENT)
 * from "not queued any more" (-ESTALE). */
static int delivery_unchanged(store *s, int64_t id)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_DELIVERY_STATE, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc == SQLITE_DONE)
		return store_refuse(s, -ENOENT, "no such delivery");
	if (rc != SQLITE_ROW)
		return store_fail(s, rc);
	return store_refuse(s, -ESTALE, "delivery is not queued any more");
}

/* Runs one of the outcome UPDATEs, bound by the caller, and checks that it
 * changed the row. */
static int delivery_outcome(store *s, stmt_ref *q, int64_t id)
{
	int rc = sqlite3_step(q->stmt);

	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (sqlite3_changes(s->db) > 0)
		return 0;
	stmt_release(q);
	return delivery_unchanged(s, id);
}

int store_delivery_mark_delivered(store *s, int64_t id, int64_t now)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_DELIVERY_DELIVERED, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK || (rc = sqlite3_bind_int64(q.stmt, 2, now)) != SQLITE_OK)
		return store_fail(s, rc);
	return delivery_outcome(s, &q, id);
}

int store_delivery_mark_retry(store *s, int64_t id, int64_t next_attempt_at, const char *error)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_DELIVERY_RETRY, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q.stmt, 2, next_attempt_at)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, error)) != SQLITE_OK)
		return store_fail(s, rc);
	return delivery_outcome(s, &q, id);
}

int store_delivery_mark_failed(store *s, int64_t id, bool count_attempt, const char *error)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_DELIVERY_FAILED, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(q.stmt, 2, count_attempt ? 1 : 0)) != SQLITE_OK ||
	    (rc = bind_text(q.stmt, 3, error)) != SQLITE_OK)
		return store_fail(s, rc);
	return delivery_outcome(s, &q, id);
}

static int alert_exists(store *s, int64_t id, bool *ret)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	r = stmt_get(s, STMT_ALERT_EXISTS, &q);
	if (r < 0)
		return r;
	if ((rc = sqlite3_bind_int64(q.stmt, 1, id)) != SQLITE_OK)
		return store_fail(s, rc);
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, rc);
	*ret = rc == SQLITE_ROW;
	return 0;
}

int store_delivery_requeue(store *s, int64_t alert_id, int64_t now, size_t *ret_n)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (s->readonly)
		return store_refuse(s, -EROFS, "the database is open read-only");
	if (alert_id > 0) {
		bool exists = false;

		r = alert_exists(s, alert_id, &exists);
		if (r < 0)
			return r;
		if (!exists)
			return store_refuse(s, -ENOENT, "no such alert");
		r = stmt_get(s, STMT_DELIVERY_REQUEUE_ALERT, &q);
		if (r < 0)
			return r;
		if ((rc = sqlite3_bind_int64(q.stmt, 1, alert_id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(q.stmt, 2, now)) != SQLITE_OK)
			return store_fail(s, rc);
	} else {
		r = stmt_get(s, STMT_DELIVERY_REQUEUE_FAILED, &q);
		if (r < 0)
			return r;
		if ((rc = sqlite3_bind_int64(q.stmt, 1, now)) != SQLITE_OK)
			return store_fail(s, rc);
	}
	rc = sqlite3_step(q.stmt);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (ret_n)
		*ret_n = (size_t)sqlite3_changes(s->db);
	return 0;
}

int store_delivery_counts_foreach(store *s, store_channel_counts_fn cb, void *userdata)
{
	_cleanup_stmt_ stmt_ref q = { 0 };
	int r, rc;

	if (!cb)
		return store_refuse(s, -EINVAL, "store_delivery_counts_foreach: no callback");
	r = stmt_get(s, STMT_DELIVERY_COUNTS, &q);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
		const store_channel_counts c = {
			.channel = col_text(q.stmt, 0),
			.queued = col_u64(q.stmt, 1),
			.retrying = col_u64(q.stmt, 2),
			.failed = col_u64(q.stmt, 3),
			.delivered = col_u64(q.stmt, 4),
			.oldest_queued = sqlite3_column_int64(q.stmt, 5),
			.last_error = col_text(q.stmt, 6),
		};

		r = cb(&c, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}
