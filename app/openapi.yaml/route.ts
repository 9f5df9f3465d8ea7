import { route } from "@/lib/http/route";
import { openApiYaml } from "@/lib/openapi/serve";

export const dynamic = "force-dynamic";

/** TIM's OpenAPI 3.1 document as YAML (TIM 2.0 serves /openapi.yaml). */
export const GET = route(
  {
    auth: "public",
    summary: "This OpenAPI 3.1 document, as YAML",
    responses: { 200: { description: "The OpenAPI document", content: { "application/yaml": null } } },
  },
  async () => openApiYaml(),
);
