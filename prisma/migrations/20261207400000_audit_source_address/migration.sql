-- Where a change came from: the address of the administrator's browser or the API client (TIM_TRUSTED_PROXIES
-- decides when X-Forwarded-For is believed); null where TIM does not know it (jobs, changes folded from the
-- token tables, rows written before this column). Covered by the row's hash when set (lib/audit/event.ts).
ALTER TABLE tim.audit ADD COLUMN source_address text;
