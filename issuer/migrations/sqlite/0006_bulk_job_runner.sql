-- Which process runs a bulk job: `<boot id>/<pid>/<process start time>` on Linux, NULL elsewhere.
-- A later start on the same machine sees at once that a `running` job's process is gone (killed,
-- crashed) and marks it `interrupted`; a job of another machine is judged by its heartbeat
-- (`updated_at`, touched every 15 s while it runs). Same statement in both dialects.
ALTER TABLE bulk_jobs ADD COLUMN runner TEXT;
