-- OpenID Shared Signals (docs/shared-signals.md): receivers' streams and the outbox of revocation events.

-- A receiver's stream (SSF 1.0 §8.1), owned by the API client that made it. Its cursor
-- (cursor_xid, cursor_seq) is the outbox position up to which it has acknowledged every
-- event; acknowledgements past it wait in ssf_acks until the gap before them closes.
CREATE TABLE tim.ssf_streams (
  stream_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id        text NOT NULL,
  audience         text NOT NULL,
  events_requested text[] NOT NULL DEFAULT '{}',
  delivery_method  text NOT NULL,
  description      text,
  status           text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'paused', 'disabled')),
  status_reason    text,
  cursor_xid       bigint NOT NULL,
  cursor_seq       bigint NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ssf_streams_client_id_idx ON tim.ssf_streams (client_id);

-- One row per revocation, written by the trigger below in the revoking transaction, read by
-- every stream (lazy fan-out: nothing per stream is written when a token is revoked).
-- xid: the writing transaction (xid8 as bigint); events are delivered in (xid, seq) order and only once no
-- transaction older than theirs is still running, so a cursor never skips an event that
-- commits late (a sequence number alone is allocated before commit, out of commit order).
CREATE TABLE tim.ssf_events (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xid        bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  event      text NOT NULL,
  kind       text NOT NULL,
  jwt_uuid   uuid NOT NULL,
  session_id text,
  reason     text,
  revoked_at timestamptz NOT NULL
);
CREATE INDEX ssf_events_xid_seq_idx ON tim.ssf_events (xid, seq);

-- A stream's acknowledgements of events past its cursor.
CREATE TABLE tim.ssf_acks (
  stream_id uuid NOT NULL REFERENCES tim.ssf_streams (stream_id) ON DELETE CASCADE,
  seq       bigint NOT NULL,
  PRIMARY KEY (stream_id, seq)
);

-- Every revocation statement, whichever code path runs it, records its rows here, but only
-- while a stream is listening: without one the cost is a lookup of an empty table.
-- The event names are lib/ssf/events.ts's: a TIM TARA JWT of a session revoked for any reason
-- but an extension (reason 'extended', lib/tokens/extend.ts) ends that session: session-revoked;
-- every other row: token-revoked.
CREATE FUNCTION tim.ssf_record_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tim.ssf_streams WHERE status <> 'disabled') THEN
    RETURN NULL;
  END IF;
  IF TG_ARGV[0] = 'tara' THEN
    INSERT INTO tim.ssf_events (event, kind, jwt_uuid, session_id, reason, revoked_at)
      SELECT CASE WHEN m.session_id IS NOT NULL AND n.reason IS DISTINCT FROM 'extended' THEN 'session-revoked' ELSE 'token-revoked' END,
             'tara', n.jwt_uuid, m.session_id, n.reason, n.denylisted_at
        FROM revoked n LEFT JOIN tara.jwt_metadata m ON m.jwt_uuid = n.jwt_uuid
       ORDER BY n.jwt_uuid;
  ELSE
    INSERT INTO tim.ssf_events (event, kind, jwt_uuid, reason, revoked_at)
      SELECT 'token-revoked', 'custom', n.jwt_uuid, n.reason, n.denylisted_at FROM revoked n ORDER BY n.jwt_uuid;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER denylist_ssf AFTER INSERT ON custom.denylist
  REFERENCING NEW TABLE AS revoked FOR EACH STATEMENT EXECUTE FUNCTION tim.ssf_record_revocations('custom');
CREATE TRIGGER denylist_ssf AFTER INSERT ON tara.denylist
  REFERENCING NEW TABLE AS revoked FOR EACH STATEMENT EXECUTE FUNCTION tim.ssf_record_revocations('tara');
