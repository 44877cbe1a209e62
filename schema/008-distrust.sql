-- 008-distrust.sql: Mozilla's distrust-after dates (certdata.txt) and
-- what each profile does with a root that has one.

-- The dates a snapshot's roots carry, from a certdata source (the
-- upstream itself or the cross-check source).  One row per dated root;
-- a root without a row has no date.
CREATE TABLE snapshot_distrust (
	snapshot	INTEGER NOT NULL REFERENCES snapshot (id),
	cert		TEXT NOT NULL CHECK (length(cert) = 64),
	server_after	INTEGER,	-- Unix seconds; NULL: none
	email_after	INTEGER,
	source		TEXT NOT NULL,	-- the certdata the date came from
	CHECK (server_after IS NOT NULL OR email_after IS NOT NULL),
	PRIMARY KEY (snapshot, cert)
) WITHOUT ROWID;
CREATE TRIGGER snapshot_distrust_no_update BEFORE UPDATE
    ON snapshot_distrust
BEGIN
	SELECT RAISE(ABORT, 'snapshot dates are kept forever');
END;
CREATE TRIGGER snapshot_distrust_no_delete BEFORE DELETE
    ON snapshot_distrust
BEGIN
	SELECT RAISE(ABORT, 'snapshot dates are kept forever');
END;

-- keep: served, with the date shown; drop: never served once dated;
-- sunset: served until the date plus 398 days, then left out.
ALTER TABLE profile ADD COLUMN distrust_after TEXT NOT NULL
    DEFAULT 'sunset' CHECK (distrust_after IN ('keep', 'sunset', 'drop'));

-- The server distrust-after date a build's root carried.
ALTER TABLE build_cert ADD COLUMN server_after INTEGER;

-- The upstream roots a build left out because of their date, and the
-- rule that did it, in words: history and diff say why a root left.
CREATE TABLE build_left (
	build		INTEGER NOT NULL REFERENCES build (id),
	cert		TEXT NOT NULL REFERENCES certificate (sha256),
	label		TEXT NOT NULL,
	server_after	INTEGER NOT NULL,
	rule		TEXT NOT NULL,
	PRIMARY KEY (build, cert)
) WITHOUT ROWID;
CREATE TRIGGER build_left_no_update BEFORE UPDATE ON build_left
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;
CREATE TRIGGER build_left_no_delete BEFORE DELETE ON build_left
BEGIN
	SELECT RAISE(ABORT, 'builds are kept as published');
END;

-- A build with dated roots has a constraints document (doc/SPEC.md
-- section 12), stored in body like any bundle; NULL: none.
ALTER TABLE build ADD COLUMN constraints TEXT REFERENCES body (sha256);

-- The signature of each release's constraints document: the whole
-- .minisig text, trusted comment format:cabundle-constraints/1.
CREATE TABLE release_constraints (
	profile		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	signature	TEXT NOT NULL,
	PRIMARY KEY (profile, version),
	FOREIGN KEY (profile, version) REFERENCES release (profile, version)
) WITHOUT ROWID;
CREATE TRIGGER release_constraints_no_update BEFORE UPDATE
    ON release_constraints
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
CREATE TRIGGER release_constraints_no_delete BEFORE DELETE
    ON release_constraints
BEGIN
	SELECT RAISE(ABORT, 'releases are kept as published');
END;
