import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

/**
 * The PostgreSQL extensions TIM's migrations create, as PGlite bundles them: every PGlite TIM opens
 * (the process's database, scratch databases of tests and tools) loads these, so that the same
 * migrations run on PGlite as on PostgreSQL. pg_trgm: the token search's trigram indexes
 * (prisma/migrations/20261207110000_token_search).
 */
export const PGLITE_EXTENSIONS = { pg_trgm };
