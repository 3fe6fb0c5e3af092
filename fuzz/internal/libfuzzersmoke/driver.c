// A stand-in for libFuzzer: stubs for the coverage callbacks and a main that
// runs LLVMFuzzerTestOneInput on every file given.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void __sanitizer_cov_8bit_counters_init(char *a, char *b) {}
void __sanitizer_cov_pcs_init(const uintptr_t *a, const uintptr_t *b) {}
void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b) {}
void __sanitizer_cov_trace_cmp2(uint16_t a, uint16_t b) {}
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b) {}
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b) {}
void __sanitizer_cov_trace_const_cmp1(uint8_t a, uint8_t b) {}
void __sanitizer_cov_trace_const_cmp2(uint16_t a, uint16_t b) {}
void __sanitizer_cov_trace_const_cmp4(uint32_t a, uint32_t b) {}
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b) {}
void __sanitizer_weak_hook_strcmp(void *pc, const char *a, const char *b, int r) {}
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) { perror(argv[i]); return 2; }
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n + 1); fread(b, 1, n, f); fclose(f);
    LLVMFuzzerTestOneInput(b, n);
    free(b);
  }
  printf("ran %d inputs\n", argc - 1);
  return 0;
}
