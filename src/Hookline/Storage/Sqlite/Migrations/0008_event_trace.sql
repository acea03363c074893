-- Hookline schema v8: the W3C traceparent of the span that took each event in (when tracing is on), for its attempts' spans to link to.
ALTER TABLE events ADD COLUMN trace_parent TEXT NULL;
