-- 006-placeholder.sql: holds number 006 on branch i20-keys only, so
-- that 007 applies in order.  The relay half of issue 20 brings the
-- real 006; at the merge, this file is deleted.
SELECT 1;
