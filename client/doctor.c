/*
 * doctor.c - "cabundle doctor": which CA bundle each Python really uses
 * and why (here), and, for a host, the chain it sends and the cause of
 * a failure in plain words (doctor_tls.c).  Read-only: it changes
 * nothing on the machine.
 */
#include <getopt.h>
#include <unistd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "doctor.h"
#include "exitcode.h"
#include "extern.h"
#include "log.h"
#include "opts.h"

#define PY_OUT_MAX	(64u << 10)	/* read from an interpreter */
#define MAX_PYTHONS	16

/*
 * Run as the user's programs run (python.c: their PYTHONPATH and user
 * site-packages count, the current directory does not).  Paths pass
 * through fsencode/backslashreplace: JSON wants UTF-8.
 */
static const char pyscript[] = PY_NOCWD
    "import json, os, ssl\n"
    "def s(v):\n"
    "    return v if v is None else "
    "os.fsencode(v).decode('utf-8', 'backslashreplace')\n"
    "r = {'executable': s(sys.executable), 'version': sys.version.split()[0],"
    " 'openssl': ssl.OPENSSL_VERSION, 'certifi': None, 'certifi_dir': None,"
    " 'certifi_error': None, 'requests': None}\n"
    "try:\n"
    "    import certifi\n"
    "    r['certifi'] = s(certifi.where())\n"
    "    r['certifi_dir'] = s(os.path.dirname(certifi.__file__))\n"
    "    r['certifi_outside_package'] = not os.path.realpath(r['certifi'])"
    ".startswith(os.path.realpath(r['certifi_dir']) + os.sep)\n"
    "except Exception as e:\n"
    "    r['certifi_error'] = '%s: %s' % (type(e).__name__, e)\n"
    "try:\n"
    "    import requests\n"
    "    r['requests'] = str(requests.__version__)\n"
    "except Exception:\n"
    "    pass\n"
    "p = ssl.get_default_verify_paths()\n"
    "r['verify_paths'] = {k: s(getattr(p, k)) for k in ('cafile', 'capath',"
    " 'openssl_cafile_env', 'openssl_cafile', 'openssl_capath_env',"
    " 'openssl_capath')}\n"
    "r['env'] = {k: s(os.environ.get(k)) for k in ('SSL_CERT_FILE',"
    " 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')}\n"
    /* .pth files with an import line run code at every start-up. */
    "import site\n"
    "dirs = []\n"
    "for f in (site.getsitepackages, site.getusersitepackages):\n"
    "    try:\n"
    "        v = f()\n"
    "        dirs += [v] if isinstance(v, str) else list(v)\n"
    "    except Exception:\n"
    "        pass\n"
    "r['pth_code'] = []\n"
    "for d in dirs:\n"
    "    try:\n"
    "        names = sorted(os.listdir(d))\n"
    "    except OSError:\n"
    "        continue\n"
    "    for n in names:\n"
    "        f = os.path.join(d, n)\n"
    "        try:\n"
    "            t = open(f, 'rb').read(65536) if n.endswith('.pth') "
    "else b''\n"
    "        except OSError:\n"
    "            continue\n"
    "        if any(l.startswith((b'import ', b'import\\t'))"
    " for l in t.splitlines()):\n"
    "            r['pth_code'].append({'path': s(f),"
    " 'certifi': b'certifi' in t})\n"
    "sys.stdout.write(json.dumps(r))\n";

const char *
jget(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

const char *
nz(const char *s)
{
	return s != NULL ? s : "(none)";
}

const char *
bstr(const struct buf *b)
{
	return b->data != NULL ? (const char *)b->data : "";
}

/* A JSON string (or null) for text that may not be UTF-8. */
json_t *
jstr(const char *s)
{
	json_t	*j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) == NULL)
		j = json_string("(not UTF-8)");
	return j;
}

/* Append len bytes: printable ASCII as is, anything else as \xNN. */
void
buf_putsafe(struct buf *b, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f)
			buf_append(b, &s[i], 1);
		else
			buf_printf(b, "\\x%02x", s[i]);
}

/* One line on stdout, control characters escaped: the text is hostile. */
void
doctor_say(const char *fmt, ...)
{
	va_list		 ap;
	unsigned char	 s[8192], *p;

	va_start(ap, fmt);
	vsnprintf((char *)s, sizeof(s), fmt, ap);
	va_end(ap);
	for (p = s; *p != '\0'; p++)
		if (*p >= 0x20 && *p != 0x7f)
			putchar(*p);
		else
			printf("\\x%02x", *p);
	putchar('\n');
}


/* What a Python loads: path, why, what is there, how many certificates. */
static json_t *
cafile_json(const char *path, const char *source, const char *because)
{
	struct stat	 st;
	const char	*kind = "missing";
	long		 n = -1;

	if (path == NULL)
		return json_null();
	if (stat(path, &st) == 0)
		kind = S_ISDIR(st.st_mode) ? "directory" :
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    (n = bundle_load(path, NULL)) < 0 ? "unreadable" : "file";
	return json_pack("{s:o, s:s, s:s, s:b, s:s, s:o}", "path", jstr(path),
	    "source", source, "because", because,
	    "exists", strcmp(kind, "missing") != 0, "kind", kind,
	    "certificates", n >= 0 ? json_integer(n) : json_null());
}

/*
 * Ask python with pyscript and parse what it prints.  Returns a JSON
 * object the caller frees with json_decref(), or NULL with why set: it
 * did not start, printed more than PY_OUT_MAX bytes, failed, or printed
 * no JSON object.
 */
static json_t *
py_run(const char *python, char *why, size_t whysz)
{
	struct buf	 out;
	json_error_t	 jerr;
	json_t		*obj = NULL;

	buf_init(&out, PY_OUT_MAX);
	if (!python_run(python, pyscript, NULL, &out, why, whysz))
		goto out;
	if ((obj = json_loadb((const char *)out.data, out.len, 0, &jerr)) ==
	    NULL || !json_is_object(obj)) {
		snprintf(why, whysz, "printed no JSON object");
		json_decref(obj);
		obj = NULL;
	}
 out:
	buf_free(&out);
	return obj;
}

/*
 * Ask one interpreter, then decide what requests and ssl load.  Returns
 * a JSON object the caller frees; when the interpreter cannot be asked
 * it holds only "python" and "error".  NULL only when out of memory.
 */
static json_t *
py_report(const char *python)
{
	json_t		*r, *env, *vp, *f, *d, *w;
	const char	*p, *src, *because;
	char		 why[256], msg[2048];
	size_t		 i;

	if ((r = py_run(python, why, sizeof(why))) == NULL) {
		warnx("%s: %s", python, why);
		return json_pack("{s:o, s:s}", "python", jstr(python),
		    "error", why);
	}
	json_object_set_new(r, "python", jstr(python));
	env = json_object_get(r, "env");
	vp = json_object_get(r, "verify_paths");

	/*
	 * requests' Session.merge_environment_settings(), trust_env on:
	 * REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE (empty counts as unset),
	 * else DEFAULT_CA_BUNDLE_PATH, which is certifi.where().
	 */
	if ((p = jget(env, "REQUESTS_CA_BUNDLE")) != NULL && *p != '\0') {
		src = "REQUESTS_CA_BUNDLE";
		because = "REQUESTS_CA_BUNDLE is set";
	} else if ((p = jget(env, "CURL_CA_BUNDLE")) != NULL && *p != '\0') {
		src = "CURL_CA_BUNDLE";
		because = "CURL_CA_BUNDLE is set and REQUESTS_CA_BUNDLE is not";
	} else {
		p = jget(r, "certifi");
		src = "certifi";
		because = "neither REQUESTS_CA_BUNDLE nor CURL_CA_BUNDLE is "
		    "set, so certifi.where()";
	}
	json_object_set_new(r, "requests_uses", cafile_json(p, src, because));

	/* ssl: OpenSSL's lookups use the variables whenever they are set. */
	if ((p = jget(env, "SSL_CERT_FILE")) != NULL)
		f = cafile_json(p, "SSL_CERT_FILE", "SSL_CERT_FILE is set");
	else
		f = cafile_json(jget(vp, "openssl_cafile"), "openssl",
		    "SSL_CERT_FILE is not set: OpenSSL's default file");
	if ((p = jget(env, "SSL_CERT_DIR")) != NULL)
		d = cafile_json(p, "SSL_CERT_DIR", "SSL_CERT_DIR is set");
	else
		d = cafile_json(jget(vp, "openssl_capath"), "openssl",
		    "SSL_CERT_DIR is not set: OpenSSL's default directory");
	json_object_set_new(r, "ssl_uses",
	    json_pack("{s:o, s:o}", "cafile", f, "capath", d));

	w = json_array();
	if (json_is_true(json_object_get(r, "certifi_outside_package"))) {
		snprintf(msg, sizeof(msg), "certifi.where() is %s, outside "
		    "the certifi package (%s): this certifi is patched to use "
		    "the system bundle (as Debian's python3-certifi is), so "
		    "updating certifi or its cacert.pem changes nothing; "
		    "update the system bundle instead", nz(jget(r, "certifi")),
		    nz(jget(r, "certifi_dir")));
		json_array_append_new(w, jstr(msg));
	} else
		json_object_set_new(r, "certifi_outside_package",
		    json_false());
	json_array_foreach(json_object_get(r, "pth_code"), i, f)
		if (json_is_true(json_object_get(f, "certifi"))) {
			snprintf(msg, sizeof(msg), "%s runs code whenever this "
			    "Python starts, and that code names certifi: it can "
			    "add to or replace the CAs certifi gives requests, "
			    "whatever cabundle installed; read it, and remove it "
			    "if nobody here put it there",
			    nz(jget(f, "path")));
			json_array_append_new(w, jstr(msg));
		}
	json_object_set_new(r, "warnings", w);
	return r;
}

/*
 * The ownership rule's verdict on a target (SECURITY.md, "Local
 * attackers"), kind "file", "capath", "nssdb", "java" or "python".
 * Returns a JSON
 * object the caller frees; NULL when out of memory.
 */
static json_t *
place_report(const char *kind, const char *path)
{
	int	 ok;

	safepath_quiet(1);
	ok = target_place_ok(kind, path);
	safepath_quiet(0);
	return json_pack("{s:s, s:o, s:b, s:o}", "kind", kind, "path",
	    jstr(path), "ok", ok, "why", ok ? json_null() :
	    jstr(safepath_why()));
}

static void
render_places(const json_t *places)
{
	const json_t	*p;
	size_t		 i;

	if (json_array_size(places) == 0)
		return;
	doctor_say("targets, by the ownership rule (SECURITY.md, \"Local "
	    "attackers\"): %s", geteuid() == 0 ? "as root, cabundle writes "
	    "and runs only what no other user can change: every directory "
	    "from / down must be root's and writable by nobody else (a "
	    "root-owned sticky directory such as /tmp counts), the file "
	    "itself too, and a symbolic link, a file other names share or "
	    "a backup it did not make is refused" : "cabundle writes only "
	    "where every directory from / down is yours or root's and "
	    "writable by nobody else");
	json_array_foreach(places, i, p) {
		if (json_is_true(json_object_get(p, "ok")))
			doctor_say("  %s (%s): ok", nz(jget(p, "path")),
			    nz(jget(p, "kind")));
		else
			doctor_say("  %s (%s): REFUSED: %s", nz(jget(p, "path")),
			    nz(jget(p, "kind")), nz(jget(p, "why")));
	}
}

static void
render_cafile(const char *what, const json_t *c)
{
	const char	*kind = nz(jget(c, "kind"));

	if (!json_is_object(c)) {
		doctor_say("  %s: nothing (no path known)", what);
		return;
	}
	if (strcmp(kind, "file") == 0)
		doctor_say("  %s: %s because %s (%lld certificates)", what,
		    nz(jget(c, "path")), nz(jget(c, "because")), (long long)
		    json_integer_value(json_object_get(c, "certificates")));
	else
		doctor_say("  %s: %s because %s (%s%s)", what, nz(jget(c, "path")),
		    nz(jget(c, "because")), kind, strcmp(kind, "directory") ?
		    ": it will fail" : "");
}

static void
render_python(json_t *py)
{
	json_t		*v;
	const char	*k, *s;
	size_t		 i;

	if ((s = jget(py, "error")) != NULL) {
		doctor_say("%s: %s", nz(jget(py, "python")), s);
		return;
	}
	doctor_say("%s: %s, Python %s, %s", nz(jget(py, "python")),
	    nz(jget(py, "executable")), nz(jget(py, "version")),
	    nz(jget(py, "openssl")));
	if ((s = jget(py, "certifi")) != NULL)
		doctor_say("  certifi.where(): %s (package in %s)", s,
		    nz(jget(py, "certifi_dir")));
	else
		doctor_say("  certifi cannot be imported: %s",
		    nz(jget(py, "certifi_error")));
	json_array_foreach(json_object_get(py, "warnings"), i, v)
		doctor_say("  warning: %s", nz(json_string_value(v)));
	if ((s = jget(py, "requests")) != NULL)
		doctor_say("  requests %s is installed", s);
	else
		doctor_say("  requests is not installed; if it were:");
	render_cafile("requests uses", json_object_get(py, "requests_uses"));
	v = json_object_get(py, "ssl_uses");
	render_cafile("ssl.create_default_context uses",
	    json_object_get(v, "cafile"));
	render_cafile("ssl.create_default_context also uses",
	    json_object_get(v, "capath"));
	json_object_foreach(json_object_get(py, "env"), k, v)
		if (json_is_string(v))
			doctor_say("  environment: %s=%s", k, json_string_value(v));
}

/*
 * The dated roots of every release the state at path records
 * (doc/SPEC.md 12), for host_check: a new array, or NULL (after a
 * warning) when the state cannot be read; doctor goes on without.
 */
static json_t *
dated_load(const char *path)
{
	json_t		*st, *a, *c, *r;
	size_t		 i, j;

	if ((st = state_load(path)) == NULL)
		return NULL;
	if ((a = json_array()) != NULL)
		json_array_foreach(json_object_get(st, "constraints"), i, c)
			json_array_foreach(json_object_get(c, "roots"), j, r)
				json_array_append(a, r);
	json_decref(st);
	return a;
}

/*
 * "cabundle doctor [--python PATH]... [--json] [--bundle FILE]
 * [--state FILE] [HOST[:PORT]]".  With no host, exits 0, or 4 when an
 * interpreter could not be asked.  With a host: 0 when it verifies (a
 * root's distrust-after date is a warning, not a failure), 1 with the
 * cause when not, 3 when unreachable, 4 when the bundle cannot be read
 * or no bundle is known.  2 for usage.
 */
int
cmd_doctor(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "python", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*pythons[MAX_PYTHONS], *bundle = NULL, *config = NULL;
	const char	*state = NULL;
	char		 host[256], port[8], why[1100];
	json_t		*report, *pys, *py, *h = json_null(), *places, *pl;
	json_t		*dated = NULL;
	struct copts	 o;
	long long	 portn = 443;
	size_t		 np = 0, i;
	int		 ch, json = 0, rc = EXIT_DONE;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			bundle = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			state = optarg;
			break;
		case 'p':
			if (np == MAX_PYTHONS) {
				warnx("at most %d --python", MAX_PYTHONS);
				return EXIT_USAGE;
			}
			pythons[np++] = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		warnx("doctor: %s: one HOST[:PORT] at most", argv[1]);
		goto usage;
	}
	if (argc == 1 && !host_split(argv[0], host, sizeof(host), &portn)) {
		warnx("%s: not HOST[:PORT] or [ADDRESS]:PORT", argv[0]);
		return EXIT_USAGE;
	}
	snprintf(port, sizeof(port), "%lld", portn);
	memset(&o, 0, sizeof(o));
	if (!opts_load(&o, config) || (state != NULL &&
	    !opts_cli(&o, "state", state))) {
		opts_free(&o);
		return EXIT_LOCAL;
	}
	for (i = 0; i < o.npy && np < MAX_PYTHONS; i++)
		pythons[np++] = o.pythons[i];
	if (np == 0)
		pythons[np++] = "python3";

	if ((report = json_object()) == NULL ||
	    json_object_set_new(report, "pythons", pys = json_array()) == -1 ||
	    json_object_set_new(report, "targets", places = json_array()) ==
	    -1)
		errx(EXIT_LOCAL, "out of memory");
	for (i = 0; i < o.nout + o.ncap + o.nnss; i++) {
		if (i < o.nout)
			pl = place_report("file", o.outputs[i]);
		else if (i < o.nout + o.ncap)
			pl = place_report("capath", o.capaths[i - o.nout]);
		else
			pl = place_report("nssdb", o.nssdbs[i - o.nout -
			    o.ncap]);
		if (pl == NULL || json_array_append_new(places, pl) == -1)
			errx(EXIT_LOCAL, "out of memory");
		if (!json_is_true(json_object_get(pl, "ok")))
			rc = EXIT_LOCAL;
	}
	for (i = 0; i < o.njava; i++) {
		if ((pl = place_report("java", o.javas[i])) == NULL ||
		    json_array_append_new(places, pl) == -1)
			errx(EXIT_LOCAL, "out of memory");
		if (!json_is_true(json_object_get(pl, "ok")))
			rc = EXIT_LOCAL;
	}
	for (i = 0; i < np; i++) {
		/* Nobody else's code runs as root, not even to ask it. */
		if ((pl = place_report("python", pythons[i])) == NULL ||
		    json_array_append_new(places, pl) == -1)
			errx(EXIT_LOCAL, "out of memory");
		if (json_is_true(json_object_get(pl, "ok")))
			py = py_report(pythons[i]);
		else {
			snprintf(why, sizeof(why), "not run: %s",
			    nz(jget(pl, "why")));
			warnx("%s: %s", pythons[i], why);
			py = json_pack("{s:o, s:s}", "python", jstr(pythons[i]),
			    "error", why);
		}
		if (py == NULL)
			errx(EXIT_LOCAL, "out of memory");
		if (json_object_get(py, "error") != NULL)
			rc = EXIT_LOCAL;
		json_array_append_new(pys, py);
	}
	if (argc == 1) {
		/* By default, what the first interpreter's requests uses. */
		if (bundle == NULL)
			bundle = jget(json_object_get(json_array_get(pys, 0),
			    "requests_uses"), "path");
		h = json_pack("{s:s, s:I, s:o}", "host", host, "port",
		    (json_int_t)portn, "bundle", jstr(bundle));
		if (bundle == NULL) {
			warnx("no bundle to check %s with: give --bundle FILE",
			    host);
			rc = EXIT_LOCAL;
		} else {
			/* A peer that closes early must not kill us. */
			signal(SIGPIPE, SIG_IGN);
			/* No state known (no home): no dates, no failure. */
			if (opts_state(&o))
				dated = dated_load(o.state);
			rc = host_check(host, port, bundle, dated, h);
			json_decref(dated);
		}
	}
	json_object_set_new(report, "host", h);
	if (json) {
		json_dumpf(report, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_array_foreach(pys, i, py)
			render_python(py);
		render_places(places);
		if (json_object_get(h, "reachable") != NULL)
			render_host(h);
	}
	json_decref(report);
	opts_free(&o);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundle doctor [--config FILE] "
	    "[--python PATH]... [--json] [--bundle FILE] [--state FILE] "
	    "[HOST[:PORT]]\n");
	return EXIT_USAGE;
}
