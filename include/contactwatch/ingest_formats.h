/* ingest_formats.h — internal to ingest: every export format module's entry
 * for the registry in ingest.c. Adding a format: a module defining one of
 * these, a line here, a line in ingest.c's table and names. */
#pragma once

#include "contactwatch/ingest.h"

extern const ingest_format ingest_format_linkedin;   /* ingest_csv.c: Connections.csv, Invitations.csv */
extern const ingest_format ingest_format_salesforce; /* ingest_crm.c */
extern const ingest_format ingest_format_hubspot;    /* ingest_crm.c */
extern const ingest_format ingest_format_google;     /* ingest_crm.c */
extern const ingest_format ingest_format_outlook;    /* ingest_crm.c: desktop (EN, NL) and Outlook.com */
extern const ingest_format ingest_format_csv;        /* ingest_crm.c: generic, Columns= maps it */
extern const ingest_format ingest_format_vcard;      /* ingest_vcard.c */
extern const ingest_format ingest_format_json;       /* ingest_json.c */
