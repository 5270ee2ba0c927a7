/* gen_main.c - picket-gen's command line.
 *
 * Why it exists: exercise planners, the README demo and the benchmark all
 * drive picket-gen from a shell. Exit status: 0 done, 2 bad usage, 1 a
 * fatal error (with a message naming the file).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen_ctx.h"
#include "gen_run.h"

#define PROG "picket-gen"
#define DEFAULT_START 1767225600LL   /* 2026-01-01T00:00:00Z */

static void usage(FILE *f)
{
    fprintf(f,
"usage: picket-gen -I FILE... -w OUT.pcap [options]\n"
"       picket-gen --bench -w OUT.pcap --packets N --flows M [-I FILE...] [options]\n"
"       picket-gen --list-profiles\n"
"\n"
"Writes a believable capture (Ethernet, IPv4/IPv6, TCP/UDP) that exercises\n"
"every indicator of a set, mixed with benign background traffic, so a sensor\n"
"can be checked against it. The same seed and input give the same bytes.\n"
"\n"
"  -I, --indicators FILE  indicator file (Zeek intel, STIX 2.1, iprep, plain\n"
"                         list); repeat it, or list more files after the options\n"
"  -w, --write FILE       pcap file to write (required)\n"
"      --manifest FILE    JSON: per indicator the field a sensor should alert on\n"
"                         (ip.dst, ip.src, dns.query, tls.sni, http.host,\n"
"                         http.url, tls.ja3, tls.ja4) and the flow; plus the\n"
"                         indicators that could not be exercised, with reasons\n"
"      --seed N           random seed (default 1)\n"
"      --background N     benign sessions to mix in (default 200)\n"
"      --start EPOCH      unix time of the first packet (default %lld)\n"
"      --ipv6-share P     share of sessions over IPv6, 0..1 (default 0.25)\n"
"      --bench            benchmark capture: --packets N over --flows M, about\n"
"                         0.1%% of flows hitting an indicator from -I\n"
"      --packets N        bench: packets to write\n"
"      --flows M          bench: flows to spread them over\n"
"      --list-profiles    print the built-in TLS client profiles with the JA3\n"
"                         and JA4 their ClientHellos produce, and exit\n"
"  -q, --quiet            no summary on stderr\n"
"  -h, --help             this help\n"
"  -V, --version          version\n"
"\n"
"JA3/JA4 indicators are exercised only when a built-in profile has that\n"
"fingerprint; others are listed as not exercisable.\n"
"Addresses used: clients 10.0.0.0/8 and fd00::/8, servers 198.18.0.0/15\n"
"and 2001:2::/48; names under reserved domains (example.com, .example, .test).\n"
"Exit status: 0 ok, 1 fatal error, 2 bad usage.\n",
            (long long)DEFAULT_START);
}

enum { OPT_SEED = 256, OPT_BG, OPT_START, OPT_V6, OPT_MANIFEST, OPT_BENCH,
       OPT_PACKETS, OPT_FLOWS, OPT_LIST };

static int bad(const char *what, const char *arg)
{
    return pk_cli_error(PROG, "invalid %s: '%s' (see --help)", what, arg);
}

static int parse_value(gen_opts *o, int ch, const char *arg)
{
    uint64_t v;
    switch (ch) {
    case OPT_SEED:
        return pk_cli_u64(arg, 0, UINT64_MAX, &o->seed) ? 0 : bad("--seed", arg);
    case OPT_BG:
        if (!pk_cli_u64(arg, 0, 10000000, &v))
            return bad("--background", arg);
        o->background = (uint32_t)v;
        return 0;
    case OPT_START:
        if (!pk_cli_u64(arg, 0, 4102444800ULL, &v))
            return bad("--start", arg);
        o->start = (int64_t)v;
        return 0;
    case OPT_V6:
        return pk_cli_double(arg, 0, 1, &o->ipv6_share) ? 0 : bad("--ipv6-share", arg);
    case OPT_PACKETS:
        return pk_cli_u64(arg, 1, UINT64_MAX, &o->packets) ? 0 : bad("--packets", arg);
    case OPT_FLOWS:
        return pk_cli_u64(arg, 1, UINT64_MAX, &o->flows) ? 0 : bad("--flows", arg);
    }
    return PK_CLI_EXIT_USAGE;
}

static int add_file(gen_opts *o, const char *path)
{
    if (o->nfiles >= GEN_MAX_FILES)
        return pk_cli_error(PROG, "too many indicator files (max %d)", GEN_MAX_FILES);
    o->files[o->nfiles++] = path;
    return 0;
}

static const struct option longopts[] = {
    {"indicators", required_argument, NULL, 'I'},
    {"write", required_argument, NULL, 'w'},
    {"manifest", required_argument, NULL, OPT_MANIFEST},
    {"seed", required_argument, NULL, OPT_SEED},
    {"background", required_argument, NULL, OPT_BG},
    {"start", required_argument, NULL, OPT_START},
    {"ipv6-share", required_argument, NULL, OPT_V6},
    {"bench", no_argument, NULL, OPT_BENCH},
    {"packets", required_argument, NULL, OPT_PACKETS},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"list-profiles", no_argument, NULL, OPT_LIST},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, else the exit status. */
static int check_opts(gen_opts *o)
{
    if (o->list_profiles)
        return -1;
    if (!o->out)
        return pk_cli_error(PROG, "-w OUT.pcap is required (see --help)");
    if (o->bench && (!o->packets || !o->flows))
        return pk_cli_error(PROG, "--bench needs --packets N and --flows M");
    if (!o->bench && (o->packets || o->flows))
        return pk_cli_error(PROG, "--packets/--flows only apply with --bench");
    if (o->bench && o->flows > o->packets) {
        fprintf(stderr, PROG ": note: --flows %llu > --packets; using %llu flows\n",
                (unsigned long long)o->flows, (unsigned long long)o->packets);
        o->flows = o->packets;
    }
    return -1;
}

static int parse_args(int argc, char **argv, gen_opts *o)
{
    int ch, rc;
    o->seed = 1;
    o->background = 200;
    o->start = DEFAULT_START;
    o->ipv6_share = 0.25;
    while ((ch = getopt_long(argc, argv, "I:w:qhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'I': rc = add_file(o, optarg); break;
        case 'w': o->out = optarg; rc = 0; break;
        case OPT_MANIFEST: o->manifest = optarg; rc = 0; break;
        case OPT_BENCH: o->bench = true; rc = 0; break;
        case OPT_LIST: o->list_profiles = true; rc = 0; break;
        case 'q': o->quiet = true; rc = 0; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf(PROG " %s\n", PICKET_VERSION); return 0;
        case '?': fprintf(stderr, "see " PROG " --help\n"); return PK_CLI_EXIT_USAGE;
        default: rc = parse_value(o, ch, optarg); break;
        }
        if (rc)
            return rc;
    }
    for (int i = optind; i < argc; i++)
        if ((rc = add_file(o, argv[i])) != 0)
            return rc;
    return check_opts(o);
}

static int list_profiles(void)
{
    gen_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return 1;
    gen_ctx_shapes(c);
    printf("# picket-gen built-in TLS client profiles (tab-separated)\n"
           "# profile\tsni\tja3\tja4\tja3_string\n");
    for (size_t i = 0; i < c->nshapes; i++) {
        const gen_shape *s = &c->shapes[i];
        printf("%s\t%s\t%s\t%s\t%s\n", s->p->name, s->sni ? "yes" : "no",
               s->fp.ja3, s->fp.ja4, s->fp.ja3_str);
    }
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    gen_opts opt;
    memset(&opt, 0, sizeof opt);
    int rc = parse_args(argc, argv, &opt);
    if (rc >= 0)
        return rc;
    if (opt.list_profiles)
        return list_profiles();
    return gen_run(&opt);
}
