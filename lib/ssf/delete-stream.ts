import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { readStream } from "@/lib/ssf/read-streams";

/** SSF 1.0 §8.1.1.5: the stream and its acknowledgements go; its undelivered events are no longer kept for it. */
export async function deleteStream(caller: ApiCaller, streamId: string): Promise<void> {
  await readStream(caller, streamId);
  const prisma = await db();
  await prisma.ssfStream.delete({ where: { streamId } });
}
