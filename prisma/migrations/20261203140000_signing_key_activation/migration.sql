-- A scheduled rotation: the `next` key signs from this moment on, on every
-- instance at once (each compares it with its clock; lib/jwt/keys.ts). Set by
-- "Rotate now" no earlier than the key's publication plus the publish lead.
ALTER TABLE tim.signing_keys ADD COLUMN activates_at timestamptz;

-- Every key change (new key, status, schedule, removal), whichever code path
-- makes it, is announced on `tim_signing_keys` when it commits, so every
-- instance reloads its keys at once. last_token_expires_at writes are not
-- announced: they change no instance's keys.
CREATE FUNCTION tim.notify_signing_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tim_signing_keys', COALESCE(NEW.kid, OLD.kid));
  RETURN NULL;
END
$$;

CREATE TRIGGER signing_keys_notify AFTER INSERT OR DELETE ON tim.signing_keys
  FOR EACH ROW EXECUTE FUNCTION tim.notify_signing_keys();
CREATE TRIGGER signing_keys_notify_change AFTER UPDATE ON tim.signing_keys
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.activates_at IS DISTINCT FROM NEW.activates_at)
  EXECUTE FUNCTION tim.notify_signing_keys();
