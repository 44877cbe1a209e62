-- 004-release-origin.sql: the one-origin rule at the cost of one lookup.
--
-- 003's release_one_origin read every release of the profile on each
-- insert (no index holds the reason), so publishing slowed as history
-- grew: about 5 ms more per release at 10,000 releases (bench/scale.sh).
-- Every release of a profile has the origin of its first one, which
-- this rule itself keeps, so the newest one answers for all: one search
-- of the primary key (profile, version).  No newest one (NULL): the
-- first release of a profile may come from either side.
DROP TRIGGER release_one_origin;
CREATE TRIGGER release_one_origin BEFORE INSERT ON release
WHEN (SELECT reason = 'relay' FROM release WHERE profile = NEW.profile
    ORDER BY version DESC LIMIT 1) <> (NEW.reason = 'relay')
BEGIN
	SELECT RAISE(ABORT, 'a profile is signed here or relayed, not both');
END;
