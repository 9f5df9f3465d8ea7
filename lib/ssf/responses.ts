import { z } from "zod";

/** The answers of the Shared Signals endpoints, for the OpenAPI document. */
export const ssfConfigurationResponse = z.object({
  spec_version: z.string(),
  issuer: z.string(),
  jwks_uri: z.string(),
  delivery_methods_supported: z.array(z.string()),
  configuration_endpoint: z.string(),
  status_endpoint: z.string(),
  verification_endpoint: z.string(),
  authorization_schemes: z.array(z.object({ spec_urn: z.string() })),
  default_subjects: z.string(),
});

export const streamConfigurationResponse = z.object({
  stream_id: z.string(),
  iss: z.string(),
  aud: z.string(),
  events_supported: z.array(z.string()),
  events_requested: z.array(z.string()),
  events_delivered: z.array(z.string()),
  delivery: z.object({ method: z.string(), endpoint_url: z.string() }),
  description: z.string().nullable(),
});

export const streamStatusResponse = z.object({
  stream_id: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  push: z
    .object({
      attempts: z.number(),
      next_attempt_at: z.string().nullable(),
      last_error: z.string().nullable(),
      failed_events: z.array(z.object({ jti: z.string(), err: z.string(), description: z.string().nullable(), failed_at: z.string() })),
    })
    .optional(),
});

export const pollResponse = z.object({ sets: z.record(z.string(), z.string()), moreAvailable: z.boolean() });
