/* Loads each catalogue named on the command line and prints everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "contactwatch/diag.h"
#include "contactwatch/relations.h"

static void pv(const char *k, char **v)
{
	printf(" %s=[", k);
	for (; v && *v; v++)
		printf("<%s>", *v);
	printf("]");
}

int main(int argc, char **argv)
{
	char *free_mail[] = { "gmail.com", "hotmail.com", "mail.example", NULL };
	for (int i = 1; i < argc; i++) {
		relation_set set = { 0 };
		diag_list d = { 0 };
		int r = relations_load_file(&set, argv[i], free_mail, &d);
		printf("== %s r=%d n=%zu\n", argv[i], r, set.n);
		for (size_t k = 0; k < set.n; k++) {
			const relation *x = &set.items[k];
			printf("rel id=<%s> type=%d name=<%s> company=<%s> linkedin=<%s> src=<%s>", x->id, (int)x->type,
			       x->name ? x->name : "(null)", x->company ? x->company : "(null)",
			       x->linkedin ? x->linkedin : "(null)", x->source ? x->source : "(null)");
			pv("aliases", x->aliases);
			pv("domains", x->domains);
			pv("emails", x->emails);
			printf("\n");
		}
		r = relations_check_unique(&set, "ctx", 7, &d);
		printf("unique r=%d\n", r);
		for (char **e = d.errors; e && *e; e++)
			printf("E %s\n", *e);
		for (char **e = d.warnings; e && *e; e++)
			printf("W %s\n", *e);
		relation_set_done(&set);
		diag_done(&d);
	}
	return 0;
}
