/*
 * plot_output.c - the files of one plot (plot.h).  They are written into a
 * staging folder inside --out and moved into --out only when gnuplot has
 * drawn all three pictures, so an error never leaves a half-written plot
 * there.  An exit or a SIGINT, SIGTERM or SIGHUP before that removes the
 * staging folder.
 */
#include "plot.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The files of a plot, in the order they are moved into --out. */
static const char *const suffixes[] = {"dat", "gp", "png", "svg", "pdf"};
#define N_FILES (sizeof suffixes / sizeof suffixes[0])

/* The staging folder.  Its paths are filled in before it is created, so the
 * signal handler only reads them. */
static struct {
    char dir[PATH_MAX];
    char files[N_FILES][PATH_MAX + 96];
    volatile sig_atomic_t active;
} staging;

/* Remove the staging folder and whatever is in it.  Async-signal-safe. */
static void
remove_staging(void)
{
    if (!staging.active)
        return;
    for (size_t i = 0; i < N_FILES; i++)
        unlink(staging.files[i]);
    rmdir(staging.dir);
    staging.active = 0;
}

static void
remove_staging_on_signal(int sig)
{
    remove_staging();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
create_staging(struct plot *p)
{
    int n = snprintf(staging.dir, sizeof staging.dir, "%s/.%s.tmp-XXXXXX", p->o->out_dir, p->name);
    if (n < 0 || (size_t)n >= sizeof staging.dir - 16) {
        fprintf(stderr, PROGRAM ": --out=%s is too long a path; give a shorter one\n",
                p->o->out_dir);
        exit(PLOT_EXIT_INVALID);
    }
    if (!mkdtemp(staging.dir)) {
        fprintf(stderr,
                PROGRAM ": cannot create a folder in %s: %s; give a writable folder with --out\n",
                p->o->out_dir, strerror(errno));
        exit(PLOT_EXIT_FAILED);
    }
    for (size_t i = 0; i < N_FILES; i++)
        snprintf(staging.files[i], sizeof staging.files[i], "%s/%s.%s", staging.dir, p->name,
                 suffixes[i]);
    staging.active = 1;
    atexit(remove_staging);
    signal(SIGINT, remove_staging_on_signal);
    signal(SIGTERM, remove_staging_on_signal);
    signal(SIGHUP, remove_staging_on_signal);
}

/* Move staged file i into --out under its final name. */
static void
publish(struct plot *p, size_t i)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/%s.%s", p->o->out_dir, p->name, suffixes[i]);
    if (rename(staging.files[i], path) != 0) {
        fprintf(stderr, PROGRAM ": cannot move %s to %s: %s\n", staging.files[i], path,
                strerror(errno));
        exit(PLOT_EXIT_FAILED);
    }
}

static FILE *
open_staged(size_t i)
{
    FILE *f = fopen(staging.files[i], "w");
    if (!f) {
        fprintf(stderr, PROGRAM ": cannot write %s: %s; give a writable folder with --out\n",
                staging.files[i], strerror(errno));
        exit(PLOT_EXIT_FAILED);
    }
    return f;
}

void
plot_begin(struct plot *p, const char *name)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    create_staging(p);
    p->data = open_staged(0);
    p->script = open_staged(1);
    p->figure = open_memstream(&p->figure_text, &p->figure_size);
    if (!p->figure) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        exit(PLOT_EXIT_FAILED);
    }
    fprintf(p->data, "# %s of %s, written by " PROGRAM "\n", name, p->o->db_path);
    fprintf(p->script,
            "# %s of %s, written by " PROGRAM ".\n"
            "# Edit and render again with: gnuplot %s.gp (it writes %s.png, .svg, .pdf)\n"
            "set datafile separator whitespace\n"
            "set grid lc rgb '#dddddd'\n"
            "set key noenhanced\n",
            name, p->o->db_path, name, name);
}

void
plot_quote(char *out, size_t len, const char *text)
{
    size_t j = 0;
    for (size_t i = 0; text[i] && j + 1 < len; i++)
        if (text[i] != '\'' && text[i] != '"' && text[i] != '\\')
            out[j++] = text[i];
    out[j] = '\0';
}

/* Run gnuplot on the staged script in the staging folder.  Returns gnuplot's exit status,
 * 127 when it cannot be started, or -1 when it was killed. */
static int
run_gnuplot(struct plot *p)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char script[96];
        snprintf(script, sizeof script, "%s.gp", p->name);
        if (chdir(staging.dir) != 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/*
 * The three terminals draw the same figure: 3.5 x 2.4 inches, a column of
 * a two-column paper, with 8 pt text.  The PNG has 300 pixels per inch
 * and the SVG 96 units per inch.  At fontscale 1, pdfcairo and pngcairo
 * of gnuplot 5.4 draw text 96/72 times its nominal size (measured with
 * pdftotext -bbox), so their font scales are 72/96 and 300/96.  The line
 * widths make a line of width 1 half a point wide, pdfcairo's default.
 * pngcairo's pointscale and the factor point_size, which the svg terminal
 * lacks an option for, give a point the size it has in the PDF.  Both were
 * measured on pictures rasterized at 300 dpi.
 */
static const char terminals[] =
    "    if (format eq 'png') {\n"
    "        set terminal pngcairo size 1050,720 font 'Sans,8' fontscale 3.125 \\\n"
    "            linewidth 2.0833 pointscale 4.2 noenhanced\n"
    "        point_size = 1\n"
    "    }\n"
    "    if (format eq 'svg') {\n"
    "        set terminal svg size 336,230 font 'Sans,8' fontscale 1.3333 linewidth 0.6667 \\\n"
    "            noenhanced\n"
    "        point_size = 1.17\n"
    "    }\n"
    "    if (format eq 'pdf') {\n"
    "        set terminal pdfcairo size 3.5in,2.4in font 'Sans,8' fontscale 0.75 noenhanced\n"
    "        point_size = 1\n"
    "    }\n";

/* Draw the figure once per terminal, and move the files into --out. */
void
plot_finish(struct plot *p)
{
    if (fclose(p->figure) != 0) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        exit(PLOT_EXIT_FAILED);
    }
    fprintf(p->script,
            "\n# The figure, drawn once for each picture.\n"
            "do for [format in 'png svg pdf'] {\n%s",
            terminals);
    fprintf(p->script, "    set output '%s.'.format\n", p->name);
    /* The figure's lines, indented into the loop. */
    for (const char *line = p->figure_text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        fprintf(p->script, "    %.*s\n", (int)len, line);
        line += len + (end != NULL);
    }
    fprintf(p->script, "}\nset output\n");
    free(p->figure_text);

    int data_closed = fclose(p->data), script_closed = fclose(p->script);
    if (data_closed != 0 || script_closed != 0) {
        fprintf(stderr, PROGRAM ": writing %s/%s failed: %s\n", staging.dir, p->name,
                strerror(errno));
        exit(PLOT_EXIT_FAILED);
    }

    int code = run_gnuplot(p);
    if (code != 0) {
        /* The data and the script are whole, so they stay for a rerun of gnuplot.  Pictures
         * of an earlier plot under the same name would not match them. */
        publish(p, 0);
        publish(p, 1);
        for (size_t i = 2; i < N_FILES; i++) {
            char stale[PATH_MAX + 80];
            snprintf(stale, sizeof stale, "%s/%s.%s", p->o->out_dir, p->name, suffixes[i]);
            unlink(stale);
        }
        fprintf(stderr,
                PROGRAM ": gnuplot %s for %s.gp; %s. The data and the script are in %s, "
                        "without pictures\n",
                code == 127 ? "was not found" : "failed", p->name,
                code == 127 ? "install gnuplot-nox" : "read its messages above", p->o->out_dir);
        exit(PLOT_EXIT_FAILED);
    }
    for (size_t i = 0; i < N_FILES; i++)
        publish(p, i);
    remove_staging();
    printf("%s/%s.png, .svg and .pdf (data %s.dat, script %s.gp)\n", p->o->out_dir, p->name,
           p->name, p->name);
}
