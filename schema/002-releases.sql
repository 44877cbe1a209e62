-- 002-releases.sql: signing keys, organization CAs, exclusions,
-- profiles and signed releases.
--
-- A release is a signature over a build: a build is one composition of
-- a profile (which certificates, in which order, with which labels) and
-- its body; re-signing makes a new release (a new version) of the same
-- build, so a renewal costs one row, not a copy of the bundle.  Nothing
-- here is ever deleted: removing an organization CA or an exclusion
-- stamps "removed" on its row.

-- Every key that ever signed, public half only.  The secret key of the
-- active and the standby key lives in DATADIR/keys/KEYID.key (0600).
CREATE TABLE signing_key (
	keyid		TEXT PRIMARY KEY CHECK (length(keyid) = 16),
	public_key	TEXT NOT NULL UNIQUE,	-- minisign "RW..." string
	role		TEXT NOT NULL
	    CHECK (role IN ('active', 'standby', 'retired')),
	created		INTEGER NOT NULL,
	activated	INTEGER,
	retired		INTEGER
);
-- At most one active and one standby key.
CREATE UNIQUE INDEX signing_key_role ON signing_key (role)
    WHERE role IN ('active', 'standby');

-- The organization's own CAs.  name is the label written in bundles.
CREATE TABLE org_ca (
	id		INTEGER PRIMARY KEY,
	cert		TEXT NOT NULL REFERENCES certificate (sha256),
	name		TEXT NOT NULL,
	owner		TEXT,
	note		TEXT,
	intermediate	INTEGER NOT NULL,
	added		INTEGER NOT NULL,
	added_by	TEXT NOT NULL,
	removed		INTEGER,
	removed_by	TEXT
);
CREATE UNIQUE INDEX org_ca_current ON org_ca (cert) WHERE removed IS NULL;

CREATE TABLE org_ca_tag (
	org_ca		INTEGER NOT NULL REFERENCES org_ca (id),
	tag		TEXT NOT NULL,
	PRIMARY KEY (org_ca, tag)
) WITHOUT ROWID;

-- Upstream roots the organization distrusts.  cert is a fingerprint,
-- not a reference: a root can be distrusted before it ever shows up.
CREATE TABLE exclusion (
	id		INTEGER PRIMARY KEY,
	cert		TEXT NOT NULL CHECK (length(cert) = 64),
	reason		TEXT NOT NULL,
	added		INTEGER NOT NULL,
	added_by	TEXT NOT NULL,
	removed		INTEGER,
	removed_by	TEXT
);
CREATE UNIQUE INDEX exclusion_current ON exclusion (cert)
    WHERE removed IS NULL;

-- What goes into a profile's bundle.  org: 'none', 'all', or 'tags'
-- (the organization CAs carrying any tag in profile_tag).
CREATE TABLE profile (
	name		TEXT PRIMARY KEY,
	upstream	INTEGER NOT NULL,	-- the accepted upstream roots
	exclusions	INTEGER NOT NULL,	-- minus the excluded ones
	org		TEXT NOT NULL CHECK (org IN ('none', 'all', 'tags')),
	description	TEXT NOT NULL,
	builtin		INTEGER NOT NULL,
	created		INTEGER NOT NULL
);
CREATE TABLE profile_tag (
	profile		TEXT NOT NULL REFERENCES profile (name),
	tag		TEXT NOT NULL,
	PRIMARY KEY (profile, tag)
) WITHOUT ROWID;

INSERT INTO profile VALUES
    ('mozilla', 1, 0, 'none', 'the accepted upstream bundle, as vetted',
	1, 0),
    ('org', 1, 1, 'all',
	'upstream minus exclusions, plus the organization CAs', 1, 0),
    ('org-only', 0, 0, 'all', 'the organization CAs alone', 1, 0);

-- One composition of a profile.  added/removed count certificates
-- against the profile's previous build.
CREATE TABLE build (
	id		INTEGER PRIMARY KEY,
	profile		TEXT NOT NULL REFERENCES profile (name),
	snapshot	INTEGER REFERENCES snapshot (id),	-- NULL: no upstream
	body_sha256	TEXT NOT NULL REFERENCES body (sha256),
	ncerts		INTEGER NOT NULL,
	added		INTEGER NOT NULL,
	removed		INTEGER NOT NULL,
	created		INTEGER NOT NULL
);
CREATE INDEX build_profile ON build (profile, id);

-- A build's certificates in bundle order; org_ca is NULL for an
-- upstream root.
CREATE TABLE build_cert (
	build		INTEGER NOT NULL REFERENCES build (id),
	position	INTEGER NOT NULL,
	cert		TEXT NOT NULL REFERENCES certificate (sha256),
	label		TEXT NOT NULL,
	org_ca		INTEGER REFERENCES org_ca (id),
	PRIMARY KEY (build, position)
) WITHOUT ROWID;
CREATE INDEX build_cert_cert ON build_cert (cert);

-- A signed release.  signature is the whole .minisig file; its trusted
-- comment is SPEC.md section 7 made from this row.
CREATE TABLE release (
	profile		TEXT NOT NULL REFERENCES profile (name),
	version		INTEGER NOT NULL CHECK (version >= 1),
	build		INTEGER NOT NULL REFERENCES build (id),
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL CHECK (expires > created),
	keyid		TEXT NOT NULL REFERENCES signing_key (keyid),
	reason		TEXT NOT NULL
	    CHECK (reason IN ('inputs', 'resign', 'key')),
	signature	TEXT NOT NULL,
	PRIMARY KEY (profile, version)
);
CREATE INDEX release_build ON release (build);

-- Versions only go up, and what is published stays as published.
CREATE TRIGGER release_version_up BEFORE INSERT ON release
WHEN NEW.version <= coalesce((SELECT max(version) FROM release
    WHERE profile = NEW.profile), 0)
BEGIN
	SELECT RAISE(ABORT, 'release versions only go up');
END;
CREATE TRIGGER release_no_update BEFORE UPDATE ON release
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
CREATE TRIGGER release_no_delete BEFORE DELETE ON release
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
CREATE TRIGGER build_no_update BEFORE UPDATE ON build
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;
CREATE TRIGGER build_no_delete BEFORE DELETE ON build
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;
CREATE TRIGGER build_cert_no_update BEFORE UPDATE ON build_cert
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;
CREATE TRIGGER build_cert_no_delete BEFORE DELETE ON build_cert
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;
CREATE TRIGGER body_no_update BEFORE UPDATE ON body
BEGIN
	SELECT RAISE(ABORT, 'bodies are kept forever');
END;
CREATE TRIGGER certificate_no_update BEFORE UPDATE ON certificate
BEGIN
	SELECT RAISE(ABORT, 'certificates are kept forever');
END;
CREATE TRIGGER org_ca_no_delete BEFORE DELETE ON org_ca
BEGIN
	SELECT RAISE(ABORT, 'organization CAs are kept forever');
END;
CREATE TRIGGER exclusion_no_delete BEFORE DELETE ON exclusion
BEGIN
	SELECT RAISE(ABORT, 'exclusions are kept forever');
END;
CREATE TRIGGER signing_key_no_delete BEFORE DELETE ON signing_key
BEGIN
	SELECT RAISE(ABORT, 'signing keys are kept forever');
END;
