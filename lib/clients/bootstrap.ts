import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { log } from "@/lib/log/logger";
import { forgetClient } from "@/lib/clients/cache";
import { hashClientSecret, verifyClientSecret } from "@/lib/clients/secret";
import { SCOPES } from "@/lib/clients/scopes";

export type BootstrapResult = { clientId: string; created: boolean } | undefined;

/**
 * Start-up hook: ensures the API client from TIM_BOOTSTRAP_CLIENT_ID /
 * TIM_BOOTSTRAP_CLIENT_SECRET exists with every scope and that secret (the
 * environment wins over a changed hash). Warns when the token API is open
 * (TIM_API_AUTH=off). Safe to run on every start and on several instances.
 */
export async function ensureBootstrapClient(): Promise<BootstrapResult> {
  const cfg = config();
  if (cfg.TIM_API_AUTH === "off") {
    log.warn("TOKEN API OPEN: TIM_API_AUTH=off lets anyone issue, validate and revoke tokens without credentials. Use only on a closed network.");
  }
  const clientId = cfg.TIM_BOOTSTRAP_CLIENT_ID;
  const secret = cfg.TIM_BOOTSTRAP_CLIENT_SECRET;
  if (!clientId || !secret) {
    if (clientId || secret) log.warn("bootstrap client needs both TIM_BOOTSTRAP_CLIENT_ID and TIM_BOOTSTRAP_CLIENT_SECRET");
    return undefined;
  }
  const prisma = await db();
  const existing = await prisma.apiClient.findUnique({ where: { clientId } });
  if (existing) {
    const secretOk = await verifyClientSecret(existing.secretHash, secret);
    const scopesOk = SCOPES.every((s) => existing.scopes.includes(s));
    // A disabled bootstrap client stays disabled: that is an administrator's decision.
    if (secretOk && scopesOk) return { clientId, created: false };
    await prisma.apiClient.update({
      where: { clientId },
      data: {
        ...(secretOk ? {} : { secretHash: await hashClientSecret(secret) }),
        scopes: [...new Set([...existing.scopes, ...SCOPES])],
        updatedAt: new Date(),
      },
    });
    forgetClient(clientId);
    return { clientId, created: false };
  }
  await prisma.apiClient.createMany({
    data: [{ clientId, name: "Bootstrap client", secretHash: await hashClientSecret(secret), scopes: [...SCOPES] }],
    skipDuplicates: true,
  });
  log.info("bootstrap API client created", { client_id: clientId });
  return { clientId, created: true };
}
