-- 006-relay-profiles.sql: every profile of an upstream mirror, relayed
-- verbatim or countersigned, and local profiles built on one.
--
-- snapshot.relay names the relayed profile a snapshot's body came as;
-- NULL is an upstream bundle of roots (mkcert.org, or an upstream
-- mirror's "mozilla"), the only kind this mirror's own upstream-based
-- profiles are composed from.  A relayed composition (an upstream's
-- "org": roots, organization CAs, intermediates) is vetted and churned
-- against its own earlier bodies, never taken for roots.
ALTER TABLE snapshot ADD COLUMN relay TEXT;
DROP INDEX snapshot_status;
CREATE INDEX snapshot_status ON snapshot (status, relay, id);

-- carry: one upstream release that passed SPEC section 8 here, kept
-- with its signature whatever this mirror's own vetting said of its
-- body (snapshot), so that approving a quarantined body relays it at
-- once without a second fetch, and so that a countersigned version
-- can say which upstream release it carries and what verified it.
CREATE TABLE carry (
	id		INTEGER PRIMARY KEY,
	profile		TEXT NOT NULL,
	upstream_version INTEGER NOT NULL CHECK (upstream_version >= 1),
	created		INTEGER NOT NULL,	-- the upstream's, signed
	expires		INTEGER NOT NULL CHECK (expires > created),
	size		INTEGER NOT NULL,
	sha256		TEXT NOT NULL REFERENCES body (sha256),
	snapshot	INTEGER NOT NULL REFERENCES snapshot (id),
	keyid		TEXT NOT NULL CHECK (length(keyid) = 16),
	upstream_key	TEXT NOT NULL,		-- the "RW..." that verified it
	source		TEXT NOT NULL,		-- where it came from
	signature	TEXT NOT NULL,		-- the upstream .minisig
	received	INTEGER NOT NULL
);
CREATE INDEX carry_profile ON carry (profile, upstream_version);
CREATE TRIGGER carry_no_update BEFORE UPDATE ON carry
BEGIN
	SELECT RAISE(ABORT, 'carried releases are kept as received');
END;
CREATE TRIGGER carry_no_delete BEFORE DELETE ON carry
BEGIN
	SELECT RAISE(ABORT, 'carried releases are kept as received');
END;

-- A countersigned release (one of ours, reasons inputs, resign, key):
-- the upstream release whose body it signs.  A renewal carries the
-- same one as the version it renews.
CREATE TABLE release_carry (
	profile		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	carry		INTEGER NOT NULL REFERENCES carry (id),
	PRIMARY KEY (profile, version),
	FOREIGN KEY (profile, version) REFERENCES release (profile, version)
) WITHOUT ROWID;
CREATE TRIGGER release_carry_no_update BEFORE UPDATE ON release_carry
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
CREATE TRIGGER release_carry_no_delete BEFORE DELETE ON release_carry
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;

-- profile add --base NAME: the profile's base certificates are the
-- newest release of NAME (a relayed profile), not the upstream roots.
ALTER TABLE profile ADD COLUMN base TEXT;
