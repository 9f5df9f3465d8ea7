-- SSF 1.0 §8.1.4 verification: a receiver asks for an event on its own stream only. Such rows name
-- the stream (NULL: a revocation, for every stream) and carry the receiver's `state`.
ALTER TABLE tim.ssf_events ADD COLUMN stream_id uuid REFERENCES tim.ssf_streams (stream_id) ON DELETE CASCADE;
ALTER TABLE tim.ssf_events ADD COLUMN state text;
ALTER TABLE tim.ssf_events ALTER COLUMN kind DROP NOT NULL;
ALTER TABLE tim.ssf_events ALTER COLUMN jwt_uuid DROP NOT NULL;
