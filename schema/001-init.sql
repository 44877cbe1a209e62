-- 001-init.sql: certificates, upstream bodies, snapshots, audit chain.
--
-- Digests are lowercase hex SHA-256.  Times are Unix seconds (UTC).
-- Nothing here is ever deleted: snapshots keep their certificates and
-- body for as long as the database lives.

-- Each distinct certificate once, by the SHA-256 of its DER.
CREATE TABLE certificate (
	sha256		TEXT PRIMARY KEY CHECK (length(sha256) = 64),
	der		BLOB NOT NULL,
	subject		TEXT NOT NULL,	-- RFC 2253, UTF-8, controls escaped
	issuer		TEXT NOT NULL,
	serial		TEXT NOT NULL,	-- decimal, may be 0 or negative
	not_before	INTEGER NOT NULL,
	not_after	INTEGER NOT NULL,
	version		INTEGER NOT NULL,	-- X.509 version 1..3
	is_ca		INTEGER NOT NULL,	-- basicConstraints CA:TRUE
	self_signed	INTEGER NOT NULL,
	key_type	TEXT NOT NULL,	-- RSA, EC, Ed25519 ...
	key_bits	INTEGER NOT NULL,
	key_desc	TEXT NOT NULL,	-- "RSA 2048", "EC P-384"
	first_seen	INTEGER NOT NULL
);

-- Each distinct upstream answer once, by the SHA-256 of its bytes.
CREATE TABLE body (
	sha256		TEXT PRIMARY KEY CHECK (length(sha256) = 64),
	size		INTEGER NOT NULL,
	data		BLOB NOT NULL
);

-- One row per fetch or import that produced a body.  verdict is what
-- vetting said and never changes; status is where the snapshot stands
-- now: a human turns "quarantined" into "accepted" (approve) or
-- "rejected" (reject).  The served upstream set is the accepted
-- snapshot with the highest id.
CREATE TABLE snapshot (
	id		INTEGER PRIMARY KEY,
	created		INTEGER NOT NULL,
	source		TEXT NOT NULL,	-- URL, or file:PATH for an import
	body_sha256	TEXT NOT NULL REFERENCES body (sha256),
	ncerts		INTEGER NOT NULL,
	verdict		TEXT NOT NULL
	    CHECK (verdict IN ('accepted', 'quarantined', 'rejected')),
	status		TEXT NOT NULL
	    CHECK (status IN ('accepted', 'quarantined', 'rejected')),
	baseline	INTEGER REFERENCES snapshot (id),	-- churn against
	report		TEXT NOT NULL,	-- JSON, see README "Vetting"
	decided_by	TEXT,		-- approve/reject: who, when, why
	decided_at	INTEGER,
	reason		TEXT
);
CREATE INDEX snapshot_status ON snapshot (status, id);

-- The certificates of a snapshot, in upstream order.  dropped: kept
-- for the record but not served (an expired root, say).
CREATE TABLE snapshot_cert (
	snapshot	INTEGER NOT NULL REFERENCES snapshot (id),
	position	INTEGER NOT NULL,
	cert		TEXT NOT NULL REFERENCES certificate (sha256),
	label		TEXT NOT NULL,
	dropped		INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (snapshot, position)
) WITHOUT ROWID;
CREATE INDEX snapshot_cert_cert ON snapshot_cert (cert);

-- Conditional-request state per source URL.
CREATE TABLE source (
	url		TEXT PRIMARY KEY,
	etag		TEXT,
	last_modified	TEXT,
	body_sha256	TEXT,		-- the body those validators name
	checked		INTEGER,	-- last attempt
	result		TEXT		-- last outcome, in words
);

-- The audit log: append-only and hash-chained.  hash is
-- hex(SHA-256(previous row's hash as 32 raw bytes, or 32 zero bytes for
-- the first row || canonical row)), the canonical row being the six
-- fields id, time, actor, action, object, details as netstrings:
-- "LEN:TEXT," each, LEN the byte count of the decimal or UTF-8 text
-- (schema/README.md shows how to recompute it with Python).
CREATE TABLE audit (
	id		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	actor		TEXT NOT NULL,
	action		TEXT NOT NULL,
	object		TEXT NOT NULL,
	details		TEXT NOT NULL,	-- a JSON object
	hash		TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

-- Nothing recorded is ever deleted.
CREATE TRIGGER snapshot_no_delete BEFORE DELETE ON snapshot
BEGIN
	SELECT RAISE(ABORT, 'snapshots are kept forever');
END;
CREATE TRIGGER snapshot_cert_no_change BEFORE UPDATE ON snapshot_cert
BEGIN
	SELECT RAISE(ABORT, 'snapshot certificates are kept forever');
END;
CREATE TRIGGER snapshot_cert_no_delete BEFORE DELETE ON snapshot_cert
BEGIN
	SELECT RAISE(ABORT, 'snapshot certificates are kept forever');
END;
CREATE TRIGGER certificate_no_delete BEFORE DELETE ON certificate
BEGIN
	SELECT RAISE(ABORT, 'certificates are kept forever');
END;
CREATE TRIGGER body_no_delete BEFORE DELETE ON body
BEGIN
	SELECT RAISE(ABORT, 'bodies are kept forever');
END;
