/*
 * output.h - what the commands write on stdout for people and scripts:
 * JSON as every --json prints it, a vetting report in words.
 */
#ifndef CABUNDLED_OUTPUT_H
#define CABUNDLED_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct vet_report;
struct query_snapshot;

int	json_print(json_t *);
void	report_print(FILE *, int64_t, const char *, json_t *, int);
void	report_print_vet(FILE *, int64_t, const char *,
	    const struct vet_report *, int);
void	report_print_current(FILE *, const struct query_snapshot *,
	    json_t *);

#endif
