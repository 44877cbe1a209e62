-- 009: why each release exists, and profiles that can be removed.

-- The audit row of the change a release publishes (approve, org add,
-- exclude, profile set, key rotate, relay, ...): the newest row the
-- publishing process appended before it published.  A release without
-- one (renewals, releases before 009) says why by release.reason.
CREATE TABLE release_cause (
	profile		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	audit		INTEGER NOT NULL REFERENCES audit (id),
	PRIMARY KEY (profile, version),
	FOREIGN KEY (profile, version) REFERENCES release (profile, version)
) WITHOUT ROWID;
CREATE INDEX release_cause_audit ON release_cause (audit);
CREATE TRIGGER release_cause_no_update BEFORE UPDATE ON release_cause
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
CREATE TRIGGER release_cause_no_delete BEFORE DELETE ON release_cause
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;

-- A removed profile is no longer composed, published or renewed; its
-- releases stay served and in history as published.
ALTER TABLE profile ADD COLUMN removed INTEGER;
ALTER TABLE profile ADD COLUMN removed_by TEXT;
