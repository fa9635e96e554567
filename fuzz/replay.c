/* Replays inputs through a fuzz target without libFuzzer, so that every
 * input a fuzzer once found to fail (fuzz/regressions/) and the seeds run
 * in the ordinary test suite, under any compiler.
 *
 * usage: replay-TARGET FILE...   (exit 0 when every file passes; a failing
 *        input aborts, as under the fuzzer) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        static uint8_t data[1 << 21];
        size_t size = fread(data, 1, sizeof data, f);
        fclose(f);
        LLVMFuzzerTestOneInput(data, size);
    }
    printf("%d inputs replayed\n", argc - 1);
    return 0;
}
