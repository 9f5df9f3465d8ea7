import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { ownStream, streamOwner } from "@/lib/ssf/stream";

/** SSF 1.0 §8.1.1.2: one of the caller's streams (404 for any other), or all of them. */
export async function readStream(caller: ApiCaller, streamId: string): Promise<SsfStream> {
  const prisma = await db();
  return ownStream(await prisma.ssfStream.findUnique({ where: { streamId } }), caller);
}

export async function listStreams(caller: ApiCaller): Promise<SsfStream[]> {
  const prisma = await db();
  return prisma.ssfStream.findMany({ where: { clientId: streamOwner(caller) }, orderBy: { createdAt: "asc" } });
}
