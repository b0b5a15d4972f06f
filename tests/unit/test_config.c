/* test_config.c — config_load over real trees written to a temporary
 * directory: a full valid tree (main file, conf.d override, staff.d, JSON
 * and CSV catalogues) and one tree per error, each error asserted as the
 * exact "file:line: message" an admin would see. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "contactwatch/config.h"
#include "contactwatch/names.h"
#include "contactwatch/date.h"
#include "golden.h"
#include <ini.h>

typedef struct fixture {
	char dir[64];
	char main[128];
	diag_list d;
	config *c;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/cw-test-config-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->main, sizeof f->main, "%s/contactwatch.conf", f->dir);
	unsetenv("STATE_DIRECTORY");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	diag_done(&f->d);
	f->c = config_free(f->c);
	int r = golden_rmtree(f->dir);
	free(f);
	return r;
}

/* Writes rel (may contain one or two directory levels) under the fixture. */
static void put(fixture *f, const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	for (char *s = path + strlen(f->dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*s = '/';
	}
	FILE *fp = fopen(path, "we");
	assert_non_null(fp);
	assert_true(fputs(content, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void mkdir_in(fixture *f, const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* "DIR/rel" for the fixture's directory. */
static const char *at(fixture *f, const char *rel)
{
	/* Enough buffers for one expect_errors() call's arguments. */
	static char buf[32][1024];
	static unsigned n;
	char *b = buf[n++ % 32];
	snprintf(b, sizeof buf[0], "%s/%s", f->dir, rel);
	return b;
}

static void dump(const fixture *f)
{
	for (char **e = f->d.errors; e && *e; e++)
		print_message("error: %s\n", *e);
	for (char **e = f->d.warnings; e && *e; e++)
		print_message("warning: %s\n", *e);
}

/* Loads and expects failure with exactly the given errors (NULL-terminated). */
static void expect_errors(fixture *f, ...)
{
	config *sentinel = (config *)0x1;
	config *c = sentinel;
	va_list ap;
	size_t n = 0;

	int r = config_load(f->main, &f->d, &c);
	if (r != -EINVAL)
		dump(f);
	assert_int_equal(r, -EINVAL);
	assert_ptr_equal(c, sentinel); /* untouched */
	va_start(ap, f);
	for (const char *want; (want = va_arg(ap, const char *)); n++) {
		if (n >= diag_n_errors(&f->d) || !streq(f->d.errors[n], want))
			dump(f);
		assert_true(n < diag_n_errors(&f->d));
		assert_string_equal(f->d.errors[n], want);
	}
	va_end(ap);
	if (n != diag_n_errors(&f->d))
		dump(f);
	assert_int_equal(diag_n_errors(&f->d), n);
}

static const char key_accounts_json[] =
	"{\n"
	"  \"relations\": [\n"
	"    {\"id\": \"R001\", \"type\": \"company\", \"name\": \"Bouwbedrijf Jansen B.V.\",\n"
	"     \"aliases\": [\"Jansen Bouw\"], \"domains\": [\"jansenbouw.nl\"],\n"
	"     \"linkedin\": \"https://www.linkedin.com/company/jansen-bouw\"},\n"
	"    {\"id\": \"R002\", \"type\": \"person\", \"name\": \"Petra van den Berg\",\n"
	"     \"company\": \"Acme Logistics\", \"emails\": [\"p.vandenberg@acme.nl\"],\n"
	"     \"linkedin\": \"https://www.linkedin.com/in/petravdberg\"}\n"
	"  ]\n"
	"}\n";

static const char people_csv[] = "id,type,name,company,emails\n"
				 "R100,person,\"Vries, Kees de\",Acme Logistics,k.devries@acme.nl|kees@acme.nl\n";

static void write_valid_tree(fixture *f)
{
	put(f, "contactwatch.conf",
	    "; contactwatch test configuration\n"
	    "[daemon]\n"
	    "StateDirectory=state\n"
	    "ScanInterval=5min\n"
	    "SettleTime=1min\n"
	    "MaxFileSize=64M\n"
	    "RetentionAfterClause=30d\n"
	    "LogLevel=debug\n"
	    "\n"
	    "[match]\n"
	    "PersonThreshold=0.85\n"
	    "FreeMailDomains=example-isp.nl, Mail.Example.org\n"
	    "\n"
	    "[channel:archive]\n"
	    "Type=file\n"
	    "Path=alerts.jsonl          ; overridden in conf.d\n"
	    "MinSeverity=medium\n"
	    "\n"
	    "[channel:log]\n"
	    "    Type=journal\n"
	    "    MinSeverity=high\n");
	put(f, "conf.d/10-local.conf",
	    "[daemon]\n"
	    "ScanInterval=10min\n"
	    "[channel:archive]\n"
	    "Path=archive/alerts.jsonl\n"
	    "MinSeverity=high\n");
	put(f, "conf.d/20-later.conf", "[channel:archive]\nMinSeverity=medium\n");
	put(f, "conf.d/README", "[not an ini file\n");
	put(f, "staff.d/E1042.conf",
	    "[employee]\n"
	    "Id=E1042\n"
	    "Name=Jan de Vries\n"
	    "Email=jan.devries@example.nl\n"
	    "ProfileURL=https://www.linkedin.com/in/jandevries\n"
	    "DepartureDate=2026-06-30\n"
	    "\n"
	    "[clause]\n"
	    "Duration=12months\n"
	    "Relations=key-accounts.json, people.csv\n"
	    "PenaltyPerViolation=10000 EUR\n"
	    "Reference=Employment contract art. 12\n"
	    "CompanyThreshold=0.97\n"
	    "\n"
	    "[source:linkedin]\n"
	    "Path=./../staff.d//exports/x/../E1042/\n"
	    "Format=linkedin\n"
	    "\n"
	    "[source:crm]\n"
	    "URL=https://crm.example.nl/export/E1042.csv\n"
	    "Interval=6h\n");
	put(f, "staff.d/zz-late.conf",
	    "[employee]\n"
	    "Id=A0001\n"
	    "Name=Petra Jansen\n"
	    "DepartureDate=2026-01-31\n"
	    "[clause]\n"
	    "End=2026-12-31\n"
	    "Relations=key-accounts.json\n");
	put(f, "staff.d/notes.txt", "not a staff file\n");
	put(f, "relations/key-accounts.json", key_accounts_json);
	put(f, "relations/people.csv", people_csv);
}

static int32_t day(const char *iso)
{
	int32_t d;
	assert_int_equal(date_parse_iso(iso, &d), 0);
	return d;
}

static void test_valid_tree(void **state)
{
	fixture *f = *state;
	write_valid_tree(f);

	int r = config_load(f->main, &f->d, &f->c);
	if (r != 0)
		dump(f);
	assert_int_equal(r, 0);
	const config *c = f->c;
	assert_int_equal(diag_n_errors(&f->d), 0);
	assert_int_equal(strv_length(f->d.warnings), 1);
	assert_string_equal(f->d.warnings[0], at(f, "staff.d/zz-late.conf:2: Id=A0001 differs from the file name zz-late.conf"));

	assert_string_equal(c->path, f->main);
	assert_string_equal(c->state_dir, at(f, "state"));
	assert_string_equal(c->staff_dir, at(f, "staff.d"));
	assert_string_equal(c->relations_dir, at(f, "relations"));
	assert_int_equal(c->scan_interval_usec, 10 * USEC_PER_MIN); /* conf.d wins */
	assert_int_equal(c->settle_usec, USEC_PER_MIN);
	assert_int_equal(c->max_file_size, 64ull << 20);
	assert_int_equal(c->retention_usec, 30 * USEC_PER_DAY);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_float_equal(c->person_threshold, 0.85, 1e-12);
	assert_float_equal(c->company_threshold, 0.92, 1e-12);
	assert_true(strv_contains(c->free_mail_domains, "gmail.com"));
	assert_true(strv_contains(c->free_mail_domains, "ziggo.nl"));
	assert_true(strv_contains(c->free_mail_domains, "example-isp.nl"));
	assert_true(strv_contains(c->free_mail_domains, "mail.example.org"));

	assert_int_equal(c->n_channels, 2);
	const channel_config *a = &c->channels[0], *l = &c->channels[1];
	assert_string_equal(a->name, "archive");
	assert_int_equal(a->type, CHANNEL_FILE);
	/* Relative to conf.d/, the directory of the file that names it. */
	assert_string_equal(a->path, at(f, "conf.d/archive/alerts.jsonl"));
	assert_int_equal(a->min_severity, SEVERITY_MEDIUM); /* 20-later.conf after 10-local.conf */
	assert_string_equal(a->conf_file, f->main);
	assert_int_equal(a->conf_line, 14);
	assert_string_equal(l->name, "log");
	assert_int_equal(l->type, CHANNEL_JOURNAL);
	assert_int_equal(l->min_severity, SEVERITY_HIGH); /* indented keys are keys, not continuations */
	assert_null(l->path);

	assert_int_equal(c->n_employees, 2);
	const employee *p = &c->employees[0], *j = &c->employees[1]; /* sorted by id */
	assert_string_equal(p->id, "A0001");
	assert_string_equal(p->name, "Petra Jansen");
	assert_null(p->email);
	assert_int_equal(p->departure, day("2026-01-31"));
	assert_int_equal(p->window_end, day("2026-12-31"));
	assert_int_equal(p->n_sources, 0);
	assert_int_equal(p->relations.n, 2);
	assert_string_equal(p->conf_file, at(f, "staff.d/zz-late.conf"));

	assert_string_equal(j->id, "E1042");
	assert_string_equal(j->name, "Jan de Vries");
	assert_string_equal(j->email, "jan.devries@example.nl");
	assert_string_equal(j->profile_url, "https://www.linkedin.com/in/jandevries");
	assert_int_equal(j->departure, day("2026-06-30"));
	assert_int_equal(j->window_end, day("2027-06-30"));
	assert_string_equal(j->penalty, "10000 EUR");
	assert_string_equal(j->reference, "Employment contract art. 12");
	/* [clause] CompanyThreshold= overrides [match] for this employee only;
	 * PersonThreshold= is not set there, so [match]'s applies. */
	assert_float_equal(employee_company_threshold(c, j), 0.97, 1e-12);
	assert_float_equal(employee_person_threshold(c, j), 0.85, 1e-12);
	assert_float_equal(employee_company_threshold(c, p), 0.92, 1e-12);
	assert_float_equal(employee_person_threshold(c, p), 0.85, 1e-12);
	assert_int_equal(strv_length(j->relation_files), 2);
	assert_string_equal(j->relation_files[0], at(f, "relations/key-accounts.json"));
	assert_string_equal(j->relation_files[1], at(f, "relations/people.csv"));
	assert_int_equal(j->relations.n, 3);
	assert_string_equal(j->relations.items[0].id, "R001");
	assert_string_equal(j->relations.items[2].id, "R100");
	assert_string_equal(j->relations.items[2].name, "Vries, Kees de");
	assert_int_equal(strv_length(j->relations.items[2].emails), 2);
	/* Each catalogue once in the config, whoever names it; an employee
	 * naming several gets their relations joined, the strings shared. */
	assert_int_equal(c->n_catalogues, 2);
	assert_ptr_equal(p->relations.items, c->catalogues[0].set.items);
	assert_ptr_not_equal(j->relations.items, c->catalogues[0].set.items);
	assert_ptr_equal(j->relations.items[0].name, c->catalogues[0].set.items[0].name);
	assert_ptr_equal(j->relations.items[2].source, c->catalogues[1].set.items[0].source);
	assert_string_equal(j->relations.items[2].source, at(f, "relations/people.csv"));

	assert_int_equal(j->n_sources, 2);
	assert_string_equal(j->sources[0].name, "linkedin");
	/* Collapsed lexically: paths end up in alerts as evidence. */
	assert_string_equal(j->sources[0].path, at(f, "staff.d/exports/E1042/"));
	assert_null(j->sources[0].url);
	assert_string_equal(j->sources[0].format, "linkedin");
	assert_int_equal(j->sources[0].interval_usec, USEC_PER_DAY);
	assert_int_equal(j->sources[0].conf_line, 15);
	assert_string_equal(j->sources[1].name, "crm");
	assert_null(j->sources[1].path);
	assert_string_equal(j->sources[1].url, "https://crm.example.nl/export/E1042.csv");
	assert_string_equal(j->sources[1].format, "auto");
	assert_int_equal(j->sources[1].interval_usec, 6 * USEC_PER_HOUR);

	assert_ptr_equal(config_find_employee(c, "E1042"), j);
	assert_ptr_equal(config_find_employee(c, "A0001"), p);
	assert_null(config_find_employee(c, "E9999"));
	assert_null(config_find_employee(NULL, "E1042"));

	assert_false(employee_in_window(j, day("2026-06-29")));
	assert_true(employee_in_window(j, day("2026-06-30")));
	assert_true(employee_in_window(j, day("2027-06-30")));
	assert_false(employee_in_window(j, day("2027-07-01")));

	assert_null(config_free(NULL));
}

static void test_defaults(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf", "# nothing set\n");
	mkdir_in(f, "staff.d");

	setenv("STATE_DIRECTORY", "/var/lib/cw-a:/var/lib/cw-b", 1);
	int r = config_load(f->main, &f->d, &f->c);
	unsetenv("STATE_DIRECTORY");
	if (r != 0)
		dump(f);
	assert_int_equal(r, 0);
	const config *c = f->c;
	assert_string_equal(c->state_dir, "/var/lib/cw-a");
	assert_string_equal(c->staff_dir, at(f, "staff.d"));
	assert_string_equal(c->relations_dir, at(f, "relations"));
	assert_int_equal(c->scan_interval_usec, 15 * USEC_PER_MIN);
	assert_int_equal(c->settle_usec, 30 * USEC_PER_SEC);
	assert_int_equal(c->max_file_size, CW_DEFAULT_MAX_FILE_SIZE);
	assert_int_equal(c->retention_usec, 90 * USEC_PER_DAY);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_float_equal(c->person_threshold, 0.90, 1e-12);
	assert_float_equal(c->company_threshold, 0.92, 1e-12);
	assert_int_equal(strv_length(c->free_mail_domains), strv_length((char *const *)names_free_mail_builtin));
	assert_int_equal(c->n_channels, 0);
	assert_int_equal(c->n_employees, 0);
	assert_null(f->d.errors);
	assert_null(f->d.warnings);

	/* Without $STATE_DIRECTORY; "Key=" resets to the default. */
	f->c = config_free(f->c);
	put(f, "contactwatch.conf", "[daemon]\nScanInterval=1h\nScanInterval=\n");
	assert_int_equal(config_load(f->main, &f->d, &f->c), 0);
	assert_string_equal(f->c->state_dir, CW_DEFAULT_STATE_DIR);
	assert_int_equal(f->c->scan_interval_usec, 15 * USEC_PER_MIN);

	for (const char *const *d = names_free_mail_builtin; *d; d++)
		assert_true(strv_contains(f->c->free_mail_domains, *d));
	static const char *const must[] = { "gmail.com", "hotmail.com", "hotmail.nl", "outlook.com", "live.nl",
					    "yahoo.com", "icloud.com", "me.com", "protonmail.com", "ziggo.nl",
					    "kpnmail.nl", "planet.nl", "home.nl", "hetnet.nl", "xs4all.nl",
					    "chello.nl", "upcmail.nl", "casema.nl", "quicknet.nl", "online.nl",
					    "telfort.nl", "tele2.nl", "zeelandnet.nl" };
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		assert_true(strv_contains(f->c->free_mail_domains, must[i]));
}

static void test_relative_main_path(void **state)
{
	fixture *f = *state;
	char cwd[1024];
	put(f, "etc/contactwatch.conf", "[daemon]\nStateDirectory=../var\n");
	mkdir_in(f, "etc/staff.d");
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(f->dir), 0);
	int r = config_load("etc/contactwatch.conf", &f->d, &f->c);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	assert_string_equal(f->c->path, "etc/contactwatch.conf");
	assert_string_equal(f->c->state_dir, at(f, "var")); /* "etc/../var", collapsed */
	assert_string_equal(f->c->staff_dir, at(f, "etc/staff.d"));
}

static void test_unknown_key_and_section(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[daemon]\n"
	    "ScanIntervall=5min\n"
	    "[deamon]\n"
	    "ScanInterval=5min\n"
	    "Whatever=1\n"
	    "[employee]\n"
	    "Id=E1\n"
	    "[channel:x]\n"
	    "Type=journal\n"
	    "Colour=blue\n");
	mkdir_in(f, "staff.d");
	put(f, "conf.d/50-x.conf", "Orphan=1\n[match]\nPersonThreshold=0.9\nCompanyTreshold=0.9\n[channel:]\nType=file\n");
	expect_errors(f, at(f, "contactwatch.conf:2: unknown key ScanIntervall= in [daemon]"),
		      at(f, "contactwatch.conf:3: unknown section [deamon]"),
		      at(f, "contactwatch.conf:6: unknown section [employee]"),
		      at(f, "contactwatch.conf:10: unknown key Colour= in [channel:x]"),
		      at(f, "conf.d/50-x.conf:1: key Orphan= outside of any section"),
		      at(f, "conf.d/50-x.conf:4: unknown key CompanyTreshold= in [match]"),
		      at(f, "conf.d/50-x.conf:5: invalid section name [channel:] (after 'channel:' 1-64 letters, digits, "
			    "'.', '_' or '-')"),
		      NULL);
}

static void test_bad_values(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[daemon]\n"
	    "ScanInterval=soon\n"
	    "SettleTime=2d\n"
	    "MaxFileSize=lots\n"
	    "LogLevel=loud\n"
	    "RetentionAfterClause=0\n"
	    "[match]\n"
	    "PersonThreshold=1.5\n"
	    "CompanyThreshold=high\n"
	    "FreeMailDomains=ok.nl not_a_domain\n"
	    "[channel:a]\n"
	    "Type=pigeon\n"
	    "MinSeverity=urgent\n");
	mkdir_in(f, "staff.d");
	expect_errors(f, at(f, "contactwatch.conf:2: ScanInterval=soon: not a time span (e.g. 30s, 15min, 6h, 1d)"),
		      at(f, "contactwatch.conf:3: SettleTime=2d: out of range (0..1d)"),
		      at(f, "contactwatch.conf:4: MaxFileSize=lots: not a size (e.g. 64K, 512M, 1G)"),
		      at(f, "contactwatch.conf:5: LogLevel=loud: not a log level (emerg, alert, crit, err, warning, "
			    "notice, info, debug)"),
		      at(f, "contactwatch.conf:8: PersonThreshold=1.5: out of range (0..1)"),
		      at(f, "contactwatch.conf:9: CompanyThreshold=high: not a number between 0 and 1"),
		      at(f, "contactwatch.conf:10: FreeMailDomains=ok.nl not_a_domain: not a list of domain names"),
		      at(f, "contactwatch.conf:12: Type=pigeon: not a channel type (smtp, webhook, journal, file)"),
		      at(f, "contactwatch.conf:13: MinSeverity=urgent: not a severity (low, medium, high)"),
		      at(f, "contactwatch.conf:11: missing required key Type= in [channel:a]"), NULL);
}

static void test_syntax_errors(void **state)
{
	fixture *f = *state;
	char longline[400];
	char content[800];

	memset(longline, 'x', sizeof longline);
	memcpy(longline, "Reference=", 10);
	longline[INI_MAX_LINE - 3 + 1] = '\0'; /* one byte over */
	snprintf(content, sizeof content,
		 "[daemon]\n"
		 "ScanInterval 5min\n"
		 "[match\n"
		 "PersonThreshold=0.9\n"
		 "%s\n"
		 "LogLevel=info\n",
		 longline);
	put(f, "contactwatch.conf", content);
	mkdir_in(f, "staff.d");
	expect_errors(f, at(f, "contactwatch.conf:2: syntax error"), at(f, "contactwatch.conf:3: syntax error"),
		      at(f, "contactwatch.conf:5: line longer than 197 bytes"), NULL);
}

static void test_channels(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[channel:legal-mail]\n"
	    "Type=smtp\n"
	    "URL=smtps://smtp.example.nl:465\n"
	    "From=contactwatch@example.nl\n"
	    "To=legal@example.nl, hr@example.nl\n"
	    "UsernameCredential=smtp-user\n"
	    "PasswordCredential=smtp-password\n"
	    "MinSeverity=medium\n"
	    "\n"
	    "[channel:teams]\n"
	    "Type=webhook\n"
	    "Format=teams\n"
	    "SecretCredential=../etc/shadow\n"
	    "\n"
	    "[channel:archive]\n"
	    "Type=file\n"
	    "\n"
	    "[channel:j]\n"
	    "Type=journal\n"
	    "Path=/tmp/x\n"
	    "To=a@example.nl,b\n");
	mkdir_in(f, "staff.d");
	/* Value errors while reading, then each channel's checks in order. */
	expect_errors(f,
		      at(f, "contactwatch.conf:13: SecretCredential=../etc/shadow: not a credential name (a file "
			    "name, no '/')"),
		      at(f, "contactwatch.conf:21: To=a@example.nl,b: not a comma-separated list of e-mail addresses"),
		      at(f, "contactwatch.conf:10: [channel:teams] of Type=webhook needs URL="),
		      at(f, "contactwatch.conf:15: [channel:archive] of Type=file needs Path="),
		      at(f, "contactwatch.conf:20: Path= does not apply to channel type journal"), NULL);
}

static void test_webhook_key_checks(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[channel:hook]\n"
	    "Type=webhook\n"
	    "URL=ftp://hooks.example.nl/x\n"
	    "Format=xml\n");
	put(f, "conf.d/override.conf", "[channel:hook]\nURL=https://hooks.example.nl/cw\nFrom=a@example.nl\n");
	mkdir_in(f, "staff.d");
	expect_errors(f, at(f, "contactwatch.conf:4: Format=xml: not one of generic, slack, teams"),
		      at(f, "conf.d/override.conf:3: From= does not apply to channel type webhook"), NULL);
}

/* Every delivery key of remote channels, with relative paths, loopback
 * http and both SMTP schemes; and the defaults where nothing is said. */
static void test_channel_delivery_keys(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[channel:teams]\n"
	    "Type=webhook\n"
	    "URL=https://hooks.example.nl/cw\n"
	    "CAFile=certs/ca.pem\n"
	    "Pseudonymize=yes\n"
	    "Timeout=10s\n"
	    "RetryDelay=30s\n"
	    "RetryMaxDelay=2h\n"
	    "GiveUpAfter=1d\n"
	    "\n"
	    "[channel:legal-mail]\n"
	    "Type=smtp\n"
	    "URL=smtp://relay.example.nl:587\n"
	    "From=contactwatch@example.nl\n"
	    "To=legal@example.nl\n"
	    "Digest=on\n"
	    "CAFile=/etc/ssl/certs/relay.pem\n"
	    "\n"
	    "[channel:local-hook]\n"
	    "Type=webhook\n"
	    "URL=http://127.0.0.1:8080/hook\n"
	    "[channel:local-hook6]\n"
	    "Type=webhook\n"
	    "URL=http://[::1]:9000/hook\n"
	    "[channel:relay]\n"
	    "Type=webhook\n"
	    "URL=HTTP://LocalHost/hook\n"
	    "[channel:mail2]\n"
	    "Type=smtp\n"
	    "URL=smtps://smtp.example.nl\n"
	    "From=a@example.nl\n"
	    "To=b@example.nl\n"
	    "RetryDelay=1h\n"
	    "RetryMaxDelay=1h\n"
	    "[channel:archive]\n"
	    "Type=file\n"
	    "Path=alerts.jsonl\n"
	    "Pseudonymize=true\n");
	put(f, "conf.d/50-mail.conf", "[channel:legal-mail]\nDigest=no\nTimeout=2min\n");
	mkdir_in(f, "staff.d");
	int r = config_load(f->main, &f->d, &f->c);
	if (r != 0)
		dump(f);
	assert_int_equal(r, 0);
	assert_int_equal(f->c->n_channels, 7);

	const channel_config *ch = &f->c->channels[0];
	assert_string_equal(ch->name, "teams");
	assert_int_equal(ch->type, CHANNEL_WEBHOOK);
	assert_string_equal(ch->ca_file, at(f, "certs/ca.pem"));
	assert_true(ch->pseudonymize);
	assert_false(ch->digest);
	assert_int_equal(ch->timeout_usec, 10 * USEC_PER_SEC);
	assert_int_equal(ch->retry_delay_usec, 30 * USEC_PER_SEC);
	assert_int_equal(ch->retry_max_delay_usec, 2 * USEC_PER_HOUR);
	assert_int_equal(ch->give_up_usec, USEC_PER_DAY);

	ch = &f->c->channels[1];
	assert_string_equal(ch->name, "legal-mail");
	assert_string_equal(ch->url, "smtp://relay.example.nl:587");
	assert_string_equal(ch->ca_file, "/etc/ssl/certs/relay.pem");
	assert_false(ch->digest); /* conf.d wins */
	assert_false(ch->pseudonymize);
	assert_int_equal(ch->timeout_usec, 2 * USEC_PER_MIN);
	/* The defaults. */
	assert_int_equal(ch->retry_delay_usec, USEC_PER_MIN);
	assert_int_equal(ch->retry_max_delay_usec, USEC_PER_HOUR);
	assert_int_equal(ch->give_up_usec, 3 * USEC_PER_DAY);

	ch = &f->c->channels[2];
	assert_string_equal(ch->url, "http://127.0.0.1:8080/hook");
	assert_null(ch->ca_file);
	assert_false(ch->pseudonymize);
	assert_int_equal(ch->timeout_usec, 30 * USEC_PER_SEC);
	assert_string_equal(f->c->channels[3].url, "http://[::1]:9000/hook");
	assert_string_equal(f->c->channels[4].url, "HTTP://LocalHost/hook");
	/* RetryDelay= may equal RetryMaxDelay=: a fixed interval. */
	assert_int_equal(f->c->channels[5].retry_delay_usec, f->c->channels[5].retry_max_delay_usec);
	ch = &f->c->channels[6];
	assert_int_equal(ch->type, CHANNEL_FILE);
	assert_true(ch->pseudonymize);
	assert_null(f->d.errors);
}

static void test_channel_delivery_key_errors(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf",
	    "[channel:plain]\n"                            /* 1 */
	    "Type=webhook\n"
	    "URL=http://hooks.example.nl/cw\n"
	    "Digest=yes\n"
	    "[channel:sneaky]\n"                           /* 5 */
	    "Type=webhook\n"
	    "URL=http://127.0.0.1@hooks.example.nl/cw\n"
	    "[channel:loopbackish]\n"                      /* 8 */
	    "Type=webhook\n"
	    "URL=http://127.0.0.2/cw\n"
	    "[channel:mailhook]\n"                         /* 11 */
	    "Type=webhook\n"
	    "URL=smtp://hooks.example.nl\n"
	    "[channel:mail]\n"                             /* 14 */
	    "Type=smtp\n"
	    "URL=https://smtp.example.nl\n"
	    "Pseudonymize=maybe\n"
	    "Timeout=0\n"
	    "GiveUpAfter=1s\n"                             /* 19 */
	    "[channel:nomail]\n"                           /* 20 */
	    "Type=smtp\n"
	    "URL=smtp://relay.example.nl\n"
	    "[channel:slow]\n"                             /* 23 */
	    "Type=webhook\n"
	    "URL=https://hooks.example.nl/slow\n"
	    "RetryDelay=2h\n"
	    "RetryMaxDelay=1h\n"
	    "[channel:capped]\n"                           /* 28 */
	    "Type=smtp\n"
	    "URL=smtps://smtp.example.nl\n"
	    "From=a@example.nl\n"
	    "To=b@example.nl\n"
	    "RetryMaxDelay=30s\n"                          /* 33 */
	    "[channel:archive]\n"                          /* 34 */
	    "Type=file\n"
	    "Path=alerts.jsonl\n"
	    "Timeout=5s\n"
	    "CAFile=ca.pem\n"
	    "RetryDelay=5s\n"
	    "[channel:j]\n"                                /* 40 */
	    "Type=journal\n"
	    "Pseudonymize=yes\n"
	    "GiveUpAfter=1d\n");
	mkdir_in(f, "staff.d");
	/* Value errors while reading, then each channel's checks in order
	 * (keys that do not apply in the order of the key table). */
	expect_errors(f,
		      at(f, "contactwatch.conf:17: Pseudonymize=maybe: not a boolean (yes, no, true, false, on, off, 1, 0)"),
		      at(f, "contactwatch.conf:18: Timeout=0: out of range (1s..10min)"),
		      at(f, "contactwatch.conf:19: GiveUpAfter=1s: out of range (1min..90d)"),
		      at(f, "contactwatch.conf:4: Digest= does not apply to channel type webhook"),
		      at(f, "contactwatch.conf:3: URL=http://hooks.example.nl/cw: a webhook URL must use https:// "
			    "(http:// only to 127.0.0.1, ::1 or localhost)"),
		      at(f, "contactwatch.conf:7: URL=http://127.0.0.1@hooks.example.nl/cw: a webhook URL must use "
			    "https:// (http:// only to 127.0.0.1, ::1 or localhost)"),
		      at(f, "contactwatch.conf:10: URL=http://127.0.0.2/cw: a webhook URL must use https:// (http:// "
			    "only to 127.0.0.1, ::1 or localhost)"),
		      at(f, "contactwatch.conf:13: URL=smtp://hooks.example.nl: a webhook URL must start with https://"),
		      at(f, "contactwatch.conf:16: URL=https://smtp.example.nl: a smtp URL must start with smtp:// or "
			    "smtps://"),
		      at(f, "contactwatch.conf:14: [channel:mail] of Type=smtp needs From="),
		      at(f, "contactwatch.conf:14: [channel:mail] of Type=smtp needs To="),
		      at(f, "contactwatch.conf:20: [channel:nomail] of Type=smtp needs From="),
		      at(f, "contactwatch.conf:20: [channel:nomail] of Type=smtp needs To="),
		      at(f, "contactwatch.conf:26: RetryDelay=2h is longer than RetryMaxDelay=1h in [channel:slow]"),
		      at(f, "contactwatch.conf:33: RetryDelay=1min is longer than RetryMaxDelay=30s in [channel:capped]"),
		      at(f, "contactwatch.conf:39: RetryDelay= does not apply to channel type file"),
		      at(f, "contactwatch.conf:37: Timeout= does not apply to channel type file"),
		      at(f, "contactwatch.conf:38: CAFile= does not apply to channel type file"),
		      at(f, "contactwatch.conf:43: GiveUpAfter= does not apply to channel type journal"),
		      at(f, "contactwatch.conf:42: Pseudonymize= does not apply to channel type journal"), NULL);
}

static void write_min_main(fixture *f)
{
	put(f, "contactwatch.conf", "[daemon]\nLogLevel=info\n");
	put(f, "relations/key-accounts.json", key_accounts_json);
}

static void test_staff_missing_required(void **state)
{
	fixture *f = *state;
	write_min_main(f);
	put(f, "staff.d/E1.conf",
	    "[employee]\n"
	    "Id=E1\n"
	    "DepartureDate=2026-02-30\n"
	    "[clause]\n"
	    "PenaltyPerViolation=1 EUR\n");
	put(f, "staff.d/E2.conf", "[employee]\nId=E2\nName=X\nDepartureDate=2026-01-01\n");
	expect_errors(f, at(f, "staff.d/E1.conf:3: DepartureDate=2026-02-30: not a date (YYYY-MM-DD)"),
		      at(f, "staff.d/E1.conf:1: missing required key Name= in [employee]"),
		      at(f, "staff.d/E1.conf:1: missing required key DepartureDate= in [employee]"),
		      at(f, "staff.d/E1.conf:4: missing required key Relations= in [clause]"),
		      at(f, "staff.d/E1.conf:4: [clause] needs Duration= or End="),
		      at(f, "staff.d/E2.conf: missing section [clause]"), NULL);
}

static void test_staff_clause_rules(void **state)
{
	fixture *f = *state;
	char dup[1024];
	write_min_main(f);
	put(f, "staff.d/E1.conf",
	    "[employee]\nId=E1\nName=A\nDepartureDate=2026-06-30\n"
	    "[clause]\nDuration=12months\nEnd=2027-06-30\nRelations=key-accounts.json\n");
	put(f, "staff.d/E2.conf",
	    "[employee]\nId=E2\nName=B\nDepartureDate=2026-06-30\n"
	    "[clause]\nEnd=2026-06-29\nRelations=key-accounts.json\n");
	put(f, "staff.d/E3.conf",
	    "[employee]\nId=E3\nName=C\nDepartureDate=2026-06-30\n"
	    "[clause]\nRelations=key-accounts.json\nDuration=forever\n"
	    "[source:a]\nPath=x\nURL=https://example.nl/x.csv\n"
	    "[source:b]\nFormat=linkedin\n"
	    "[source:c]\nURL=http://example.nl/x.csv\nInterval=10s\n");
	put(f, "staff.d/E4.conf",
	    "[employee]\nId=E1\nName=D\nDepartureDate=2026-06-30\nEmail=not-an-address\n"
	    "[clause]\nDuration=0months\nRelations=key-accounts.json\n");
	snprintf(dup, sizeof dup, "%s:2: employee Id=E1 is already defined in %s", at(f, "staff.d/E4.conf"),
		 at(f, "staff.d/E1.conf"));
	expect_errors(f, at(f, "staff.d/E1.conf:7: Duration= and End= exclude each other; set one"),
		      at(f, "staff.d/E2.conf:6: End= lies before DepartureDate=2026-06-30"),
		      at(f, "staff.d/E3.conf:7: Duration=forever: not a clause duration (e.g. 12months, 1year, 18 "
			    "months, 365days)"),
		      at(f, "staff.d/E3.conf:15: Interval=10s: out of range (1min..30d)"),
		      at(f, "staff.d/E3.conf:5: [clause] needs Duration= or End="),
		      at(f, "staff.d/E3.conf:8: [source:a] needs exactly one of Path= or URL="),
		      at(f, "staff.d/E3.conf:11: [source:b] needs exactly one of Path= or URL="),
		      at(f, "staff.d/E3.conf:14: URL=http://example.nl/x.csv: sources are fetched from https://, "
			    "sftp:// or file:// URLs"),
		      at(f, "staff.d/E4.conf:5: Email=not-an-address: not an e-mail address"),
		      at(f, "staff.d/E4.conf:7: Duration=0months: out of range (1 day..100 years)"),
		      dup, at(f, "staff.d/E4.conf:6: [clause] needs Duration= or End="), NULL);
	assert_int_equal(strv_length(f->d.warnings), 1);
	assert_string_equal(f->d.warnings[0], at(f, "staff.d/E4.conf:2: Id=E1 differs from the file name E4.conf"));
}

static void test_duplicate_relation_ids(void **state)
{
	fixture *f = *state;
	char want[2048];
	write_min_main(f);
	put(f, "relations/more.csv", "id,type,name\nR777,company,Other\nR002,person,Petra van den Berg\n");
	put(f, "staff.d/E1.conf",
	    "[employee]\nId=E1\nName=A\nDepartureDate=2026-06-30\n"
	    "[clause]\nDuration=1y\n"
	    "Relations=key-accounts.json more.csv\n");
	snprintf(want, sizeof want, "%s:7: duplicate relation id R002 (in %s and %s)", at(f, "staff.d/E1.conf"),
		 at(f, "relations/key-accounts.json"), at(f, "relations/more.csv"));
	expect_errors(f, want, NULL);
}

static void test_catalogue_problems(void **state)
{
	fixture *f = *state;
	put(f, "contactwatch.conf", "[match]\nFreeMailDomains=ourisp.example\n");
	put(f, "relations/a.json",
	    "[{\"id\": \"R1\", \"type\": \"company\", \"name\": \"Acme\", \"domains\": [\"acme.nl\", \"gmail.com\"]},\n"
	    " {\"id\": \"R2\", \"type\": \"company\", \"name\": \"Beta\", \"domains\": [\"ourisp.example\"]}]\n");
	/* Two employees name the same catalogue: its warnings appear once. */
	put(f, "staff.d/E1.conf",
	    "[employee]\nId=E1\nName=A\nDepartureDate=2026-06-30\n[clause]\nDuration=1y\nRelations=a.json\n");
	put(f, "staff.d/E2.conf",
	    "[employee]\nId=E2\nName=B\nDepartureDate=2026-06-30\n[clause]\nDuration=6m\nRelations=a.json\n");
	assert_int_equal(config_load(f->main, &f->d, &f->c), 0);
	assert_int_equal(strv_length(f->d.warnings), 2);
	assert_string_equal(f->d.warnings[0], at(f, "relations/a.json:1: relation 1 (id R1): domain gmail.com is a "
						    "free-mail or ISP domain and identifies no employer; ignored"));
	assert_string_equal(f->d.warnings[1], at(f, "relations/a.json:2: relation 2 (id R2): domain ourisp.example is a "
						    "free-mail or ISP domain and identifies no employer; ignored"));
	assert_int_equal(f->c->employees[1].window_end, day("2026-12-30"));
	/* ...and is read once: both employees view the config's one copy. */
	assert_int_equal(f->c->n_catalogues, 1);
	assert_string_equal(f->c->catalogues[0].path, at(f, "relations/a.json"));
	assert_int_equal(f->c->catalogues[0].set.n, 2);
	assert_ptr_equal(f->c->employees[0].relations.items, f->c->catalogues[0].set.items);
	assert_ptr_equal(f->c->employees[1].relations.items, f->c->catalogues[0].set.items);
	assert_int_equal(f->c->employees[1].relations.n, 2);

	/* A missing catalogue and a broken one are configuration errors. */
	f->c = config_free(f->c);
	diag_done(&f->d);
	put(f, "staff.d/E2.conf",
	    "[employee]\nId=E2\nName=B\nDepartureDate=2026-06-30\n[clause]\nDuration=6m\nRelations=b.json, "
	    "/nonexistent/c.json\n");
	put(f, "relations/b.json", "[{\"id\": \"R9\", \"type\": \"company\"}]\n");
	expect_errors(f, at(f, "relations/b.json:1: relation 1 (id R9): missing required field \"name\""),
		      "/nonexistent/c.json: No such file or directory", NULL);
}

static void test_missing_staff_dir(void **state)
{
	fixture *f = *state;
	char want[1024];
	put(f, "contactwatch.conf", "[daemon]\nStaffDirectory=people\n");
	snprintf(want, sizeof want, "%s:2: StaffDirectory=%s: No such file or directory", f->main, at(f, "people"));
	expect_errors(f, want, NULL);
}

static void test_missing_main(void **state)
{
	fixture *f = *state;
	expect_errors(f, at(f, "contactwatch.conf: No such file or directory"),
		      at(f, "staff.d: staff directory: No such file or directory"), NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_main_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_and_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_key_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_delivery_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_delivery_key_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_missing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_clause_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_relation_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_staff_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_main, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
