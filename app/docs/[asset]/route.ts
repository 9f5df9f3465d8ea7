import { route } from "@/lib/http/route";
import { docsAsset } from "@/lib/openapi/serve";

export const dynamic = "force-dynamic";

/** The scripts and stylesheet of /docs, from the swagger-ui-dist package. */
export const GET = route(
  {
    auth: "public",
    errors: ["not_found"],
    summary: "A script or stylesheet of /docs (swagger-ui-bundle.js, swagger-ui.css, tim-docs.js, tim-docs.css)",
    responses: { 200: { description: "The file", content: { "text/javascript": null, "text/css": null, "image/png": null } } },
  },
  async ({ params }) => docsAsset(params.asset),
);
