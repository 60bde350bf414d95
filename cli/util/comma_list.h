/* Comma-separated lists of the command line (--type, --violation): their
 * items in order. One trailing comma is allowed (it ends the list, as
 * "publish," in a script that joins names); an empty item anywhere else
 * ("a,,b", ",a") is the caller's to refuse, as it is an empty name. */
#ifndef MQD_CLI_UTIL_COMMA_LIST_H
#define MQD_CLI_UTIL_COMMA_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The next item of *p into item (n bytes, not terminated; n may be 0); *p
 * moves past it and the comma after it. False at the end of the list. */
static inline bool comma_list_next(const char **p, const char **item, size_t *n)
{
    if (**p == '\0')
        return false;
    *item = *p;
    *n = strcspn(*p, ",");
    *p += *n;
    if (**p == ',')
        (*p)++;
    return true;
}

#endif
