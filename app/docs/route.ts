import { route } from "@/lib/http/route";
import { docsPage } from "@/lib/openapi/serve";

export const dynamic = "force-dynamic";

/** Interactive API documentation (Swagger UI over /openapi.json, served by TIM itself). */
export const GET = route(
  {
    auth: "public",
    summary: "Interactive API documentation (Swagger UI)",
    responses: { 200: { description: "An HTML page", content: { "text/html": null } } },
  },
  async () => docsPage(),
);
