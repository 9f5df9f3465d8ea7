-- Every new denylist row, whichever code path writes it, is announced on the
-- channel `tim_revoked` when its transaction commits ("<kind> <jwt_uuid> <exp epoch>"),
-- so every TIM instance can keep an in-process denylist current (lib/tokens/denylist.ts).
CREATE FUNCTION tim.notify_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tim_revoked', TG_ARGV[0] || ' ' || NEW.jwt_uuid::text || ' ' || floor(extract(epoch FROM NEW.expires_at))::bigint);
  RETURN NULL;
END
$$;

CREATE TRIGGER denylist_notify AFTER INSERT ON custom.denylist
  FOR EACH ROW EXECUTE FUNCTION tim.notify_revoked('custom');
CREATE TRIGGER denylist_notify AFTER INSERT ON tara.denylist
  FOR EACH ROW EXECUTE FUNCTION tim.notify_revoked('tara');
