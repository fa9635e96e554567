"""How the torch reference scripts time a call: CUDA events around each
call, the median of `runs` after one warm-up call, in milliseconds."""
import torch


def median_ms(fn, runs=50):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]
