import { cookies } from "next/headers";
import { TARA_COOKIE } from "@/lib/tara/cookie";

/** Drops this browser's web session and TIM TARA JWT cookies (server actions only). */
export async function clearWebSession(): Promise<void> {
  const jar = await cookies();
  for (const { name } of jar.getAll()) {
    if (name === TARA_COOKIE || /next-auth\.session-token(\.\d+)?$/.test(name)) jar.delete(name);
  }
}
