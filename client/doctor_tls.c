/*
 * doctor_tls.c - "cabundle doctor HOST": connect with a bundle, show the
 * chain the server sent, and name the cause of a failure in plain
 * words: missing intermediate (with the AIA URL), unknown root,
 * expired, not yet valid, name mismatch, self-signed; and whether the
 * root has a distrust-after date (doc/SPEC.md 12) the leaf is past.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "doctor.h"
#include "exitcode.h"
#include "extern.h"
#include "encode.h"
#include "log.h"
#include "num.h"
#include "timefmt.h"

#define BUNDLE_FILE_MAX	(8u << 20)
#define CONNECT_MS	10000

enum cause {
	CAUSE_OK, CAUSE_SELF_SIGNED, CAUSE_UNKNOWN_ROOT,
	CAUSE_MISSING_INTERMEDIATE, CAUSE_EXPIRED, CAUSE_NOT_YET_VALID,
	CAUSE_NAME_MISMATCH, CAUSE_OTHER, CAUSE__MAX
};
static const char *const causes[CAUSE__MAX] = {
	"ok", "self-signed", "unknown-root", "missing-intermediate",
	"expired", "not-yet-valid", "name-mismatch", "other"
};

/*
 * Read the PEM bundle at path (at most BUNDLE_FILE_MAX bytes) and count
 * its certificates, adding each to store unless store is NULL.  Returns
 * the count, or -1 after a warning when the file cannot be read.
 */
long
bundle_load(const char *path, X509_STORE *store)
{
	struct buf	 b;
	BIO		*bio = NULL;
	X509		*x;
	long		 n = -1;

	buf_init(&b, BUNDLE_FILE_MAX);
	if (!buf_readfile(&b, path))
		goto out;
	if ((bio = BIO_new_mem_buf(b.data, (int)b.len)) == NULL) {
		cryptowarnx("%s", path);
		goto out;
	}
	/*
	 * Up to the end or the first block that does not parse.  The
	 * password "" (not NULL): an "encrypted" block must never prompt.
	 */
	for (n = 0; (x = PEM_read_bio_X509(bio, NULL, NULL, "")) != NULL;
	    n++) {
		if (store != NULL && !X509_STORE_add_cert(store, x))
			n = -1;
		X509_free(x);
		if (n == -1) {
			cryptowarnx("%s: X509_STORE_add_cert", path);
			goto out;
		}
	}
	ERR_clear_error();
 out:
	BIO_free(bio);
	buf_free(&b);
	return n;
}

/* The name as RFC 2253 text (non-ASCII escaped), appended to b. */
static void
name_put(struct buf *b, const X509_NAME *name)
{
	BIO	*bio;
	char	*p;
	long	 len;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(bio, &p)) > 0)
		buf_putsafe(b, p, (size_t)len);
	BIO_free(bio);
}

static json_t *
name_json(const X509_NAME *name)
{
	struct buf	 b;
	json_t		*j;

	buf_init(&b, TEXT_MAX);
	name_put(&b, name);
	j = jstr(bstr(&b));
	buf_free(&b);
	return j;
}

/* t as "2021-01-01T00:00:00Z" in s (32 bytes); returns s. */
static const char *
time_str(const ASN1_TIME *t, char *s)
{
	struct tm	 tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(s, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(s, 32, "(unreadable time)");
	return s;
}

/* The DNS and IP subjectAltNames of x, escaped, appended to b. */
static void
san_put(struct buf *b, X509 *x)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	const unsigned char	*d;
	char			 ip[INET6_ADDRSTRLEN];
	int			 i, len, shown = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS && g->type != GEN_IPADD)
			continue;
		buf_printf(b, "%s", shown++ ? ", " : "");
		d = ASN1_STRING_get0_data(g->d.ia5);
		len = ASN1_STRING_length(g->d.ia5);
		if (g->type == GEN_DNS)
			buf_putsafe(b, d, (size_t)len);
		else if ((len == 4 || len == 16) && inet_ntop(len == 4 ?
		    AF_INET : AF_INET6, d, ip, sizeof(ip)) != NULL)
			buf_printf(b, "%s", ip);
	}
	if (shown == 0)
		buf_printf(b, "no DNS name or IP address (subjectAltName)");
	GENERAL_NAMES_free(gens);
}

/* The first caIssuers URI in x's authorityInfoAccess, escaped, into b. */
static void
aia_put(struct buf *b, X509 *x)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	int			 i;

	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers &&
		    ad->location->type == GEN_URI) {
			buf_putsafe(b, ASN1_STRING_get0_data(ad->location->d.
			    uniformResourceIdentifier), (size_t)
			    ASN1_STRING_length(ad->location->d.
			    uniformResourceIdentifier));
			break;
		}
	}
	AUTHORITY_INFO_ACCESS_free(aia);
}

static json_t *
chain_json(STACK_OF(X509) *chain)
{
	json_t	*a = json_array();
	X509	*x;
	char	 t[32];
	int	 k;

	for (k = 0; k < sk_X509_num(chain); k++) {
		x = sk_X509_value(chain, k);
		json_array_append_new(a, json_pack("{s:i, s:o, s:o, s:s, s:b}",
		    "depth", k, "subject", name_json(X509_get_subject_name(x)),
		    "issuer", name_json(X509_get_issuer_name(x)),
		    "not_after", time_str(X509_get0_notAfter(x), t),
		    "self_signed", X509_self_signed(x, 1) == 1));
	}
	ERR_clear_error();
	return a;
}

/*
 * Verify the chain the server sent against store as a TLS client does
 * (purpose sslserver), then the name.  Returns the cause; msg gets it in
 * plain words, aia a caIssuers URL for a missing intermediate, *root
 * the root of a chain that verified (X509_free it), else NULL.
 */
static enum cause
chain_verify(X509_STORE *store, STACK_OF(X509) *sent, const char *host,
    const char *bundle, struct buf *msg, struct buf *aia, const char **oerr,
    X509 **root)
{
	X509_STORE_CTX	*vctx;
	STACK_OF(X509)	*built = NULL;
	X509		*leaf = sk_X509_value(sent, 0), *cur = NULL;
	struct buf	 subj, iss;
	unsigned char	 ip[16];
	char		 t[32];
	enum cause	 c = CAUSE_OTHER;
	int		 ok, err, m;

	buf_init(&subj, TEXT_MAX);
	buf_init(&iss, TEXT_MAX);
	if ((vctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(vctx, store, leaf, sent) ||
	    !X509_STORE_CTX_set_default(vctx, "ssl_server")) {
		buf_printf(msg, "cannot set up verification");
		goto out;
	}
	/* cur: the root when it verifies, else where it stopped. */
	if ((ok = X509_verify_cert(vctx) == 1)) {
		built = X509_STORE_CTX_get0_chain(vctx);
		cur = sk_X509_value(built, sk_X509_num(built) - 1);
		if (X509_up_ref(cur))
			*root = cur;
	} else if ((cur = X509_STORE_CTX_get_current_cert(vctx)) == NULL)
		cur = leaf;
	name_put(&subj, X509_get_subject_name(cur));
	name_put(&iss, X509_get_issuer_name(cur));
	if (ok) {
		/* RFC 6125 6.4.4: subjectAltName only, as browsers do. */
		if (inet_pton(AF_INET, host, ip) == 1 ||
		    inet_pton(AF_INET6, host, ip) == 1)
			m = X509_check_ip_asc(leaf, host, 0);
		else
			m = X509_check_host(leaf, host, 0,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
			    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL);
		if ((c = m == 1 ? CAUSE_OK : CAUSE_NAME_MISMATCH) == CAUSE_OK)
			buf_printf(msg, "verified with %s: %d certificates in "
			    "the chain, root %s", bundle, sk_X509_num(built),
			    bstr(&subj));
		else {
			buf_printf(msg, "name mismatch: the certificate is for ");
			san_put(msg, leaf);
			buf_printf(msg, " not %s", host);
		}
		goto out;
	}
	err = X509_STORE_CTX_get_error(vctx);
	*oerr = X509_verify_cert_error_string(err);
	switch (err) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		c = CAUSE_SELF_SIGNED;
		buf_printf(msg, "the server's certificate is self-signed (%s): "
		    "%s does not vouch for it", bstr(&subj), bundle);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		c = CAUSE_UNKNOWN_ROOT;
		buf_printf(msg, "unknown root: the server's chain ends in %s, "
		    "which is not in %s", bstr(&subj), bundle);
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		c = CAUSE_EXPIRED;
		buf_printf(msg, "expired: %s expired on %s", bstr(&subj),
		    time_str(X509_get0_notAfter(cur), t));
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		c = CAUSE_NOT_YET_VALID;
		buf_printf(msg, "not yet valid: %s is valid only from %s",
		    bstr(&subj), time_str(X509_get0_notBefore(cur), t));
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		/*
		 * cur is the top of what could be built.  A CA there: the
		 * intermediates came and their root is not in the bundle.
		 * A leaf there: the intermediate did not come (or the leaf
		 * was issued by an unknown root itself: no one can tell).
		 */
		if (X509_check_ca(cur) != 0) {
			c = CAUSE_UNKNOWN_ROOT;
			buf_printf(msg, "unknown root: %s, the issuer of %s, is "
			    "not in %s", bstr(&iss), bstr(&subj), bundle);
			break;
		}
		c = CAUSE_MISSING_INTERMEDIATE;
		buf_printf(msg, "missing intermediate: the server did not send "
		    "the certificate that issued %s (%s), and %s does not "
		    "hold it", bstr(&subj), bstr(&iss), bundle);
		aia_put(aia, cur);
		break;
	default:
		buf_printf(msg, "the chain does not verify at depth %d (%s): %s",
		    X509_STORE_CTX_get_error_depth(vctx), bstr(&subj), *oerr);
		break;
	}
 out:
	X509_STORE_CTX_free(vctx);
	buf_free(&subj);
	buf_free(&iss);
	ERR_clear_error();
	return c;
}

/*
 * doc/SPEC.md 12 for a chain that verified: when root is one of dated
 * (the installed releases' dated roots, from the state), whether leaf
 * was issued (notBefore) after its distrust-after date, as NSS judges
 * it.  Returns a new object with the date and the verdict in words,
 * json_null() when the root has no date, NULL when out of memory.
 */
static json_t *
distrust_check(X509 *root, X509 *leaf, const json_t *dated)
{
	const json_t	*r = NULL, *su;
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	char		 hex[65], nb[32], na[32], after[TIMEFMT_LEN];
	char		 until[TIMEFMT_LEN], msg[1024];
	size_t		 i;
	int		 past;

	if (dated == NULL || !X509_digest(root, EVP_sha256(), md, &mdlen) ||
	    mdlen != sizeof(md))
		return json_null();
	hex_encode(md, sizeof(md), hex);
	json_array_foreach(dated, i, r)
		if (strcmp(jget(r, "sha256"), hex) == 0)
			break;
	if (i == json_array_size(dated))
		return json_null();
	timefmt_date(json_integer_value(json_object_get(r,
	    "server_distrust_after")), after);
	su = json_object_get(r, "served_until");
	timefmt_date(json_integer_value(su), until);
	time_str(X509_get0_notBefore(leaf), nb);
	time_str(X509_get0_notAfter(leaf), na);
	/* NSS: distrusted when notBefore is later than the date. */
	past = ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf),
	    (time_t)json_integer_value(json_object_get(r,
	    "server_distrust_after"))) > 0;
	if (past)
		snprintf(msg, sizeof(msg), "the leaf was issued %.10s, after "
		    "Mozilla's distrust-after date %s for this root (%s): "
		    "browsers and NSS refuse it; this bundle (a flat PEM) "
		    "still accepts it", nb, after, jget(r, "label"));
	else
		snprintf(msg, sizeof(msg), "the leaf was issued %.10s, before "
		    "Mozilla's distrust-after date %s for this root (%s): "
		    "accepted until it expires on %.10s%s%s", nb, after,
		    jget(r, "label"), na, json_is_integer(su) ?
		    "; the mirror serves this root until " : "",
		    json_is_integer(su) ? until : "");
	return json_pack("{s:s, s:o, s:s, s:o, s:s, s:b, s:s}", "root_sha256",
	    hex, "label", jstr(jget(r, "label")), "server_distrust_after",
	    after, "served_until", json_is_integer(su) ? json_string(until) :
	    json_null(), "leaf_not_before", nb, "issued_after", past,
	    "message", msg);
}

/* A connected TCP socket with 10 s timeouts, or -1 with why set. */
static int
tcp_connect(const char *host, const char *port, struct buf *why)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct timeval	 tv = { CONNECT_MS / 1000, 0 };
	int		 fd = -1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		buf_printf(why, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1)
			continue;
		/* Linux bounds connect(2) by SO_SNDTIMEO too (EINPROGRESS). */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))
		    != -1 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) != -1 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) != -1)
			break;
		e = errno == EINPROGRESS ? ETIMEDOUT : errno;
		buf_reset(why);
		buf_printf(why, "cannot connect to %s port %s: %s", host, port,
		    strerror(e));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * Check host port against the bundle and fill h: chain, verdict, cause,
 * and "distrust" when the root is one of dated (NULL: none known).
 * Returns EXIT_DONE when it verifies, EXIT_REFUSED with a cause when it
 * does not, EXIT_UNREACHABLE when no handshake completes and EXIT_LOCAL
 * when the bundle cannot be read or holds no certificate.
 */
int
host_check(const char *host, const char *port, const char *bundle,
    const json_t *dated, json_t *h)
{
	struct stat	 st;
	struct buf	 msg, aia, bname;
	X509_STORE	*store = NULL;
	SSL_CTX		*sctx = NULL;
	SSL		*ssl = NULL;
	STACK_OF(X509)	*sent = NULL;
	X509		*root = NULL;
	json_t		*dist = json_null();
	unsigned char	 ip[16];
	const char	*oerr = NULL, *r;
	long		 n = -1;
	int		 fd = -1, rc = EXIT_LOCAL, reached = -1, cause = -1;

	buf_init(&msg, TEXT_MAX);
	buf_init(&aia, TEXT_MAX);
	buf_init(&bname, TEXT_MAX);
	buf_putsafe(&bname, bundle, strlen(bundle));
	if ((store = X509_STORE_new()) == NULL)
		goto out;
	if (stat(bundle, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!X509_STORE_load_path(store, bundle)) {
			buf_printf(&msg, "%s: cannot be read", bstr(&bname));
			goto out;
		}
	} else if ((n = bundle_load(bundle, store)) <= 0) {
		buf_printf(&msg, "%s: %s", bstr(&bname), n == 0 ?
		    "holds no certificate" : "cannot be read");
		goto out;
	}
	rc = EXIT_UNREACHABLE;
	reached = 0;
	if ((fd = tcp_connect(host, port, &msg)) == -1)
		goto out;
	if ((sctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (ssl = SSL_new(sctx)) == NULL || !SSL_set_fd(ssl, fd)) {
		buf_printf(&msg, "cannot set up TLS");
		goto out;
	}
	/* No verification in the handshake: we want the chain, always. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	/* RFC 6066 3: IP literals are not sent as server_name. */
	if (inet_pton(AF_INET, host, ip) != 1 &&
	    inet_pton(AF_INET6, host, ip) != 1)
		SSL_set_tlsext_host_name(ssl, host);
	errno = 0;
	if (SSL_connect(ssl) != 1) {
		r = ERR_reason_error_string(ERR_get_error());
		buf_printf(&msg, "TLS handshake with %s port %s failed: %s",
		    host, port, r != NULL ? r : errno == EAGAIN ? "timed out" :
		    errno != 0 ? strerror(errno) : "connection closed");
		goto out;
	}
	reached = 1;
	rc = EXIT_REFUSED;
	cause = CAUSE_OTHER;
	if ((sent = SSL_get_peer_cert_chain(ssl)) == NULL ||
	    sk_X509_num(sent) == 0)
		buf_printf(&msg, "the server sent no certificate");
	else if ((cause = chain_verify(store, sent, host, bstr(&bname), &msg,
	    &aia, &oerr, &root)) == CAUSE_OK)
		rc = EXIT_DONE;
	if (root != NULL)
		dist = distrust_check(root, sk_X509_value(sent, 0), dated);
 out:
	json_object_update_new(h, json_pack("{s:o, s:o, s:o, s:b, s:o, s:o, "
	    "s:o, s:o}",
	    "bundle_certificates", n >= 0 ? json_integer(n) : json_null(),
	    "reachable", reached >= 0 ? json_boolean(reached) : json_null(),
	    "chain", sent != NULL ? chain_json(sent) : json_array(),
	    "verified", cause == CAUSE_OK,
	    "cause", cause >= 0 ? json_string(causes[cause]) : json_null(),
	    "message", jstr(bstr(&msg)),
	    "aia", aia.len > 0 ? jstr(bstr(&aia)) : json_null(),
	    "openssl_error", jstr(oerr)));
	json_object_set_new(h, "distrust", dist);
	if (rc == EXIT_LOCAL || rc == EXIT_UNREACHABLE)
		warnx("%s", bstr(&msg));
	X509_free(root);
	SSL_free(ssl);
	SSL_CTX_free(sctx);
	if (fd != -1)
		close(fd);
	X509_STORE_free(store);
	ERR_clear_error();
	buf_free(&msg);
	buf_free(&aia);
	buf_free(&bname);
	return rc;
}

void
render_host(json_t *h)
{
	json_t		*c;
	const char	*s;
	size_t		 i;

	doctor_say("host %s port %lld, bundle %s", nz(jget(h, "host")),
	    (long long)json_integer_value(json_object_get(h, "port")),
	    nz(jget(h, "bundle")));
	if (!json_is_true(json_object_get(h, "reachable")))
		return;		/* host_check() warned */
	doctor_say("chain sent by the server:");
	json_array_foreach(json_object_get(h, "chain"), i, c) {
		doctor_say("  %zu %s", i, nz(jget(c, "subject")));
		doctor_say("      issuer %s, expires %s%s", nz(jget(c, "issuer")),
		    nz(jget(c, "not_after")),
		    json_is_true(json_object_get(c, "self_signed")) ?
		    ", self-signed" : "");
	}
	doctor_say("verdict: %s", nz(jget(h, "message")));
	c = json_object_get(h, "distrust");
	if (json_is_object(c))
		doctor_say("  %s: %s", json_is_true(json_object_get(c,
		    "issued_after")) ? "WARNING: distrusted by Mozilla" :
		    "note: a root Mozilla distrusts for later certificates",
		    nz(jget(c, "message")));
	if ((s = jget(h, "aia")) != NULL)
		doctor_say("  its issuer can be downloaded from %s", s);
	if ((s = jget(h, "openssl_error")) != NULL)
		doctor_say("  (OpenSSL: %s)", s);
}

/* Split HOST[:PORT] or [ADDRESS][:PORT]; 0 when it is neither. */
int
host_split(const char *arg, char *host, size_t hostsz, long long *port)
{
	const char	*start = arg, *p, *ps = NULL;
	size_t		 len, i;

	if (arg[0] == '[') {
		if ((p = strchr(arg, ']')) == NULL ||
		    (p[1] != '\0' && p[1] != ':'))
			return 0;
		start = arg + 1;
		len = (size_t)(p - start);
		if (p[1] == ':')
			ps = p + 2;
	} else if ((p = strchr(arg, ':')) != NULL &&
	    strchr(p + 1, ':') == NULL) {
		len = (size_t)(p - arg);
		ps = p + 1;
	} else
		len = strlen(arg);	/* a name, or a bare IPv6 address */
	if (len == 0 || len >= hostsz)
		return 0;
	/* Names are ASCII (IDNs travel as punycode): nothing to escape. */
	for (i = 0; i < len; i++)
		if (start[i] <= 0x20 || start[i] >= 0x7f)
			return 0;
	memcpy(host, start, len);
	host[len] = '\0';
	*port = 443;
	return ps == NULL || num_range(ps, 1, 65535, port);
}

