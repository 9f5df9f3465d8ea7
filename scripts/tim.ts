/**
 * `npm run tim -- <command>`: TIM's setup from the command line, for people
 * who script it. Runs against TIM's database like the console (no restart of a
 * running TIM needed on PostgreSQL; the embedded database is refused while TIM
 * runs on it: use the console then). Every change is audited as `cli:<user>`.
 *
 *   admin add <personal code>      grant the administrator role (e.g. EE38001085718)
 *   admin remove <personal code>   end it
 *   admin list                     who is an administrator, and why
 *   client create --name <name> --scopes <a,b> [--id <client id>]
 *                                  a new API client; prints its secret once
 */
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { grantAdministrator, listAdministrators, removeAdministrator } from "@/lib/admins/manage-administrators";
import type { AuditActor } from "@/lib/audit/actors";
import { createClientFromConsole } from "@/lib/admin/clients";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";

const USAGE = `usage:
  npm run tim -- admin add <personal code>
  npm run tim -- admin remove <personal code>
  npm run tim -- admin list
  npm run tim -- client create --name <name> --scopes <scope,scope> [--id <client id>]`;

const actor: AuditActor = { type: "system_job", id: `cli:${userInfo().username}` };

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" }, scopes: { type: "string" }, id: { type: "string" } },
  });
  const [area, verb, subject] = positionals;
  if (area === "admin" && verb === "add" && subject) {
    const { subject: code, granted } = await grantAdministrator(subject, actor);
    console.log(granted ? `${code} is now an administrator.` : `${code} was an administrator already; nothing changed.`);
    return 0;
  }
  if (area === "admin" && verb === "remove" && subject) {
    await removeAdministrator(subject, actor);
    console.log(`${subject.toUpperCase()} is no longer an administrator.`);
    return 0;
  }
  if (area === "admin" && verb === "list") {
    const admins = await listAdministrators();
    if (admins.length === 0) console.log("No administrator yet.");
    for (const a of admins)
      console.log(`${a.subject}\t${a.source === "environment" ? "TIM_ADMIN_SUBJECTS" : `granted by ${a.grantedBy} at ${a.grantedAt?.toISOString()}`}`);
    return 0;
  }
  if (area === "client" && verb === "create" && values.name && values.scopes) {
    const scopes = values.scopes.split(",").map((s) => s.trim());
    const created = await createClientFromConsole({ clientId: values.id, name: values.name, scopes, allowedAudiences: [] }, actor);
    console.log(`API client ${created.clientId} created. Its secret is shown only now:`);
    console.log(`  client_id:     ${created.clientId}`);
    console.log(`  client_secret: ${created.clientSecret}`);
    console.log(`  API key:       ${created.apiKey}   (Authorization: Bearer …)`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

try {
  await migrate();
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  console.error(`tim: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDb().catch(() => undefined);
}
