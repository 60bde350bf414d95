/* Topic selections (--topic) over the matcher of util/topic_match.h. */
#include "analysis/topic_filter.h"

#include <string.h>

bool topic_sel_add(struct topic_sel *sel, const char *filter)
{
    if (sel->n >= TOPIC_SEL_MAX)
        return false;
    sel->filters[sel->n++] = filter;
    return true;
}

bool topic_sel_match_topic(const struct topic_sel *sel, const uint8_t *t,
                           size_t tn)
{
    if (sel->n == 0)
        return true;
    for (size_t i = 0; i < sel->n; i++) {
        const char *f = sel->filters[i];
        if (topic_filter_match((const uint8_t *)f, strlen(f), t, tn))
            return true;
    }
    return false;
}

bool topic_sel_match_filter(const struct topic_sel *sel, const uint8_t *f,
                            size_t fn)
{
    if (sel->n == 0)
        return true;
    topic_filter_unshare(&f, &fn);
    for (size_t i = 0; i < sel->n; i++) {
        const char *s = sel->filters[i];
        if (topic_filter_overlap((const uint8_t *)s, strlen(s), f, fn))
            return true;
    }
    return false;
}
