#include "core/host_reference.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

/* GELU's tanh form reaches a slope of 1.129, SiLU's 1.0998. */
static const double slopes[TSR_ACT_COUNT] = {1.0, 1.0, 1.13, 1.1};

double tsr_activate(tsr_activation act, double x)
{
    switch (act) {
    case TSR_ACT_RELU: return x > 0.0 ? x : 0.0;
    case TSR_ACT_GELU:
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case TSR_ACT_SILU: return x / (1.0 + exp(-x));
    default: return x;
    }
}

double tsr_activation_slope(tsr_activation act)
{
    return act >= 0 && act < TSR_ACT_COUNT ? slopes[act] : 1.0;
}

enum {
    MAX_THREADS = 64,
    /* Below this much work one core takes well under a second and threads
     * would cost more than they save. */
    THREADED_WORK = 1 << 26,
};

typedef struct part {
    void (*run)(void *ctx, long begin, long end);
    void *ctx;
    long begin, end;
} part;

static void *run_part(void *arg)
{
    const part *p = arg;
    p->run(p->ctx, p->begin, p->end);
    return NULL;
}

void tsr_reference_split(long count, double work, void (*run)(void *ctx, long begin, long end),
                         void *ctx)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN), threads = 1;
    if (work >= THREADED_WORK && cores > 1)
        threads = cores < MAX_THREADS ? cores : MAX_THREADS;
    if (threads > count)
        threads = count;
    part parts[MAX_THREADS];
    pthread_t thread[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (long t = 0; t < threads; t++) {
        parts[t] = (part){run, ctx, count * t / threads, count * (t + 1) / threads};
        if (t > 0)
            started[t] = pthread_create(&thread[t], NULL, run_part, &parts[t]) == 0;
    }
    for (long t = 0; t < threads; t++)
        if (!started[t])
            run_part(&parts[t]);
    for (long t = 1; t < threads; t++)
        if (started[t])
            pthread_join(thread[t], NULL);
}
