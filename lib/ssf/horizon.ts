import { Prisma } from "@/lib/generated/prisma/client";

/**
 * The delivery horizon: the oldest transaction still running (its xid8 as bigint). Every outbox
 * row of an older transaction is committed or rolled back for good, so a stream's cursor may pass
 * it; rows of younger transactions wait (docs/shared-signals.md, "Why (xid, seq)").
 */
export const HORIZON = Prisma.sql`(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)`;
