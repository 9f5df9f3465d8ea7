-- Rate limits (issue 12 section 5). A per-client request limit set in the console
-- (NULL: TIM_CLIENT_RATE_LIMIT_PER_MINUTE), and the shared counters of
-- rate-limiter-flexible's PostgreSQL store (lib/ratelimit), in its own layout.
ALTER TABLE "tim"."api_clients" ADD COLUMN "rate_limit_per_minute" INTEGER;

CREATE TABLE "tim"."rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);
