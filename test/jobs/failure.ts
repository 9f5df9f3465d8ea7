import { randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";

/**
 * Makes the database itself fail the first `times` row operations of one kind
 * on rows of one subject (or one token): a trigger that raises while a sequence (which
 * ignores rollbacks) counts the calls. A real failure, not a mock.
 */
export async function failFirst(
  options: { table: string; timing: "BEFORE UPDATE" | "BEFORE DELETE" | "BEFORE INSERT"; times?: number } & ({ subject: string } | { jwtUuid: string }),
): Promise<{ calls: () => Promise<number>; remove: () => Promise<void> }> {
  const client = await db();
  const name = `tim_test_fail_${randomUUID().replace(/-/g, "")}`;
  const row = options.timing === "BEFORE DELETE" ? "OLD" : "NEW";
  // rows of one subject, or (tables without one, as token_usage) of one token
  const when =
    "subject" in options ? `${row}.subject = '${options.subject.replace(/'/g, "''")}'` : `${row}.jwt_uuid = '${options.jwtUuid.replace(/'/g, "''")}'::uuid`;
  await client.$executeRawUnsafe(`CREATE SEQUENCE ${name}`);
  await client.$executeRawUnsafe(`
    CREATE FUNCTION ${name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('${name}') <= ${options.times ?? 1} THEN RAISE EXCEPTION 'injected failure'; END IF;
      RETURN ${row};
    END $$`);
  await client.$executeRawUnsafe(`
    CREATE TRIGGER ${name}_trg ${options.timing} ON ${options.table}
    FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}_fn()`);
  return {
    /** How often the trigger ran (failed calls included). */
    calls: async () => {
      const [row] = await client.$queryRawUnsafe<Array<{ n: number }>>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END::int AS n FROM ${name}`);
      return row.n;
    },
    remove: async () => {
      await client.$executeRawUnsafe(`DROP TRIGGER ${name}_trg ON ${options.table}`);
      await client.$executeRawUnsafe(`DROP FUNCTION ${name}_fn()`);
      await client.$executeRawUnsafe(`DROP SEQUENCE ${name}`);
    },
  };
}
