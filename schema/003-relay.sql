-- 003-relay.sql: releases relayed from an upstream cabundle mirror.
--
-- A downstream cabundled re-serves one profile of another mirror as
-- that mirror signed it, so clients anywhere in a chain can pin the top
-- key.  Such a release row keeps the upstream's .minisig verbatim, with
-- reason 'relay', upstream_key (the "RW..." key that verified it) and
-- source (where it came from).  Its keyid is the upstream's, so keyid
-- no longer refers to signing_key: a trigger keeps that rule for our
-- own releases.  SQLite cannot change a table's constraints in place;
-- the table is rebuilt once, with the same rows.
CREATE TABLE release_v3 (
	profile		TEXT NOT NULL REFERENCES profile (name),
	version		INTEGER NOT NULL CHECK (version >= 1),
	build		INTEGER NOT NULL REFERENCES build (id),
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL CHECK (expires > created),
	keyid		TEXT NOT NULL CHECK (length(keyid) = 16),
	reason		TEXT NOT NULL
	    CHECK (reason IN ('inputs', 'resign', 'key', 'relay')),
	signature	TEXT NOT NULL,
	upstream_key	TEXT,		-- relay: the key that verified it
	source		TEXT,		-- relay: the upstream mirror
	CHECK ((reason = 'relay') = (upstream_key IS NOT NULL AND
	    source IS NOT NULL)),
	PRIMARY KEY (profile, version)
);
INSERT INTO release_v3 (profile, version, build, created, expires, keyid,
    reason, signature)
    SELECT profile, version, build, created, expires, keyid, reason,
	signature FROM release ORDER BY profile, version;
-- Dropping a table drops its triggers first, so nothing fires.
DROP TABLE release;
ALTER TABLE release_v3 RENAME TO release;
CREATE INDEX release_build ON release (build);

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
-- Our own releases are signed by one of our keys.
CREATE TRIGGER release_own_key BEFORE INSERT ON release
WHEN NEW.reason <> 'relay' AND NOT EXISTS (SELECT 1 FROM signing_key
    WHERE keyid = NEW.keyid)
BEGIN
	SELECT RAISE(ABORT, 'release signed by a key that is not ours');
END;
-- A profile is signed here or relayed, never both: one version line,
-- one key line for its clients.
CREATE TRIGGER release_one_origin BEFORE INSERT ON release
WHEN EXISTS (SELECT 1 FROM release WHERE profile = NEW.profile AND
    (reason = 'relay') <> (NEW.reason = 'relay'))
BEGIN
	SELECT RAISE(ABORT, 'a profile is signed here or relayed, not both');
END;
