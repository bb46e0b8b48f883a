/* qsim_node.c - the Node-API addon (build/qsim.node, `make addon`): qsim
 * in the worker host's own process (docs/worker-host.md, "Transports").
 *
 * `qsim run` of a JS-mode scenario execs node with the host script in
 * in-process mode (jsh_exec_inproc); the script loads this addon and calls
 * start(argv): qsim's main (main.c compiled as qsim_main) runs on a
 * coroutine with a stack of its own. Where the pipe transport would write
 * a batch and block reading the host's answer, jshost's in-process
 * transport calls xfer, which switches back here: start or exchange
 * returns the batch to JavaScript, which handles it as it handles pipe
 * input and calls exchange(answer...), which switches back into the
 * simulation. exchange copies the batch into the host's own input buffer
 * when it fits (no Buffer per round trip: each would be a backing store
 * for V8 to track and sweep); start, and exchange for a batch that does
 * not fit, return a Buffer. When qsim's main returns they return -1 - its
 * exit code instead, and the script exits with it.
 *
 * Only this file calls napi, and only on node's own stack: the simulation's
 * stack only runs qsim and switches contexts. */
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "model/jshost.h"

int qsim_main(int argc, char **argv);

/* Reserved, not committed: pages are used as touched (qsim's own main
 * thread has 8 MiB; the parsers and reports are not deeply recursive). */
#define SIM_STACK_BYTES ((size_t)256 << 20)

/* The switch. swapcontext saves and restores the signal mask: one
 * rt_sigprocmask system call per switch, two per KV round trip, which on
 * this VM costs as much as the rest of the round trip (perf: 12% of the
 * samples in the kernel's pvm_irq_enable). On x86-64 a switch of its own
 * saves the callee-saved registers, MXCSR and the x87 control word on the
 * stack it leaves and swaps stack pointers (the System V ABI's callee-saved
 * state; the mask never changes here). Elsewhere: ucontext. */
#if defined(__x86_64__) && !defined(QSIM_UCONTEXT)
void qsim_ctx_switch(void **save_sp, void *to_sp);
__asm__(".text\n"
        ".globl qsim_ctx_switch\n"
        ".type qsim_ctx_switch,@function\n"
        "qsim_ctx_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
        "  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size qsim_ctx_switch,.-qsim_ctx_switch\n");
static void *js_sp, *sim_sp;
#define TO_SIM() qsim_ctx_switch(&js_sp, sim_sp)
#define TO_JS() qsim_ctx_switch(&sim_sp, js_sp)
#else
static ucontext_t js_uc, sim_uc;
#define TO_SIM() swapcontext(&js_uc, &sim_uc)
#define TO_JS() swapcontext(&sim_uc, &js_uc)
#endif

static int state;             /* 0 not started, 1 running, 2 main returned */
static int exit_code;
static int qargc;
static char **qargv;
static const char *out_p;     /* qsim -> host: the batch, until qsim resumes */
static size_t out_n;
static const char *in_p;      /* host -> qsim: the answer, until the next xfer */
static long in_n;             /* -1: the host has exited, with in_status */
static int in_status;

static long xfer(const char *out, size_t n, const char **in, int *status)
{
    out_p = out;
    out_n = n;
    TO_JS();
    *in = in_p;
    *status = in_status;
    return in_n;
}

static void sim_entry(void)
{
    exit_code = qsim_main(qargc, qargv);
    fflush(NULL);
    state = 2;
#if defined(__x86_64__) && !defined(QSIM_UCONTEXT)
    for (;;)
        TO_JS(); /* never resumed: resume() does not switch once state is 2 */
#endif
    /* ucontext: returning resumes uc_link, the latest js_uc */
}

static napi_value throw_(napi_env env, const char *what)
{
    napi_throw_error(env, NULL, what);
    return NULL;
}

/* Runs the simulation until it wants the host's answer or ends: the
 * batch's length when it was copied to into (room bytes there), else a
 * Buffer of it; -1 - exit code once main has returned. */
static napi_value resume(napi_env env, char *into, size_t room)
{
    napi_value r;
    if (state == 1)
        TO_SIM();
    if (state == 2)
        napi_create_int32(env, -1 - exit_code, &r);
    else if (into && out_n <= room) {
        memcpy(into, out_p, out_n);
        napi_create_int64(env, (int64_t)out_n, &r);
    } else if (napi_create_buffer_copy(env, out_n, out_p, NULL, &r) != napi_ok)
        return throw_(env, "qsim.node: out of memory");
    return r;
}

/* start(argv: string[]) -> Buffer (qsim's first batch) | -1 - exit code */
static napi_value start(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    uint32_t n = 0;
    if (state != 0)
        return throw_(env, "qsim.node: start() called twice");
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
        napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0)
        return throw_(env, "qsim.node: start(argv) wants qsim's argv");
    qargv = calloc((size_t)n + 1, sizeof *qargv);
    if (!qargv)
        return throw_(env, "qsim.node: out of memory");
    for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        size_t len = 0;
        if (napi_get_element(env, argv[0], i, &e) != napi_ok ||
            napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok)
            return throw_(env, "qsim.node: argv must be strings");
        if (!(qargv[i] = malloc(len + 1)))
            return throw_(env, "qsim.node: out of memory");
        napi_get_value_string_utf8(env, e, qargv[i], len + 1, &len);
    }
    qargc = (int)n;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *stack = mmap(NULL, SIM_STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return throw_(env, "qsim.node: cannot map the simulation's stack");
    mprotect(stack, page, PROT_NONE); /* guard page: an overflow faults */
#if defined(__x86_64__) && !defined(QSIM_UCONTEXT)
    /* what qsim_ctx_switch pops, then sim_entry as its return address, with
     * the stack aligned as at a call (rsp + 8 a multiple of 16 on entry) */
    uint64_t *top = (uint64_t *)(stack + SIM_STACK_BYTES);
    *--top = 0;                          /* sim_entry's own return address */
    *--top = (uint64_t)(uintptr_t)sim_entry;
    for (int i = 0; i < 6; i++)
        *--top = 0;                      /* rbp rbx r12 r13 r14 r15 */
    *--top = 0x1f80 | ((uint64_t)0x037f << 32); /* MXCSR, x87 control word: the defaults */
    sim_sp = top;
#else
    if (getcontext(&sim_uc) != 0)
        return throw_(env, "qsim.node: getcontext failed");
    sim_uc.uc_stack.ss_sp = stack + page;
    sim_uc.uc_stack.ss_size = SIM_STACK_BYTES - page;
    sim_uc.uc_link = &js_uc;
    makecontext(&sim_uc, sim_entry, 0);
#endif
    jsh_set_inproc(xfer);
    state = 1;
    return resume(env, NULL, 0);
}

/* A Buffer argument's bytes, or NULL (not a Buffer). */
static char *buffer_of(napi_env env, napi_value v, size_t *len)
{
    bool isbuf = false;
    void *data = NULL;
    *len = 0;
    if (napi_is_buffer(env, v, &isbuf) != napi_ok || !isbuf || napi_get_buffer_info(env, v, &data, len) != napi_ok)
        return NULL;
    return data;
}

/* exchange(answer: Buffer | null, n, status, into: Buffer | null, off) ->
 * number | Buffer: answer[0..n) is the host's answer (null: the host has
 * exited with status); qsim's next batch goes to into[off..] when it fits
 * (its length is returned), else comes back as a Buffer (resume). */
static napi_value exchange(napi_env env, napi_callback_info info)
{
    size_t argc = 5;
    napi_value argv[5];
    if (state == 0)
        return throw_(env, "qsim.node: exchange() before start()");
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
        return throw_(env, "qsim.node: exchange(answer, n, status, into, off)");
    size_t len = 0, room = 0;
    int64_t n = 0, off = 0;
    char *ans = buffer_of(env, argv[0], &len);
    char *into = buffer_of(env, argv[3], &room);
    napi_get_value_int64(env, argv[1], &n);
    napi_get_value_int64(env, argv[4], &off);
    if (ans) {
        in_p = ans;
        in_n = n >= 0 && (size_t)n <= len ? (long)n : (long)len;
        in_status = -1;
    } else {
        int32_t st = 0;
        if (napi_get_value_int32(env, argv[2], &st) != napi_ok)
            st = 0;
        in_p = NULL;
        in_n = -1;
        in_status = st;
    }
    if (into && (off < 0 || (size_t)off > room))
        into = NULL;
    return resume(env, into ? into + off : NULL, into ? room - (size_t)off : 0);
}

NAPI_MODULE_INIT()
{
    napi_property_descriptor props[] = {
        { "start", NULL, start, NULL, NULL, NULL, napi_default, NULL },
        { "exchange", NULL, exchange, NULL, NULL, NULL, napi_default, NULL },
    };
    napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
    return exports;
}
