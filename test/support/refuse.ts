import { randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";

/** A BEFORE INSERT trigger on a real table running `body` (PL/pgSQL) for rows matching `when`; returns its removal. */
async function onInsert(table: string, when: string, body: string): Promise<() => Promise<void>> {
  const client = await db();
  const name = `tim_test_trg_${randomUUID().replace(/-/g, "")}`;
  await client.$executeRawUnsafe(`CREATE FUNCTION ${name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} END $$`);
  await client.$executeRawUnsafe(`CREATE TRIGGER ${name}_trg BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}_fn()`);
  return async () => {
    await client.$executeRawUnsafe(`DROP TRIGGER ${name}_trg ON ${table}`);
    await client.$executeRawUnsafe(`DROP FUNCTION ${name}_fn()`);
  };
}

/**
 * Makes PostgreSQL itself refuse some rows: raises `errcode` (default
 * check_violation, SQLSTATE 23514) for rows matching `when` (an SQL condition
 * on NEW). Validation lets such rows through, so only the database's refusal
 * (and TIM's answer to it) is tested. `when` must single out the test's own
 * rows: on PostgreSQL every test file of a run shares the database.
 */
export function refuseRows(table: string, when: string, errcode = "check_violation"): Promise<() => Promise<void>> {
  return onInsert(table, when, `RAISE EXCEPTION 'row refused by a test trigger' USING ERRCODE = '${errcode}';`);
}

/** PostgreSQL only: the connection inserting a row matching `when` is terminated by the server, mid-statement. */
export function dropConnectionOn(table: string, when: string): Promise<() => Promise<void>> {
  return onInsert(table, when, "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW;");
}
