-- 005-source-answered.sql: when the upstream last answered.
--
-- source keeps one row per URL with the last attempt and its outcome,
-- so one failed fetch overwrote the time of the last good one and
-- /metrics' cabundle_last_fetch_age_seconds vanished instead of
-- growing: the one thing a monitor watches.  answered is the time of
-- the last attempt that got a usable answer (a body, whatever its
-- verdict, or a 304); a failure leaves it alone.
ALTER TABLE source ADD COLUMN answered INTEGER;
UPDATE source SET answered = checked
    WHERE result IN ('accepted', 'quarantined', 'rejected', 'not modified');
