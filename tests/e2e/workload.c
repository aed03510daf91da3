/*
 * workload.c - memory workload run inside an e2e test guest.
 *
 * Built static (gcc -static -O2 -Wall -Wextra -Werror) and started by the
 * guest's /init once the balloon has brought the guest to its start size.
 * It grows, holds and frees anonymous memory following a small script, and
 * reports what it holds on stdout (the serial console), so the host-side test
 * can see what the guest was asked to do and compare it with what memcoord did.
 *
 * SCRIPT SOURCE
 *   The kernel command line (/proc/cmdline) word  mcwl=SCRIPT.
 *   For trying it on a workstation:  workload -s SCRIPT  (or  -f CMDLINEFILE).
 *   No mcwl= word: prints "mcwl none" and exits 0.
 *
 *   Disk mode (the e2e suite, tests/e2e/run.sh):  workload -d DEV
 *   The host writes a workload into the first sector of a small raw disk
 *   that the running guest sees as DEV (/dev/vda), as one text line
 *       MCWL <generation> <SCRIPT> END\n
 *   (vm.sh feed). The workload polls that sector every 0.5 s with O_DIRECT
 *   reads (so the guest's page cache never hides a new generation); when the
 *   generation differs from the last one run, it records the generation in
 *   /tmp/mcwl.gen, prints "mcwl gen=N start script=SCRIPT", runs the script
 *   and exits. The guest's /init runs it again in a loop, so a workload that
 *   was OOM-killed is simply replaced by one waiting for the next generation
 *   (the killed generation is not re-run: it was recorded before running).
 *
 * SCRIPT SYNTAX
 *   SCRIPT := STEP { "," STEP }
 *   Numbers are non-negative decimals (fractions allowed). Sizes in MiB,
 *   rates in MiB/s, times in seconds.
 *
 *   grow:RATE:TARGET  allocate until TARGET MiB are held, at RATE MiB/s
 *                     (RATE 0 = as fast as the machine goes). Every 4 KiB
 *                     page is written, one page at a time, so it is really
 *                     resident. If an allocation fails the step ends early
 *                     ("mcwl grow-stopped ..." is printed) and the script goes
 *                     on. A TARGET below what is held does nothing.
 *   fill:RATE:TARGET  as grow, but the way the course's test program
 *                     allocates: one realloc() per 4 KiB page of a single
 *                     block, one byte of each new page written. fill:0:N is
 *                     the course-shaped grow; free shrinks the block.
 *   hold:N            keep what is held for N seconds (re-writing one word per
 *                     page every second so the pages stay in use).
 *   idle:N            sleep N seconds, touching nothing.
 *   free:RATE:TARGET  release memory until TARGET MiB are held, at RATE
 *                     MiB/s (0 = at once).
 *   free:all          release everything at once (same as free:0:0).
 *   spin:PCT:N        keep the CPU busy PCT percent of the wall-clock time
 *                     for N seconds: in every 100 ms slice, spin on
 *                     CLOCK_MONOTONIC for PCT ms, then sleep to the slice's
 *                     end.  Time-based, so the load it asks for is the same
 *                     however fast the (TCG) CPU is; on a crowded pCPU it
 *                     simply gets less (the vCPU scheduler tests, cpu.sh).
 *
 *   Example: mcwl=idle:5,grow:40:300,hold:10,free:20:0
 *
 * OUTPUT (one line each, all starting with "mcwl ")
 *   mcwl start script=SCRIPT
 *   mcwl t=3.0 phase=grow step=2 held_mib=120      about once a second and at
 *                                                   every step's start and end
 *   mcwl grow-stopped t=.. held_mib=.. errno=..    allocation failed
 *   mcwl done t=.. held_mib=..                     script finished (exit 0)
 *   mcwl error: ...                                bad script (exit 2)
 *   t is seconds since the workload started (CLOCK_MONOTONIC).
 *
 * Memory is taken in 1 MiB chunks with mmap and given back with munmap, so
 * freeing really returns memory to the guest kernel (malloc would keep it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHUNK      (1024UL * 1024UL)     /* 1 MiB: the unit of grow/free */
#define PAGE       4096UL
#define PAGES_PER_CHUNK (CHUNK / PAGE)
#define MAX_STEPS  64
#define MAX_CHUNKS (1024 * 1024)         /* 1 TiB of chunks; never reached */
#define SCRIPT_MAX 1024

enum op { OP_GROW, OP_HOLD, OP_IDLE, OP_FREE, OP_FILL, OP_SPIN };
static const char *op_name[] = { "grow", "hold", "idle", "free", "fill", "spin" };

struct step {
    enum op op;
    double rate;    /* MiB/s, 0 = unlimited (grow/free) */
    double target;  /* MiB (grow/free) */
    double secs;    /* seconds (hold/idle) */
};

static struct step steps[MAX_STEPS];
static int nsteps;
static char *chunks[MAX_CHUNKS];         /* a mapping (NULL for fill) */
static unsigned char heap_chunk[MAX_CHUNKS];
static size_t heap_off[MAX_CHUNKS];       /* a fill chunk's place in block */
static char *block;                       /* fill's one realloc()ed block */
static size_t block_pages;
static size_t nchunks;                   /* chunks held == MiB held */
static double t0, last_report;
static unsigned long touch_gen;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double elapsed(void) { return now() - t0; }

static void sleep_for(double s)
{
    struct timespec ts;
    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mcwl ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
}

static void report(int step, int force)
{
    double t = elapsed();
    if (!force && t - last_report < 1.0)
        return;
    last_report = t;
    say("t=%.1f phase=%s step=%d held_mib=%zu", t, op_name[steps[step].op],
        step + 1, nchunks);
}

/* ---------------------------------------------------------------- parsing */

static int parse_num(const char **p, double *out)
{
    char *end;
    double v;
    if (**p < '0' || **p > '9')
        return -1;
    errno = 0;
    v = strtod(*p, &end);
    if (errno || end == *p || v < 0 || v > 1e9)
        return -1;
    *out = v;
    *p = end;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int parse_script(const char *s)
{
    const char *p = s;
    while (*p) {
        struct step st = { 0 };
        const char *name = p;
        size_t len;
        while (*p >= 'a' && *p <= 'z')
            p++;
        len = (size_t)(p - name);
        if (nsteps >= MAX_STEPS) {
            say("error: more than %d steps", MAX_STEPS);
            return -1;
        }
        if (expect(&p, ':'))
            goto bad;
        if (len == 4 && (!strncmp(name, "grow", 4) || !strncmp(name, "fill", 4))) {
            st.op = name[0] == 'g' ? OP_GROW : OP_FILL;
            if (parse_num(&p, &st.rate) || expect(&p, ':') || parse_num(&p, &st.target))
                goto bad;
        } else if (len == 4 && !strncmp(name, "free", 4)) {
            st.op = OP_FREE;
            if (!strncmp(p, "all", 3) && (p[3] == ',' || p[3] == '\0')) {
                p += 3;
            } else if (parse_num(&p, &st.rate) || expect(&p, ':') ||
                       parse_num(&p, &st.target)) {
                goto bad;
            }
        } else if (len == 4 && !strncmp(name, "hold", 4)) {
            st.op = OP_HOLD;
            if (parse_num(&p, &st.secs))
                goto bad;
        } else if (len == 4 && !strncmp(name, "idle", 4)) {
            st.op = OP_IDLE;
            if (parse_num(&p, &st.secs))
                goto bad;
        } else if (len == 4 && !strncmp(name, "spin", 4)) {
            st.op = OP_SPIN;    /* rate = percent busy */
            if (parse_num(&p, &st.rate) || st.rate > 100 || expect(&p, ':') ||
                parse_num(&p, &st.secs))
                goto bad;
        } else {
            goto bad;
        }
        if (*p == ',')
            p++;
        else if (*p != '\0')
            goto bad;
        steps[nsteps++] = st;
        continue;
bad:
        say("error: bad script at offset %d: \"%.20s\" (want grow:RATE:MIB, "
            "fill:RATE:MIB, hold:S, idle:S, free:RATE:MIB, free:all or spin:PCT:S)",
            (int)(name - s), name);
        return -1;
    }
    if (nsteps == 0) {
        say("error: empty script");
        return -1;
    }
    return 0;
}

/* Find "mcwl=" as a whole word of a kernel command line; copy its value. */
static int script_from_cmdline(const char *cmdline, char *out, size_t outsz)
{
    const char *p = cmdline;
    while ((p = strstr(p, "mcwl=")) != NULL) {
        if (p == cmdline || p[-1] == ' ' || p[-1] == '\t') {
            size_t n = strcspn(p + 5, " \t\n");
            if (n >= outsz)
                n = outsz - 1;
            memcpy(out, p + 5, n);
            out[n] = '\0';
            return 0;
        }
        p += 5;
    }
    return -1;
}

/* ---------------------------------------------------------------- disk mode */

#define GEN_FILE "/tmp/mcwl.gen"
#define SECTOR   4096

static unsigned long read_last_gen(void)
{
    unsigned long g = 0;
    FILE *f = fopen(GEN_FILE, "r");
    if (f) {
        if (fscanf(f, "%lu", &g) != 1)
            g = 0;
        fclose(f);
    }
    return g;
}

static void write_last_gen(unsigned long g)
{
    FILE *f = fopen(GEN_FILE, "w");
    if (f) {
        fprintf(f, "%lu\n", g);
        fclose(f);
    }
}

/* Parse "MCWL <gen> <script> END\n"; 0 if well formed (a torn or empty
 * sector is simply not well formed and is read again next poll). */
static int parse_sector(const char *b, unsigned long *gen, char *out, size_t outsz)
{
    const char *p = b, *s;
    char *end;
    size_t n;
    if (strncmp(p, "MCWL ", 5) != 0)
        return -1;
    p += 5;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    *gen = strtoul(p, &end, 10);
    if (errno || *end != ' ')
        return -1;
    s = end + 1;
    n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.:,");
    if (n == 0 || n >= outsz || strncmp(s + n, " END\n", 5) != 0)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Wait for a generation other than the last one run; copy its script. */
static int script_from_disk(const char *dev, char *out, size_t outsz, unsigned long *genp)
{
    unsigned long last = read_last_gen(), gen;
    void *buf;
    int fd = -1, warned = 0;

    if (posix_memalign(&buf, SECTOR, SECTOR) != 0)
        return -1;
    for (;;) {
        if (fd < 0) {
            fd = open(dev, O_RDONLY | O_DIRECT);
            if (fd < 0 && !warned) {
                say("waiting for %s: %s", dev, strerror(errno));
                warned = 1;
            }
        }
        if (fd >= 0) {
            ssize_t n = pread(fd, buf, SECTOR, 0);
            if (n > 0) {
                ((char *)buf)[n - 1] = '\0';
                if (parse_sector(buf, &gen, out, outsz) == 0 && gen != last) {
                    close(fd);
                    free(buf);
                    write_last_gen(gen);
                    *genp = gen;
                    return 0;
                }
            }
        }
        sleep_for(0.5);
    }
}

/* ---------------------------------------------------------------- memory */

/* Take one 1 MiB chunk and write every page of it, one page at a time. */
static int grow_chunk(void)
{
    char *c;
    size_t off;
    if (nchunks >= MAX_CHUNKS) {
        errno = ENOMEM;
        return -1;
    }
    c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return -1;
    /* A distinct, non-zero word per page: a page of zeroes could be merged or
     * compressed away; this one must really occupy memory. */
    for (off = 0; off < CHUNK; off += PAGE)
        *(volatile uint64_t *)(c + off) = ((uint64_t)nchunks << 32) ^ off ^ 0x6d63776cULL;
    heap_chunk[nchunks] = 0;
    chunks[nchunks++] = c;
    return 0;
}

/* fill: 1 MiB the way the course's test program takes memory: one realloc()
 * per 4 KiB page of a single growing block, writing one byte of the new
 * page (its usleep() is left out: as fast as the guest goes).  The chunk
 * is 256 pages of the block, at heap_off[]. */
static int fill_chunk(void)
{
    size_t i;
    if (nchunks >= MAX_CHUNKS) {
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < PAGES_PER_CHUNK; i++) {
        char *nb = realloc(block, (block_pages + 1) * PAGE);
        if (!nb) {
            errno = ENOMEM;
            return -1;      /* the pages taken so far stay in the block */
        }
        block = nb;
        block[block_pages * PAGE] = (char)(0x61 + (block_pages & 15));
        block_pages++;
    }
    heap_chunk[nchunks] = 1;
    heap_off[nchunks] = (block_pages - PAGES_PER_CHUNK) * PAGE;
    chunks[nchunks++] = NULL;
    return 0;
}

static void free_chunk(void)
{
    if (nchunks == 0)
        return;
    if (!heap_chunk[--nchunks]) {
        munmap(chunks[nchunks], CHUNK);
        return;
    }
    block_pages -= PAGES_PER_CHUNK;
    if (block_pages == 0) {
        free(block);
        block = NULL;
    } else {
        char *nb = realloc(block, block_pages * PAGE);   /* shrinks in place */
        if (nb)
            block = nb;
    }
}

/* The word of page p of chunk i that touch_all() re-writes. */
static volatile uint64_t *touch_word(size_t i, size_t p)
{
    if (heap_chunk[i])
        return (volatile uint64_t *)(block + heap_off[i] + p * PAGE + 8);
    return (volatile uint64_t *)(chunks[i] + p * PAGE + 8);
}

/* Re-write one word per page of everything held (keeps pages "in use"). */
static void touch_all(void)
{
    size_t i, p;
    touch_gen++;
    for (i = 0; i < nchunks; i++)
        for (p = 0; p < PAGES_PER_CHUNK; p++)
            *touch_word(i, p) = touch_gen;
}

/* Move from the held size towards target at rate MiB/s (0 = no limit). */
static void do_resize(int si, int grow)
{
    const struct step *st = &steps[si];
    size_t target = (size_t)st->target;
    double start = now();
    size_t start_held = nchunks, done = 0;

    report(si, 1);
    for (;;) {
        if (grow ? nchunks >= target : nchunks <= target)
            break;
        if (st->rate > 0) {
            /* the chunk after `done` is due at start + done/rate */
            double due = start + (double)done / st->rate;
            double wait = due - now();
            while (wait > 0) {
                /* sleep in <= 0.5 s slices so progress lines keep coming */
                sleep_for(wait < 0.5 ? wait : 0.5);
                report(si, 0);
                wait = due - now();
            }
        }
        if (grow) {
            if ((st->op == OP_FILL ? fill_chunk() : grow_chunk()) != 0) {
                int e = errno;
                say("grow-stopped t=%.1f step=%d held_mib=%zu errno=%d (%s)",
                    elapsed(), si + 1, nchunks, e, strerror(e));
                break;
            }
        } else {
            free_chunk();
        }
        done++;
        report(si, 0);
    }
    {
        double dt = now() - start;
        size_t moved = grow ? nchunks - start_held : start_held - nchunks;
        say("t=%.1f phase=%s step=%d held_mib=%zu end moved_mib=%zu secs=%.1f rate_mib_s=%.1f",
            elapsed(), op_name[st->op], si + 1, nchunks, moved, dt,
            dt > 0 ? (double)moved / dt : 0.0);
        last_report = elapsed();
    }
}

static void do_wait(int si, int touch)
{
    double end = now() + steps[si].secs;
    report(si, 1);
    while (now() < end) {
        double left = end - now();
        sleep_for(left < 1.0 ? left : 1.0);
        if (touch)
            touch_all();
        report(si, 0);
    }
}

#define SPIN_SLICE 0.1      /* s */

/* Busy rate percent of each slice, asleep the rest, for secs. */
static void do_spin(int si)
{
    double end = now() + steps[si].secs, busy = SPIN_SLICE * steps[si].rate / 100;
    volatile unsigned long sink = 0;

    report(si, 1);
    while (now() < end) {
        double slice = now();
        while (now() < slice + busy)
            sink++;
        sleep_for(slice + SPIN_SLICE - now());
        report(si, 0);
    }
    (void)sink;
}

int main(int argc, char **argv)
{
    char script[SCRIPT_MAX];
    char cmdline[4096];
    const char *cmdfile = "/proc/cmdline";
    int i, disk_mode = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    t0 = now();

    script[0] = '\0';
    if (argc == 3 && !strcmp(argv[1], "-s")) {
        snprintf(script, sizeof script, "%s", argv[2]);
    } else if (argc == 3 && !strcmp(argv[1], "-d")) {
        unsigned long gen;
        if (script_from_disk(argv[2], script, sizeof script, &gen) != 0) {
            say("error: out of memory");
            return 2;
        }
        t0 = now();
        disk_mode = 1;
        say("gen=%lu start script=%s", gen, script);
    } else {
        FILE *f;
        size_t n;
        if (argc == 3 && !strcmp(argv[1], "-f"))
            cmdfile = argv[2];
        else if (argc != 1) {
            fprintf(stderr, "usage: %s [-s SCRIPT | -f CMDLINEFILE | -d DEV]\n", argv[0]);
            return 2;
        }
        f = fopen(cmdfile, "r");
        if (!f) {
            say("error: cannot read %s: %s", cmdfile, strerror(errno));
            return 2;
        }
        n = fread(cmdline, 1, sizeof cmdline - 1, f);
        cmdline[n] = '\0';
        fclose(f);
        if (script_from_cmdline(cmdline, script, sizeof script) != 0) {
            say("none");
            return 0;
        }
    }

    if (!disk_mode)
        say("start script=%s", script);
    if (parse_script(script) != 0)
        return 2;

    for (i = 0; i < nsteps; i++) {
        switch (steps[i].op) {
        case OP_GROW:
        case OP_FILL: do_resize(i, 1); break;
        case OP_FREE: do_resize(i, 0); break;
        case OP_HOLD: do_wait(i, 1); break;
        case OP_IDLE: do_wait(i, 0); break;
        case OP_SPIN: do_spin(i); break;
        }
    }
    say("done t=%.1f held_mib=%zu", elapsed(), nchunks);
    return 0;
}
