/* Configs: reading, printing and parsing points of an op's search space. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/op.h"
#include "core/strbuf.h"

static int param_index(const tsr_op_def *op, const char *name, size_t len)
{
    for (int i = 0; i < op->n_params; i++)
        if (strlen(op->params[i].name) == len && strncmp(op->params[i].name, name, len) == 0)
            return i;
    return -1;
}

int tsr_config_get(const tsr_op_def *op, const tsr_config *config, const char *name)
{
    int i = param_index(op, name, strlen(name));
    return i < 0 ? -1 : config->value[i];
}

void tsr_config_default(const tsr_op_def *op, tsr_config *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < op->n_params; i++)
        out->value[i] = op->params[i].default_value;
}

void tsr_config_format(const tsr_op_def *op, const tsr_config *config, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < op->n_params; i++)
        tsr_bufprintf(buf, size, &used, "%s%s=%d", i ? "," : "", op->params[i].name,
                      config->value[i]);
}

static void list_values(const tsr_param_def *param, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < param->n_values; i++)
        tsr_bufprintf(buf, size, &used, "%s%d", i ? ", " : "", param->values[i]);
}

static void list_names(const tsr_op_def *op, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < op->n_params; i++)
        tsr_bufprintf(buf, size, &used, "%s%s", i ? ", " : "", op->params[i].name);
}

tsr_status tsr_config_parse(const tsr_op_def *op, const char *text, tsr_config *inout,
                            tsr_error *err)
{
    char listing[256];
    bool seen[TSR_MAX_PARAMS] = {false};
    const char *p = text;
    while (*p) {
        const char *item_end = strchr(p, ',');
        size_t item_len = item_end ? (size_t)(item_end - p) : strlen(p);
        const char *eq = memchr(p, '=', item_len);
        if (!eq)
            return tsr_fail(err, TSR_ERR_INPUT, "config '%.*s': expected NAME=VALUE", (int)item_len,
                            p);
        int index = param_index(op, p, (size_t)(eq - p));
        if (index < 0) {
            list_names(op, listing, sizeof listing);
            return tsr_fail(err, TSR_ERR_INPUT, "config: op %s has no parameter '%.*s' (known: %s)",
                            op->name, (int)(eq - p), p, listing);
        }
        if (seen[index])
            return tsr_fail(err, TSR_ERR_INPUT, "config: parameter %s given twice",
                            op->params[index].name);
        seen[index] = true;
        char value_text[32];
        size_t value_len = item_len - (size_t)(eq + 1 - p);
        if (value_len == 0 || value_len >= sizeof value_text)
            return tsr_fail(err, TSR_ERR_INPUT, "config: %s needs a value", op->params[index].name);
        memcpy(value_text, eq + 1, value_len);
        value_text[value_len] = '\0';
        char *end;
        errno = 0;
        long value = strtol(value_text, &end, 10);
        bool listed = false;
        for (int i = 0; *end == '\0' && errno == 0 && i < op->params[index].n_values; i++)
            listed |= op->params[index].values[i] == value;
        if (!listed) {
            list_values(&op->params[index], listing, sizeof listing);
            return tsr_fail(err, TSR_ERR_INPUT, "config: %s=%s is not one of %s",
                            op->params[index].name, value_text, listing);
        }
        inout->value[index] = (int)value;
        p += item_len;
        if (*p == ',')
            p++;
    }
    return TSR_OK;
}
