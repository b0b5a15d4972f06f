/* Prints what names.c makes of each stdin line: for differential runs
 * against the old library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "contactwatch/names.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		char *e = NULL;
		int r = names_email(line, &e);
		printf("email %d %s\n", r, r >= 0 ? e : "");
		free(e);
		printf("class %d translit %d\n", (int)names_company_word_class(line), names_has_transliteration(line));
		for (int g = 0; g < 2; g++) {
			names_company c;
			r = g ? names_company_parse_german(line, &c) : names_company_parse(line, &c);
			printf("company%d %d", g, r);
			if (r >= 0) {
				printf(" [%s] [%s] nd=%zu", c.full_key, c.key, c.n_distinctive);
				for (size_t i = 0; i < c.n_tokens; i++)
					printf(" %s/%d/%u/%x", c.tokens[i], c.trade[i], c.lens[i], c.masks[i]);
				printf(" %llx %llx %llx", (unsigned long long)c.full_hash, (unsigned long long)c.key_hash,
				       (unsigned long long)c.distinctive_hash);
				names_company_done(&c);
			}
			printf("\n");
		}
	}
	free(line);
	return 0;
}
