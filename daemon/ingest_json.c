/* ingest_json.c — placeholder until the json formats land: they probe as
 * "not mine" and, when forced, reject the file saying so. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/ingest_formats.h"

typedef struct stub_parser {
	ingest_result *result;
	const char *name;
} stub_parser;

static int stub_probe(const char *head, size_t len, bool at_eof)
{
	(void)head;
	(void)len;
	(void)at_eof;
	return 0;
}

static int stub_feed(void *parser, const char *buf, size_t n)
{
	stub_parser *p = parser;
	(void)buf;
	(void)n;
	snprintf(p->result->error, sizeof p->result->error, "format %s is not implemented yet", p->name);
	return -EBADMSG;
}

static int stub_finish(void *parser)
{
	return stub_feed(parser, NULL, 0);
}

static void *stub_free(void *parser)
{
	free(parser);
	return NULL;
}

static void *json_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata, ingest_result *result)
{
	stub_parser *p = calloc(1, sizeof *p);
	(void)opt;
	(void)cb;
	(void)userdata;
	if (p) {
		p->result = result;
		p->name = "json";
	}
	return p;
}

const ingest_format ingest_format_json = {
	.name = "json",
	.probe = stub_probe,
	.parser_new = json_parser_new,
	.parser_feed = stub_feed,
	.parser_finish = stub_finish,
	.parser_free = stub_free,
};
