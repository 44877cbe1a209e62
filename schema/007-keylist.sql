-- 007-keylist.sql: key lists signed by the offline root keys
-- (doc/SPEC.md section 11), as imported or relayed, every version.
--
-- body is the list's exact text and keylist_sig holds each signature
-- file that verified on import, verbatim; the mirror never holds a
-- root secret key.  Versions only grow, one at a time, and nothing is
-- ever changed or deleted: clients walk N, N+1, ... (TUF).
CREATE TABLE keylist (
	version		INTEGER PRIMARY KEY CHECK (version >= 1),
	body		TEXT NOT NULL,
	sha256		TEXT NOT NULL CHECK (length(sha256) = 64),
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL,
	imported	INTEGER NOT NULL,
	origin		TEXT NOT NULL	-- 'import' or the upstream's URL
);
CREATE TABLE keylist_sig (
	version		INTEGER NOT NULL REFERENCES keylist(version),
	pos		INTEGER NOT NULL,	-- the order served in
	keyid		TEXT NOT NULL CHECK (length(keyid) = 16),
	sig		TEXT NOT NULL,
	PRIMARY KEY (version, keyid)
);
CREATE TRIGGER keylist_no_update BEFORE UPDATE ON keylist
BEGIN SELECT RAISE(ABORT, 'key lists are never changed'); END;
CREATE TRIGGER keylist_no_delete BEFORE DELETE ON keylist
BEGIN SELECT RAISE(ABORT, 'key lists are never deleted'); END;
CREATE TRIGGER keylist_sig_no_update BEFORE UPDATE ON keylist_sig
BEGIN SELECT RAISE(ABORT, 'key list signatures are never changed'); END;
CREATE TRIGGER keylist_sig_no_delete BEFORE DELETE ON keylist_sig
BEGIN SELECT RAISE(ABORT, 'key list signatures are never deleted'); END;
CREATE TRIGGER keylist_next BEFORE INSERT ON keylist
WHEN EXISTS (SELECT 1 FROM keylist)
    AND NEW.version != (SELECT max(version) FROM keylist) + 1
BEGIN SELECT RAISE(ABORT, 'a key list version follows the newest'); END;
