/* names.h — normalisation of the identity signals: LinkedIn profile URLs,
 * e-mail addresses and domains, company names (legal forms, low-identity
 * words) and Dutch person names (particles, initials, IJ/Y). Pure. */
#pragma once

#include "contactwatch/common.h"

/* "https://nl.linkedin.com/in/SjoerdVdMolen/?x=y" -> "linkedin.com/in/sjoerdvdmolen"
 * (percent-decoded, lowercased; /company/ URLs likewise). -EINVAL if it is
 * not a LinkedIn profile or company URL. */
int names_linkedin_url(const char *url, char **ret);
/* Trimmed, lowercased address with exactly one '@' and a dotted domain. */
int names_email(const char *raw, char **ret);
/* The domain part of a normalised address (pointer into it). */
const char *names_email_domain(const char *email);
/* Whether domain equals company_domain or is a subdomain of it. */
bool names_domain_within(const char *domain, const char *company_domain);
/* Whether domain (or a parent of it) is in free_mail (strv). */
bool names_domain_is_free_mail(const char *domain, char *const *free_mail);
