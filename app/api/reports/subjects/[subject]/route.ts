import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { subjectStatisticsResponse } from "@/lib/reporting/responses";
import { parseSubject, subjectStatistics } from "@/lib/reporting/subject";

export const dynamic = "force-dynamic";

/** GET /api/reports/subjects/{subject}: the subject's active, revoked, superseded and expired tokens per kind. */
export const GET = route(
  { auth: "reports:read", summary: "Token statistics of one subject", responses: { 200: subjectStatisticsResponse } },
  async ({ params }) => json(await subjectStatistics(parseSubject(params.subject))),
);
