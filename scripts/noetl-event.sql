-- The row of wire contract section 7 (noetl-server `normalize_event_to_row`), as the
-- event-stream auditor (`check postgresql://...`) reads it. Idempotent.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS noetl;
CREATE TABLE IF NOT EXISTS noetl.event (
    execution_id bigint                      NOT NULL,
    event_id     bigint                      NOT NULL,  -- the producer's, or a new snowflake
    node_id      text,                                  -- = step
    node_name    text,                                  -- = step
    event_type   text                        NOT NULL,
    status       text                        NOT NULL,  -- the event's, or derived
    result       jsonb                       NOT NULL,  -- {"status": s, "context": payload}
    meta         jsonb,                                 -- meta + actionable/informative/worker_id
    worker_id    text,
    created_at   timestamp without time zone NOT NULL,  -- UTC, microseconds
    PRIMARY KEY (execution_id, event_id),
    CONSTRAINT event_result_shape CHECK (
        jsonb_typeof(result) = 'object'
        AND result - 'status' - 'reference' - 'context' = '{}'::jsonb
        AND coalesce(jsonb_typeof(result -> 'status') = 'string', false)
        AND (NOT result ? 'reference' OR jsonb_typeof(result -> 'reference') = 'object')
        AND (NOT result ? 'context' OR jsonb_typeof(result -> 'context') = 'object')
    )
);
