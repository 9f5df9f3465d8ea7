-- RFC 8935 push delivery: the receiver's endpoint, the authorization header it wants sent (a JWE
-- under TIM_KEY_ENCRYPTION_SECRET when set, as signing keys are), and the delivery's retry state.
ALTER TABLE tim.ssf_streams ADD COLUMN endpoint_url text;
ALTER TABLE tim.ssf_streams ADD COLUMN push_authorization text;
ALTER TABLE tim.ssf_streams ADD COLUMN push_authorization_encrypted boolean NOT NULL DEFAULT false;
ALTER TABLE tim.ssf_streams ADD COLUMN push_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE tim.ssf_streams ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE tim.ssf_streams ADD COLUMN last_error text;

-- An event the receiver refused for good (400 {err, description}): acknowledged, not retried, kept for the status.
CREATE TABLE tim.ssf_push_failures (
  stream_id uuid NOT NULL REFERENCES tim.ssf_streams (stream_id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  err text NOT NULL,
  description text,
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, seq)
);
