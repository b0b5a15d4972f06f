/* strbuf_put_json vs json_dumps(JSON_INDENT(n) | JSON_ENCODE_ANY), at depth 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "contactwatch/strbuf.h"

static unsigned long long seed = 88172645463325252ull;
static uint64_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static long bad = 0, total = 0, mismatch_printed = 0;

static void cmp(json_t *j, unsigned indent)
{
	char *ref = json_dumps(j, JSON_INDENT(indent) | JSON_ENCODE_ANY);
	strbuf b = { 0 };
	strbuf_put_json(&b, j, indent, 0);
	char *got = NULL;
	int r = strbuf_steal(&b, &got, NULL);
	total++;
	if ((ref == NULL) != (r < 0) || (ref && strcmp(ref, got))) {
		bad++;
		if (mismatch_printed++ < 20)
			printf("MISMATCH ref=%s got=%s (r=%d)\n", ref ? ref : "(null)", r < 0 ? "(err)" : got, r);
	}
	free(ref);
	if (r >= 0)
		free(got);
}

int main(void)
{
	/* reals */
	for (long i = 0; i < 3000000; i++) {
		double v;
		uint64_t x = rnd();
		switch (i % 6) {
		case 0: memcpy(&v, &x, 8); break;                         /* any bit pattern */
		case 1: v = (double)(x % 100001) / 100000.0; break;       /* scores */
		case 2: v = (double)(x % 1000) / 1000.0 * 0.85; break;
		case 3: v = ldexp((double)(x >> 11), (int)(rnd() % 140) - 100); break;
		case 4: v = pow(10, (int)(x % 40) - 8) * ((rnd() & 1) ? 1 : -1); v = nextafter(v, (rnd() & 1) ? 0 : 1e300); break;
		default: v = (double)(int64_t)(x % 200000000000000000ull) / pow(10, (int)(rnd() % 20)); break;
		}
		if (!isfinite(v))
			continue;
		json_t *j = json_real(v);
		cmp(j, 2);
		json_decref(j);
	}
	/* integers */
	json_int_t ints[] = { 0, 1, -1, INT64_MAX, INT64_MIN, 10, -10, 1234567890123 };
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		json_t *j = json_integer(ints[i]);
		cmp(j, 2);
		json_decref(j);
	}
	/* strings: every byte */
	for (int c = 1; c < 128; c++) {
		char s[4] = { 'a', (char)c, 'b', 0 };
		json_t *j = json_stringn_nocheck(s, 3);
		cmp(j, 2);
		json_decref(j);
	}
	{
		json_t *j = json_stringn_nocheck("a\0b", 3);
		cmp(j, 2);
		json_decref(j);
		const char *u[] = { "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\x80", "\xff", "\xf4\x90\x80\x80", "\xef\xbf\xbf" };
		for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
			j = json_stringn_nocheck(u[i], strlen(u[i]));
			cmp(j, 2);
			json_decref(j);
		}
	}
	/* nested */
	json_error_t err;
	const char *docs[] = { "{}", "[]", "[[]]", "{\"a\":{}}", "{\"a\":[1,2,{\"b\":null,\"c\":[true,false]}],\"d\":\"x\\ny\"}",
		"[1.5,-0.0,1e300,2.5e-300,[[[[[]]]]]]", "{\"\":\"\",\"k\\u0001\":1}" };
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
		for (unsigned ind = 1; ind <= 31; ind += 6) {
			json_t *j = json_loads(docs[i], JSON_DECODE_ANY, &err);
			if (!j) { printf("parse %s\n", docs[i]); continue; }
			cmp(j, ind);
			json_decref(j);
		}
	printf("%ld of %ld differ\n", bad, total);
	return bad != 0;
}
