import { route } from "@/lib/http/route";
import { openApiJson } from "@/lib/openapi/serve";

export const dynamic = "force-dynamic";

/** TIM's OpenAPI 3.1 document (generated from the handlers' schemas: `npm run openapi`). */
export const GET = route(
  {
    auth: "public",
    summary: "This OpenAPI 3.1 document, as JSON",
    responses: { 200: { description: "The OpenAPI document", content: { "application/json": null } } },
  },
  async () => openApiJson(),
);
