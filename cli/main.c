/* mqttdissect: options and wiring only. The work is in pipeline.c (what
 * happens to a frame), capture.c (where frames come from) and out_*.c (what
 * is printed). */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/capture.h"
#include "net/capture_save.h"
#include "options.h"
#include "output/out_parallel.h"
#include "output/output.h"
#include "pipeline.h"
#include "pipeline_rules.h"
#include "util/line_writer.h"

/* Every signal handler of the program is here; the handlers only set
 * flags, which the reading thread looks at between frames and on ticks. */
static struct capture *signal_capture; /* the capture a signal stops */
static volatile sig_atomic_t report_requested; /* SIGUSR1 */
static volatile sig_atomic_t reopen_requested; /* SIGHUP: reopen -o FILE */

static void on_stop_signal(int sig)
{
    (void)sig;
    if (signal_capture)
        capture_request_stop(signal_capture);
}

static void on_hangup(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void on_report_signal(int sig)
{
    (void)sig;
    report_requested = 1;
}

/* SIGINT and SIGTERM end the input where it is (what was read is
 * decoded and printed, exit 0); SIGUSR1 asks for the counts so far. No
 * SA_RESTART: a read waiting on a pipe returns and sees the request. */
static void install_signal_handlers(struct capture *cap)
{
    signal_capture = cap;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_report_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    /* SIGHUP must not fail a blocked read (of a pipe, say) with EINTR. */
    sa.sa_handler = on_hangup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
}

struct run_ctx {
    struct pipeline *pipeline;
    struct capture *cap;
    const struct options *opts;
    int dlt;
    uint64_t cut_frames; /* frames the snaplen cut short */
    bool unflushed;      /* frames since the output was last flushed */
    int64_t next_interval_ms; /* live --stats-interval: next capture counts */
    struct output *out;
    FILE *file;          /* -o FILE, reopened on SIGHUP; NULL: stdout */
    int fd;              /* the descriptor under file */
    const char *path;
    struct capture_save *save; /* -w FILE; NULL without */
};

/* ---- --fanout GROUP,N: N worker processes (Linux) ----
 * The command forks N workers before anything else is set up; each opens
 * its own socket in the fanout group and runs as a single process would,
 * writing through a line writer (util/line_writer.h) so that the records
 * of the workers interleave whole. The parent only forwards SIGINT,
 * SIGTERM, SIGHUP and SIGUSR1 to them and waits. */
static volatile pid_t fanout_pid[OPT_MAX_FANOUT_WORKERS];
static unsigned fanout_started;
static unsigned worker_index, worker_count; /* in a worker: 1..N, N */
static char worker_tag[48];                 /* "worker K of N: " or "" */

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};

static void forward_signal(int sig)
{
    int saved = errno;
    for (unsigned i = 0; i < fanout_started; i++)
        if (fanout_pid[i] > 0)
            kill(fanout_pid[i], sig);
    errno = saved;
}

static void block_forwarded(bool block)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(&set, forwarded_signals[i]);
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Starts the workers. In a worker: -1 (it goes on with the run, the four
 * signals blocked until its own handlers are in place). In the parent:
 * the command's exit status once every worker has ended: 0 when all
 * ended with 0, else the first failure's (the others are then told to
 * stop: a worker that fails ends the run). */
static int fanout_run(unsigned n)
{
    int status = 0;
    block_forwarded(true);
    for (unsigned i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            worker_index = i + 1;
            worker_count = n;
            fanout_started = 0;
            snprintf(worker_tag, sizeof worker_tag, "worker %u of %u: ", worker_index, n);
            return -1;
        }
        if (pid < 0) {
            fprintf(stderr, "mqttdissect: --fanout: cannot start worker %u: %s\n", i + 1,
                    strerror(errno));
            status = 1;
            forward_signal(SIGTERM);
            break;
        }
        fanout_pid[fanout_started++] = pid;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaction(forwarded_signals[i], &sa, NULL);
    block_forwarded(false);
    for (unsigned left = fanout_started; left > 0;) {
        int ws;
        pid_t pid = waitpid(-1, &ws, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (unsigned i = 0; i < fanout_started; i++)
            if (fanout_pid[i] == pid) {
                fanout_pid[i] = 0;
                left--;
            }
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            if (status == 0)
                status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
            forward_signal(SIGTERM);
        }
    }
    return status;
}

/* A worker's output: -o FILE opened by each worker for appending, or its
 * own copy of standard output, behind a line writer. */
static FILE *worker_output(const char *path, int *fdp)
{
    int fd = *fdp = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
                  : fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    FILE *f = fd >= 0 ? line_writer_open(fd) : NULL;
    if (!f && fd >= 0)
        close(fd);
    return f;
}

static int64_t monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The capture's counts on stderr: live, what the kernel, the interface and
 * the queue dropped; a file, the frames read so far. */
static void print_capture_stats(struct capture *cap)
{
    struct capture_stats st;
    char err[512];
    if (!cap->live) {
        fprintf(stderr, "mqttdissect: %s: %llu packets read\n", cap->name,
                (unsigned long long)cap->frames);
        return;
    }
    if (capture_stats(cap, &st, err, sizeof err) == CAPTURE_OK)
        fprintf(stderr,
                "mqttdissect: %s%llu packets received, %llu dropped by the kernel, "
                "%llu dropped by the interface, %llu dropped by the queue\n",
                worker_tag, (unsigned long long)st.received, (unsigned long long)st.dropped,
                (unsigned long long)st.if_dropped,
                (unsigned long long)st.queue_dropped);
}

/* Live, the counts on stderr and, with -T json, as a capture_stats record
 * after what was printed. */
static void report_capture(struct run_ctx *run)
{
    struct capture_stats st;
    char err[512];
    print_capture_stats(run->cap);
    if (run->cap->live && capture_stats(run->cap, &st, err, sizeof err) == CAPTURE_OK)
        pipeline_write_capture_stats(run->pipeline, &st, worker_index);
}

/* SIGUSR1: the counts always, the --stats summary with them. */
static void serve_requests(struct run_ctx *run)
{
    if (!report_requested)
        return;
    report_requested = 0;
    report_capture(run);
    pipeline_stats_now(run->pipeline);
}

/* After SIGHUP (logrotate's postrotate): everything printed so far goes to
 * the file as it was (perhaps renamed by now), the rest to a file opened
 * again under its name. Between packets, with the printer flushed, so no
 * thread is writing (the decode thread is off with -o). */
static void reopen_output(struct run_ctx *run)
{
    reopen_requested = 0;
    if (!run->file)
        return;
    (void)output_flush(run->out);
    (void)fflush(run->file);
    /* The FILE the printers hold stays; the descriptor under it changes. */
    int fd = open(run->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, run->fd) < 0) {
        fprintf(stderr, "mqttdissect: cannot reopen %s after SIGHUP: %s; still "
                        "writing to the file it was\n", run->path, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
}

static int on_packet(void *ctx, const struct pcap_pkthdr *h,
                     const uint8_t *bytes, uint64_t frame)
{
    struct run_ctx *run = ctx;
    if (reopen_requested)
        reopen_output(run);
    if (h->caplen < h->len)
        run->cut_frames++;
    pipeline_frame(run->pipeline, run->dlt, h, bytes, frame);
    if (run->save)
        capture_save_frame(run->save, frame, h, bytes, pipeline_frame_tag(run->pipeline),
                           pipeline_frame_fragment(run->pipeline));
    run->unflushed = true;
    serve_requests(run);
    return pipeline_done(run->pipeline) ? 1 : 0;
}

/* Live or streamed input, between frames: when it is idle and at least
 * every deadline while it is busy (capture.h). Never per packet. */
static void on_tick(void *ctx)
{
    struct run_ctx *run = ctx;
    if (reopen_requested)
        reopen_output(run);
    serve_requests(run);
    if (run->cap->live && run->opts->stats_interval) {
        int64_t now = monotonic_ms();
        if (now >= run->next_interval_ms) {
            if (run->next_interval_ms)
                report_capture(run);
            run->next_interval_ms = now + (int64_t)run->opts->stats_interval * 1000;
        }
    }
    if (run->unflushed) {
        pipeline_flush(run->pipeline);
        run->unflushed = false;
    }
}

/* Formatting threads: --threads, else two when there are two CPUs and
 * something to print; live capture as files. */
static unsigned output_threads(const struct options *o)
{
    /* Times since the first or the previous record: one printer sees all. */
    if (o->format == OUT_TEXT &&
        (o->time_format == TEXT_TIME_REL || o->time_format == TEXT_TIME_DELTA))
        return 1;
    if (o->threads)
        return o->threads;
    if (o->quiet || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 1;
    return 2;
}

/* The flow table on this thread and MQTT decoding on a second one
 * (pipeline.h), for a file with little to format (-q, or one line per
 * message) on two CPUs: with -V or JSON both CPUs are busy formatting
 * (out_parallel.h). Not with --stats, whose live summaries read both
 * sides, nor with --threads 1. Live capture as files: the interface is
 * read on a thread of its own besides (capture.h). */
static bool decode_thread(const struct options *o)
{
    /* -w tags each frame with its flow as the flow table and MQTT-SN
     * decoding find it: one thread. */
    if (o->threads == 1 || o->stats || o->output_file || o->write_file)
        return false;
    if (!o->quiet && (o->format != OUT_TEXT || o->verbose))
        return false;
    return o->threads > 1 || sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

static int open_input(struct capture *cap, const struct options *o, int copy_fd,
                      char *err, size_t errlen)
{
    struct capture_live_cfg live = {
        .promisc = !o->no_promisc,
        .buffer_kib = o->buffer_kib,
        .snaplen = o->snaplen,
        .queue_mib = o->queue_mib,
    };
    int rc = o->read_file ? capture_open_offline_copy(cap, o->read_file, copy_fd, err, errlen)
                          : capture_open_live(cap, o->interface, &live, err, errlen);
    if (rc != CAPTURE_OK)
        return rc;
    if (cap->warning[0])
        fprintf(stderr, "mqttdissect: %s\n", cap->warning);
    if (o->fanout) {
        rc = capture_join_fanout(cap, o->fanout_group, err, errlen);
        if (rc != CAPTURE_OK)
            return rc;
    }
    /* Live: capture only the MQTT and TLS ports unless told otherwise. A
     * file is read whole: the pipeline picks the connections itself. */
    char deflt[1024];
    const char *filter = o->filter;
    if (!filter && cap->live) {
        options_default_filter(o, deflt, sizeof deflt);
        filter = deflt;
    }
    return capture_set_filter(cap, filter, err, errlen);
}

/* The locale's character set (LC_ALL, LC_CTYPE, LANG) is UTF-8. The
 * process itself stays in the C locale: the text output depends on the
 * options only, and this one choice. */
static bool locale_utf8(void)
{
    if (!setlocale(LC_CTYPE, ""))
        return false;
    const char *cs = nl_langinfo(CODESET);
    bool utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
    setlocale(LC_CTYPE, "C");
    return utf8;
}

static bool want_color(const struct options *o)
{
    if (o->color >= 0)
        return o->color == 1;
    const char *no_color = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(no_color && no_color[0]);
}

int main(int argc, char **argv)
{
    struct options o;
    int r = options_parse(&o, argc, argv);
    if (r != OPTIONS_OK)
        return r == OPTIONS_EXIT_OK ? 0 : 2;
    if (o.list_interfaces) {
        char lerr[PCAP_ERRBUF_SIZE + 64];
        int lrc = capture_list_interfaces(stdout, lerr, sizeof lerr);
        if (lrc != CAPTURE_OK)
            fprintf(stderr, "mqttdissect: %s\n", lerr);
        options_free(&o);
        return lrc == CAPTURE_OK && fflush(stdout) == 0 ? 0 : 1;
    }
    if (o.list_rules || o.explain) {
        int rrc = pipeline_rules_run(&o);
        options_free(&o);
        return rrc;
    }
    if (o.fanout_workers > 1) {
        int status = fanout_run(o.fanout_workers);
        if (status >= 0) { /* the parent: the workers have ended */
            options_free(&o);
            return status;
        }
    }

    char err[1024] = "";
    struct capture cap;
    memset(&cap, 0, sizeof cap);
    /* -w: its file can be made (and the input spooled) before any packet
     * is read. */
    struct capture_save *save = NULL;
    int copy_fd = -1;
    bool stdin_input = o.read_file && strcmp(o.read_file, "-") == 0;
    if (o.write_file &&
        (!(save = capture_save_open(o.write_file, o.pcapng, err, sizeof err)) ||
         (stdin_input && (copy_fd = capture_save_copy_fd(save, err, sizeof err)) < 0))) {
        fprintf(stderr, "mqttdissect: %s\n", err);
        capture_save_free(save);
        options_free(&o);
        return 1;
    }
    if (open_input(&cap, &o, copy_fd, err, sizeof err) != CAPTURE_OK ||
        (save && capture_save_input(save,
                                    cap.live      ? CAPTURE_SAVE_LIVE
                                    : copy_fd >= 0 ? CAPTURE_SAVE_STREAM
                                                   : CAPTURE_SAVE_FILE,
                                    o.read_file, cap.dlt, err, sizeof err) != 0)) {
        fprintf(stderr, "mqttdissect: %s\n", err);
        capture_save_free(save);
        capture_close(&cap);
        options_free(&o);
        return 1;
    }

    FILE *file = NULL;
    int file_fd = -1;
    FILE *std_out = stdout; /* a worker's stdout is a line writer until the end */
    if (worker_index) {
        FILE *lw = worker_output(o.output_file, &file_fd);
        if (!lw) {
            fprintf(stderr, "mqttdissect: %s%s: %s\n", worker_tag,
                    o.output_file ? o.output_file : "standard output", strerror(errno));
            capture_close(&cap);
            options_free(&o);
            return 1;
        }
        if (o.output_file)
            file = lw;
        else
            stdout = lw; /* glibc's stdout is a variable; summaries too */
    } else if (o.output_file && !(file = fopen(o.output_file, "a"))) {
        fprintf(stderr, "mqttdissect: %s: %s\n", o.output_file, strerror(errno));
        capture_save_free(save);
        capture_close(&cap);
        options_free(&o);
        return 1;
    }
    struct output_opts oo = {
        .verbose = o.verbose,
        .show_secrets = o.show_secrets,
        .color = file && o.color < 0 ? false : want_color(&o),
        .out = file ? file : stdout,
        .max_payload = o.max_payload,
        .max_payload_set = o.max_payload_set,
        .time_format = o.time_format,
        .ascii_arrow = !locale_utf8(),
        .payload_mode = o.payload_mode,
        .decode_rules = o.decode,
        .ndecode_rules = o.ndecode,
    };
    enum output_format fmt = o.format == OUT_JSON  ? OUTPUT_JSON
                             : o.format == OUT_EVE ? OUTPUT_EVE
                                                   : OUTPUT_TEXT;
    unsigned threads = output_threads(&o);
    struct output *out = threads > 1 ? out_parallel_open(fmt, &oo, threads) : NULL;
    if (!out)
        out = output_open(fmt, &oo);
    struct pipeline *p = out ? pipeline_new(&o, out, decode_thread(&o)) : NULL;
    if (!p) {
        fputs("mqttdissect: out of memory\n", stderr);
        capture_save_free(save);
        output_close(out);
        if (file)
            fclose(file);
        capture_close(&cap);
        options_free(&o);
        return 1;
    }

    size_t nsecrets;
    const struct capture_secret *secrets = capture_secrets(&cap, &nsecrets);
    pipeline_use_secrets(p, secrets, nsecrets);
    /* Reading a file, the reading thread has a CPU of its own unless
     * formatting threads run beside the decoding one: it takes a share of
     * the decoding thread's work then. */
    if (!cap.live && (threads == 1 || o.quiet) && sysconf(_SC_NPROCESSORS_ONLN) >= 2)
        pipeline_share_work(p);
    install_signal_handlers(&cap);
    if (worker_index) /* blocked since the fork (fanout_run) */
        block_forwarded(false);
    pipeline_set_save(p, save);
    struct run_ctx run = {.pipeline = p, .cap = &cap, .opts = &o, .dlt = cap.dlt,
                          .out = out, .file = file, .path = o.output_file,
                          .fd = worker_index ? file_fd : file ? fileno(file) : -1,
                          .save = save};
    /* Live and streamed: flushed when the input is idle, and within 100 ms
     * with -l or on a terminal (else within a second). */
    bool prompt = o.line_buffered || (!file && isatty(STDOUT_FILENO));
    capture_set_tick(&cap, on_tick, &run, prompt ? 100 : 1000);
    int rc = capture_run(&cap, on_packet, &run, err, sizeof err);
    int wrc = pipeline_finish(p);
    /* -w: the second pass, after every flow has been marked (a SIGINT has
     * already ended the input: the file is written whole all the same). */
    int save_rc = 0;
    if (save) {
        uint64_t written;
        char serr_w[1200];
        if (cap.copy_errno)
            capture_save_copy_failed(save, cap.copy_errno);
        save_rc = capture_save_finish(save, &written, serr_w, sizeof serr_w);
        if (save_rc != 0)
            fprintf(stderr, "mqttdissect: %s\n", serr_w);
        else if (o.quiet)
            fprintf(stderr, "mqttdissect: -w %s: %llu packets written\n", o.write_file,
                    (unsigned long long)written);
        capture_save_free(save);
    }
    struct capture_stats cst;
    char serr[512];
    bool have_cst = cap.live && capture_stats(&cap, &cst, serr, sizeof serr) == CAPTURE_OK;
    if (have_cst)
        pipeline_write_capture_stats(p, &cst, worker_index);
    wrc |= output_close(out);
    if (fflush(stdout) != 0 || (file && fclose(file) != 0))
        wrc = -1;
    if (stdout != std_out) {
        if (fclose(stdout) != 0)
            wrc = -1;
        stdout = std_out;
    }
    signal_capture = NULL;

    if (have_cst)
        print_capture_stats(&cap);
    if (o.quiet)
        pipeline_print_summary(p, stderr);
    if (rc < 0)
        fprintf(stderr, "mqttdissect: %s\n", err);
    else if (run.cut_frames)
        /* The bytes the snaplen cut off were reported as gaps in place;
         * still, the input is incomplete, and the exit status says so. */
        fprintf(stderr, "mqttdissect: %s: %llu packets cut short by the snapshot "
                        "length; their missing bytes are reported as gaps\n",
                cap.name, (unsigned long long)run.cut_frames);
    if (wrc < 0)
        fputs("mqttdissect: error writing the output\n", stderr);

    pipeline_free(p);
    capture_close(&cap);
    options_free(&o);
    return rc < 0 || wrc < 0 || save_rc < 0 || run.cut_frames ? 1 : 0;
}
