-- Administrators granted at run time (console, the first-run setup link, `npm run tim -- admin add`); TIM_ADMIN_SUBJECTS
-- still seeds administrators from the environment. Removing one deletes its row: the audit trail keeps who granted
-- and removed whom, and when.
CREATE TABLE tim.administrators (
  subject text PRIMARY KEY,
  granted_at timestamptz NOT NULL DEFAULT now(),
  granted_by text NOT NULL
);

-- First-run setup codes: SHA-256 of each code; the code itself is printed only in the log of the instance that made it.
CREATE TABLE tim.admin_setup_codes (
  code_hash char(64) PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
