import { inngestEndpoint } from "@/lib/jobs/endpoint";

const endpoint = inngestEndpoint();

export const GET = endpoint.GET;
export const POST = endpoint.POST;
export const PUT = endpoint.PUT;
