/*
 * A minimal HotSpot disassembler plugin (the hsdis-amd64.so that -XX:+PrintAssembly and JMH's -prof perfasm
 * load) over the capstone library, for profiling Sonde's benchmarks on machines without one. HotSpot calls
 * decode_instructions_virtual (the plugin interface since JDK 9) with a code buffer; we print one instruction per
 * line and report each instruction's bounds through the event callback, which is how HotSpot interleaves its own
 * comments. Built by build-hsdis.sh; never shipped.
 */
#include <stdint.h>
#include <stdio.h>
#include <capstone/capstone.h>

typedef void *(*event_fn)(void *, const char *, void *);
typedef int (*print_fn)(void *, const char *, ...);

static void *ignore_event(void *stream, const char *event, void *arg) {
    (void) stream; (void) event; (void) arg;
    return NULL;
}

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_fn event, void *event_stream, print_fn print, void *print_stream,
                                  const char *options, int newline) {
    (void) end_va; (void) options;
    if (print == NULL) {
        print = (print_fn) fprintf;
        if (print_stream == NULL) {
            print_stream = stdout;
        }
    }
    if (event == NULL) {
        event = ignore_event;
    }
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        return NULL;
    }
    cs_option(cs, CS_OPT_SKIPDATA, CS_OPT_ON); /* data in the code (constants) must not stop the listing */
    cs_insn *insn;
    size_t n = cs_disasm(cs, buffer, length, start_va, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        event(event_stream, "insn", (void *) (uintptr_t) insn[i].address);
        print(print_stream, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
        event(event_stream, "/insn", (void *) (uintptr_t) (insn[i].address + insn[i].size));
        if (newline) {
            print(print_stream, "\n");
        }
    }
    if (n > 0) {
        cs_free(insn, n);
    }
    cs_close(&cs);
    return NULL;
}
